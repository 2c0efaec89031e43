"""Soak: mixed traffic through the real server for a long time, to catch what
only time shows — memory that grows, latency that drifts, a rare 5xx.

Starts the server (`create_app`, uvicorn) in a subprocess on 127.0.0.1, over
SQLite in a temporary folder by default or over `--db URL` (PostgreSQL), with
a generated center of one queue per channel of `core.model.Channel` (voice,
chat, email, sms, social, callback) and `--agents` agents per channel; then
for `--minutes`:

* arrivals on every channel in turn, paced at `--rate` per second (POST
  /api/contacts, open loop: a slow answer does not delay the next arrival);
* one simulated agent per agent over REST: it looks at itself every 0.5 s,
  accepts its offer, holds the contact for a handle time drawn from an
  exponential law of mean `--handle` seconds (seeded), completes it (wrap-up
  0) and looks again. The offered load (rate × handle) stays below the
  agents' capacity, so the waiting line stays bounded: the bench prints its
  size every minute and refuses (`goals NOT met`) a line that keeps growing;
* a supervisor reads `/api/live` every second and keeps the tower WebSocket
  (`/tower/ws`) open, reading its snapshots;
* every 2 s the server's RSS is read from `/proc/PID/status` (VmRSS), every
  10 s the waiting line from `/api/queues`.

After the traffic the agents finish what they hold (up to 60 s): every
contact ends. The offer latency measured is the arrival POST's latency when
its 201 already shows the contact offered (the engine offers in the same
command that stores the contact: arrival → offer, durable); arrivals that
queue are not counted in it (`offered_at_once` says how many were). Prints
as its LAST line JSON with `rss_slope_mb_per_h` (least squares over the RSS
samples after the warm-up, `--warmup` minutes: 10, or a fifth of a shorter
run — 10 because the server's heap keeper frees what it froze every 10
minutes, see docs/decisions/0011; `rss_slope_mb_per_h_second_half` is the
same over the second half of the run, once the bounded caches are full),
`p99_offer_ms_first_10min` and `p99_offer_ms_last_10min` (of the
traffic after the warm-up; with under 20 minutes after it, the first and last
tenth of that, and `window` says so), `errors_5xx`, the waiting line
(`waiting_max`, `waiting_by_minute`) and `left_open` (contacts not ended).
Goals: slope ≤ 5 MB/h, drift ≤ 20 %, 0 5xx, bounded line, nothing left open.

`--trace FILE` runs `bench/memtrace.py` in the server: growth reports from
`tracemalloc` and `gc` after the warm-up (slower: for finding leaks only).

    python bench/soak.py [--minutes 60] [--rate 10] [--agents 8] [--handle 2]
                         [--db postgresql://...] [--trace growth.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import websockets  # noqa: E402

from joignable.core.model import Channel  # noqa: E402
from server import Conn, free_port, tower_cookie, wait_up  # noqa: E402

GOALS = {"rss_slope_mb_per_h": 5.0, "drift": 0.20, "errors_5xx": 0}
DRAIN_SECONDS = 60.0
REQUEST_TIMEOUT = 30.0  # a request unanswered this long counts as a transport error
SERVER = """
import os, sys, uvicorn
from pathlib import Path
from joignable.cli.demo import create_users
from joignable.web.app import create_app
from joignable.web.state import Settings
url, config, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
if os.environ.get("SOAK_TRACE"):
    sys.path.insert(0, os.environ["SOAK_BENCH"])
    import memtrace
    memtrace.start(Path(os.environ["SOAK_TRACE"]), float(os.environ["SOAK_WARMUP"]), 60.0)
create_users(url)
app = create_app(Settings(database_url=url, config_path=config, secure_cookies=False,
                          secret="soak"))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def center_yaml(per_channel: int) -> str:
    """A center with one queue per channel and `per_channel` agents on each."""
    lines = ["center: {name: Soak, timezone: UTC}", "sites: [{id: s1}]", "queues:"]
    for ch in Channel:
        lines.append(
            f"  - {{id: q-{ch.value}, channels: [{ch.value}], offer_timeout: 30, "
            "wrap_up: 0, sl_seconds: 60}"
        )
    lines.append("agents:")
    for ch in Channel:
        for i in range(per_channel):
            lines.append(f"  - {{id: {ch.value}-{i}, site: s1, capacity: {{{ch.value}: 1}}}}")
    return "\n".join(lines) + "\n"


def agent_ids(per_channel: int) -> list[str]:
    return [f"{ch.value}-{i}" for ch in Channel for i in range(per_channel)]


def rss_mb(pid: int) -> float | None:
    """The resident set size of process `pid` in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def p99(values: list[float]) -> float | None:
    """The 99th percentile of `values` (None if there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)


def slope_per_h(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 2:
        return None
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    den = sum((t - mt) ** 2 for t, _ in samples)
    if den == 0:
        return None
    return round(sum((t - mt) * (v - mv) for t, v in samples) / den * 3600, 2)


class Soak:
    """The traffic, the counters and the samples of one run."""

    def __init__(self, args: argparse.Namespace, base: str, pid: int, token: str) -> None:
        self.args, self.base, self.pid = args, base, pid
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seconds = args.minutes * 60
        self.warmup = args.warmup * 60
        self.traffic = asyncio.Event()  # set while arrivals run
        self.stop = asyncio.Event()  # set when everything stops
        self.offers: list[tuple[float, float]] = []  # (time since start, ms)
        self.rss: list[tuple[float, float]] = []
        self.waiting: list[tuple[float, int]] = []
        self.status: dict[int, int] = {}
        self.transport_errors = 0
        self.counts = {"arrivals": 0, "offered_at_once": 0, "accepts": 0, "completes": 0,
                       "live": 0, "snapshots": 0}  # fmt: skip
        self.start = 0.0
        self.random = random.Random(args.seed)

    def conn(self) -> Conn:
        return Conn(self.host, self.port, self.headers)

    async def call(
        self, conn: Conn, method: str, path: str, body: object = None
    ) -> tuple[int, object] | None:
        """One request; its status counted, a transport error counted as such."""
        try:
            status, out = await asyncio.wait_for(conn.request(method, path, body), REQUEST_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError):
            self.transport_errors += 1
            await conn.close()
            return None
        self.status[status] = self.status.get(status, 0) + 1
        return status, out

    async def arrivals(self) -> None:
        channels = list(Channel)
        idle: list[Conn] = []
        pending: set[asyncio.Task[None]] = set()

        async def one(n: int, conn: Conn) -> None:
            ch = channels[n % len(channels)]
            body = {"channel": ch.value, "queue": f"q-{ch.value}", "customer": f"k{n}"}
            sent = time.perf_counter()
            try:
                status, out = await asyncio.wait_for(
                    conn.request("POST", "/api/contacts", body), REQUEST_TIMEOUT
                )
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError):
                self.transport_errors += 1
                await conn.close()
                idle.append(conn)
                return
            done = time.perf_counter()
            idle.append(conn)
            self.status[status] = self.status.get(status, 0) + 1
            if status == 201 and isinstance(out, dict):
                self.counts["arrivals"] += 1
                if out.get("state") == "offered":
                    self.counts["offered_at_once"] += 1
                    self.offers.append((sent - self.start, (done - sent) * 1000))

        n = 0
        while (due := self.start + n / self.args.rate) < self.start + self.seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(one(n, idle.pop() if idle else self.conn()))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.gather(*pending)
        for conn in idle:
            await conn.close()
        self.traffic.clear()

    async def agent(self, agent: str) -> None:
        """One agent: look, accept the offer, handle, complete, look again."""
        conn = self.conn()
        try:
            while not self.stop.is_set():
                got = await self.call(conn, "GET", f"/api/agents/{agent}")
                view = got[1] if got is not None and got[0] == 200 else None
                if not isinstance(view, dict):
                    await asyncio.sleep(0.5)
                    continue
                for cid in view.get("offered", []):
                    await self.call(conn, "POST", f"/api/agents/{agent}/offers/{cid}/accept")
                    self.counts["accepts"] += 1
                connected = view.get("connected", []) + view.get("offered", [])
                if not connected:
                    if (
                        not self.traffic.is_set()
                        and self.counts["completes"] >= self.counts["arrivals"]
                    ):
                        return
                    await asyncio.sleep(0.5)
                    continue
                for cid in connected:
                    await asyncio.sleep(self.random.expovariate(1 / self.args.handle))
                    await self.call(conn, "POST", f"/api/agents/{agent}/contacts/{cid}/complete")
                    self.counts["completes"] += 1
        finally:
            await conn.close()

    async def live(self) -> None:
        conn = self.conn()
        while self.traffic.is_set():
            got = await self.call(conn, "GET", "/api/live")
            if got is not None and got[0] == 200:
                self.counts["live"] += 1
            await asyncio.sleep(1.0)
        await conn.close()

    async def tower(self, cookie: str) -> None:
        url = self.base.replace("http://", "ws://") + "/tower/ws"
        while self.traffic.is_set():
            try:
                async with websockets.connect(
                    url, additional_headers={"Cookie": cookie}, max_size=None
                ) as ws:
                    while self.traffic.is_set():
                        try:
                            await asyncio.wait_for(ws.recv(), timeout=0.5)
                        except TimeoutError:
                            continue
                        self.counts["snapshots"] += 1
            except (OSError, websockets.WebSocketException):
                self.transport_errors += 1
                await asyncio.sleep(1.0)

    async def sampler(self) -> None:
        """RSS every 2 s, the waiting line every 10 s, a progress line a minute."""
        conn = self.conn()
        tick = 0
        while not self.stop.is_set():
            t = time.perf_counter() - self.start
            value = rss_mb(self.pid)
            if value is not None:
                self.rss.append((t, value))
            if tick % 5 == 0:
                got = await self.call(conn, "GET", "/api/queues")
                if got is not None and got[0] == 200 and isinstance(got[1], list):
                    self.waiting.append((t, sum(int(q["waiting"]) for q in got[1])))
            if tick % 30 == 0 and tick:
                recent = [ms for s, ms in self.offers if s >= t - 60]
                print(f"{t / 60:5.1f} min  rss {value} MB  waiting "
                      f"{self.waiting[-1][1] if self.waiting else '?'}  open "
                      f"{self.counts['arrivals'] - self.counts['completes']}  p99 offer "
                      f"{p99(recent)} ms  5xx {self.errors_5xx()}", flush=True)  # fmt: skip
            tick += 1
            await asyncio.sleep(2.0)
        await conn.close()

    def errors_5xx(self) -> int:
        return sum(n for s, n in self.status.items() if s >= 500)

    async def run(self, cookie: str) -> dict[str, object]:
        conn = self.conn()
        for agent in agent_ids(self.args.agents):
            got = await self.call(conn, "POST", f"/api/agents/{agent}/login", {"ready": True})
            if got is None or got[0] != 200:
                raise SystemExit(f"agent {agent} could not log in: {got}")
        await conn.close()
        self.start = time.perf_counter()
        self.traffic.set()
        sampler = asyncio.create_task(self.sampler())
        agents = [asyncio.create_task(self.agent(a)) for a in agent_ids(self.args.agents)]
        await asyncio.gather(self.arrivals(), self.live(), self.tower(cookie))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*agents), DRAIN_SECONDS)
        self.stop.set()
        await sampler
        return self.figures()

    def figures(self) -> dict[str, object]:
        span = self.seconds - self.warmup
        window = 600.0 if span >= 1200 else span / 10
        first = [ms for t, ms in self.offers if self.warmup <= t < self.warmup + window]
        last = [ms for t, ms in self.offers if t >= self.seconds - window]
        p_first, p_last = p99(first), p99(last)
        drift = None
        if p_first and p_last is not None:
            drift = round((p_last - p_first) / p_first, 3)
        warm = [(t, v) for t, v in self.rss if self.warmup <= t <= self.seconds]
        by_minute: dict[int, int] = {}
        for t, w in self.waiting:
            if t <= self.seconds:
                by_minute[int(t // 60)] = max(w, by_minute.get(int(t // 60), 0))
        return {
            "minutes": self.args.minutes,
            "rate": self.args.rate,
            "agents": self.args.agents * len(Channel),
            "handle_s": self.args.handle,
            "offered_load": round(self.args.rate * self.args.handle / len(Channel), 2),
            "warmup_s": self.warmup,
            "window": "10 min" if window == 600.0 else f"first/last tenth ({window:.0f} s)",
            "rss_slope_mb_per_h": slope_per_h(warm),
            "rss_slope_mb_per_h_second_half": slope_per_h(
                [(t, v) for t, v in warm if t >= self.seconds / 2]
            ),
            "rss_mb_start": round(self.rss[0][1], 1) if self.rss else None,
            "rss_mb_after_warmup": round(warm[0][1], 1) if warm else None,
            "rss_mb_end": round(warm[-1][1], 1) if warm else None,
            "p99_offer_ms_first_10min": p_first,
            "p99_offer_ms_last_10min": p_last,
            "offer_latency": "arrival POST -> 201 showing the contact offered",
            "drift": drift,
            "errors_5xx": self.errors_5xx(),
            "transport_errors": self.transport_errors,
            "statuses": {str(k): v for k, v in sorted(self.status.items())},
            "waiting_max": max((w for _, w in self.waiting), default=None),
            "waiting_by_minute": [by_minute[m] for m in sorted(by_minute)],
            "left_open": self.counts["arrivals"] - self.counts["completes"],
            **self.counts,
        }


async def log_in(base: str) -> tuple[str, str]:
    """A supervisor's bearer token, and a session cookie for the tower."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post(
            "/api/auth/token", json={"username": "supervisor", "password": "supervisor-demo"}
        )
        r.raise_for_status()
        return r.json()["access_token"], await tower_cookie(client)


def bounded(waiting: list[int], agents: int) -> bool:
    """Whether the waiting line stayed bounded: in the last third of the run
    it never exceeded the number of agents, nor the first third's peak by
    more than that."""
    if len(waiting) < 3:
        return True
    third = max(1, len(waiting) // 3)
    return max(waiting[-third:]) <= max(agents, max(waiting[:third]) + agents)


def goals_met(figures: dict[str, object]) -> bool:
    slope, drift, waiting = (
        figures["rss_slope_mb_per_h"],
        figures["drift"],
        figures["waiting_by_minute"],
    )
    agents = figures["agents"]
    return (
        isinstance(slope, float) and slope <= GOALS["rss_slope_mb_per_h"]
        and (drift is None or (isinstance(drift, float) and drift <= GOALS["drift"]))
        and figures["errors_5xx"] == 0 and figures["left_open"] == 0
        and isinstance(waiting, list) and isinstance(agents, int) and bounded(waiting, agents)
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="arrivals per second")
    parser.add_argument("--agents", type=int, default=8, help="agents per channel")
    parser.add_argument("--handle", type=float, default=2.0, help="mean handle time, seconds")
    parser.add_argument(
        "--warmup", type=float, default=None, help="minutes (10, or a fifth of a shorter run)"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--trace", default="", help="write memory growth reports to this file")
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate <= 0 or args.agents <= 0 or args.handle <= 0:
        parser.error("--minutes, --rate, --agents and --handle must be positive")
    if args.warmup is None:
        args.warmup = min(10.0, args.minutes / 5)
    if not 0 <= args.warmup < args.minutes:
        parser.error("--warmup must be under --minutes")
    load = args.rate * args.handle / len(Channel)
    if load >= args.agents:
        parser.error(f"offered load {load:.1f} per channel needs more than {args.agents} agents")
    folder = Path(tempfile.mkdtemp(prefix="joignable-soak-"))
    config = folder / "center.yaml"
    config.write_text(center_yaml(args.agents))
    url = args.db or f"sqlite:///{folder / 'soak.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if args.trace:
        env.update(SOAK_TRACE=str(Path(args.trace).resolve()), SOAK_BENCH=str(ROOT / "bench"),
                   SOAK_WARMUP=str(args.warmup * 60))  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # killed: stop the server too
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(config), str(port)], env=env)
    try:
        print(f"server on {base} (pid {proc.pid}), database {url.split('@')[-1]}", flush=True)
        asyncio.run(wait_up(base, proc))
        token, cookie = asyncio.run(log_in(base))
        print(f"soak for {args.minutes:g} min at {args.rate:g} arrivals/s, "
              f"{args.agents} agents per channel, handle {args.handle:g} s "
              f"(load {load:.1f} per channel) …", flush=True)  # fmt: skip
        soak = Soak(args, base, proc.pid, token)
        limit = args.minutes * 60 + DRAIN_SECONDS + 2 * REQUEST_TIMEOUT + 60
        figures = asyncio.run(asyncio.wait_for(soak.run(cookie), limit))  # stops by itself
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    met = goals_met(figures)
    print(f"goals {'met' if met else 'NOT met'}: {GOALS}, bounded waiting line, none left open")
    print(json.dumps({**figures, "goals_met": met}))


if __name__ == "__main__":
    main()

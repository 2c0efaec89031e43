"""Soak: mixed traffic through the real server for a long time, to catch what
only time shows — memory that grows, latency that drifts, a rare 5xx.

Starts the server (`create_app`, uvicorn) in a subprocess on 127.0.0.1, over
SQLite in a temporary folder by default or over `--db URL` (PostgreSQL), with
a generated center of one queue per channel of `core.model.Channel` (voice,
chat, email, sms, social, callback) and a few agents per channel; then for
`--minutes`:

* arrivals on every channel in turn, paced at `--rate` per second (POST
  /api/contacts);
* simulated agents (one worker polling the agents over REST) accept their
  offers and complete their contacts (wrap-up 0, so they are free again);
* a supervisor reads `/api/live` every second and keeps the tower WebSocket
  (`/tower/ws`) open, reading its snapshots;
* every 2 s the server's RSS is read from `/proc/PID/status` (VmRSS).

The offer latency measured is the arrival POST's latency when its 201 already
shows the contact offered (the engine offers in the same command that stores
the contact, so this is arrival → offer, durable); arrivals that queue are
not counted in it. Prints as its LAST line JSON with `rss_slope_mb_per_h`
(least squares over the samples after the first fifth of the run, the
warm-up), `p99_offer_ms_first_10min`, `p99_offer_ms_last_10min` (with
`--minutes` under 20 these are the first and last tenth of the run, and
`window` says so), `errors_5xx`. Goals: slope ≤ 5 MB/h, drift ≤ 20 %, 0 5xx.

    python bench/soak.py [--minutes 60] [--rate 10] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import websockets  # noqa: E402

from joignable.core.model import Channel  # noqa: E402

GOALS = {"rss_slope_mb_per_h": 5.0, "drift": 0.20, "errors_5xx": 0}
AGENTS_PER_CHANNEL = 4
SERVER = """
import sys, uvicorn
from pathlib import Path
from joignable.cli.demo import create_users
from joignable.web.app import create_app
from joignable.web.state import Settings
url, config, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
create_users(url)
app = create_app(Settings(database_url=url, config_path=config, secure_cookies=False,
                          secret="soak"))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def center_yaml() -> str:
    """A center with one queue per channel and AGENTS_PER_CHANNEL agents each."""
    lines = ["center: {name: Soak, timezone: UTC}", "sites: [{id: s1}]", "queues:"]
    for ch in Channel:
        lines.append(
            f"  - {{id: q-{ch.value}, channels: [{ch.value}], offer_timeout: 3600, "
            "wrap_up: 0, sl_seconds: 60}"
        )
    lines.append("agents:")
    for ch in Channel:
        for i in range(AGENTS_PER_CHANNEL):
            lines.append(f"  - {{id: {ch.value}-{i}, site: s1, capacity: {{{ch.value}: 1}}}}")
    return "\n".join(lines) + "\n"


def agent_ids() -> list[str]:
    return [f"{ch.value}-{i}" for ch in Channel for i in range(AGENTS_PER_CHANNEL)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

    def __init__(self, args: argparse.Namespace, base: str, pid: int) -> None:
        self.args, self.base, self.pid = args, base, pid
        self.seconds = args.minutes * 60
        self.stop = asyncio.Event()
        self.offers: list[tuple[float, float]] = []  # (time since start, ms)
        self.rss: list[tuple[float, float]] = []
        self.status: dict[int, int] = {}
        self.transport_errors = 0
        self.counts = {"arrivals": 0, "accepts": 0, "completes": 0, "live": 0, "snapshots": 0}
        self.start = 0.0

    def note(self, status: int) -> None:
        self.status[status] = self.status.get(status, 0) + 1

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, **kw: object
    ) -> httpx.Response | None:
        try:
            r = await client.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError:
            self.transport_errors += 1
            return None
        self.note(r.status_code)
        return r

    async def arrivals(self, client: httpx.AsyncClient) -> None:
        channels = list(Channel)
        n = 0
        while not self.stop.is_set():
            due = self.start + n / self.args.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            ch = channels[n % len(channels)]
            body = {"channel": ch.value, "queue": f"q-{ch.value}", "customer": f"k{n}"}
            sent = time.perf_counter()
            r = await self.call(client, "POST", "/api/contacts", json=body)
            n += 1
            if r is not None and r.status_code == 201:
                self.counts["arrivals"] += 1
                if r.json().get("state") == "offered":
                    self.offers.append((sent - self.start, (time.perf_counter() - sent) * 1000))

    async def agents(self, client: httpx.AsyncClient) -> None:
        ids = agent_ids()
        while not self.stop.is_set():
            for agent in ids:
                r = await self.call(client, "GET", f"/api/agents/{agent}")
                if r is None or r.status_code != 200:
                    continue
                view = r.json()
                for cid in view.get("offered", []):
                    await self.call(client, "POST", f"/api/agents/{agent}/offers/{cid}/accept")
                    self.counts["accepts"] += 1
                for cid in view.get("connected", []):
                    await self.call(client, "POST", f"/api/agents/{agent}/contacts/{cid}/complete")
                    self.counts["completes"] += 1
            await asyncio.sleep(0.2)

    async def live(self, client: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            r = await self.call(client, "GET", "/api/live")
            if r is not None and r.status_code == 200:
                self.counts["live"] += 1
            await asyncio.sleep(1.0)

    async def tower(self, cookie: str) -> None:
        url = self.base.replace("http://", "ws://") + "/tower/ws"
        while not self.stop.is_set():
            try:
                async with websockets.connect(
                    url, additional_headers={"Cookie": cookie}, max_size=None
                ) as ws:
                    while not self.stop.is_set():
                        try:
                            await asyncio.wait_for(ws.recv(), timeout=0.5)
                        except TimeoutError:
                            continue
                        self.counts["snapshots"] += 1
            except (OSError, websockets.WebSocketException):
                self.transport_errors += 1
                await asyncio.sleep(1.0)

    async def sampler(self) -> None:
        while not self.stop.is_set():
            value = rss_mb(self.pid)
            if value is not None:
                self.rss.append((time.perf_counter() - self.start, value))
            await asyncio.sleep(2.0)

    async def run(self) -> dict[str, object]:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            r = await client.post(
                "/api/auth/token", json={"username": "supervisor", "password": "supervisor-demo"}
            )
            r.raise_for_status()
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            for agent in agent_ids():
                r = await client.post(f"/api/agents/{agent}/login", json={"ready": True})
                r.raise_for_status()
            page = await client.get("/login")
            csrf = page.cookies.get("joignable_csrf", "")
            await client.post(
                "/login",
                data={"username": "supervisor", "password": "supervisor-demo",
                      "csrf_token": csrf, "next": "/tower"},
            )  # fmt: skip
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            self.start = time.perf_counter()
            tasks = [
                asyncio.create_task(c)
                for c in (self.arrivals(client), self.agents(client), self.live(client),
                          self.tower(cookie), self.sampler())
            ]  # fmt: skip
            await asyncio.sleep(self.seconds)
            self.stop.set()
            await asyncio.gather(*tasks)
        return self.figures()

    def figures(self) -> dict[str, object]:
        window = 600.0 if self.seconds >= 1200 else self.seconds / 10
        first = [ms for t, ms in self.offers if t < window]
        last = [ms for t, ms in self.offers if t >= self.seconds - window]
        p_first, p_last = p99(first), p99(last)
        drift = None
        if p_first and p_last is not None:
            drift = round((p_last - p_first) / p_first, 3)
        warm = [(t, v) for t, v in self.rss if t >= self.seconds / 5]
        return {
            "minutes": self.args.minutes,
            "window": "10 min" if window == 600.0 else f"first/last tenth ({window:.0f} s)",
            "rss_slope_mb_per_h": slope_per_h(warm),
            "rss_mb_start": round(self.rss[0][1], 1) if self.rss else None,
            "rss_mb_end": round(self.rss[-1][1], 1) if self.rss else None,
            "p99_offer_ms_first_10min": p_first,
            "p99_offer_ms_last_10min": p_last,
            "offer_latency": "arrival POST -> 201 showing the contact offered",
            "drift": drift,
            "errors_5xx": sum(n for s, n in self.status.items() if s >= 500),
            "transport_errors": self.transport_errors,
            "statuses": {str(k): v for k, v in sorted(self.status.items())},
            **self.counts,
        }


async def wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode})")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="arrivals per second")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate <= 0:
        parser.error("--minutes and --rate must be positive")
    folder = Path(tempfile.mkdtemp(prefix="joignable-soak-"))
    config = folder / "center.yaml"
    config.write_text(center_yaml())
    url = args.db or f"sqlite:///{folder / 'soak.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(config), str(port)], env=env)
    try:
        print(f"server on {base} (pid {proc.pid}), database {url.split('@')[-1]}", flush=True)
        asyncio.run(wait_up(base, proc))
        print(f"soak for {args.minutes:g} min at {args.rate:g} arrivals/s …", flush=True)
        figures = asyncio.run(Soak(args, base, proc.pid).run())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    slope, drift = figures["rss_slope_mb_per_h"], figures["drift"]
    met = (
        isinstance(slope, float) and slope <= GOALS["rss_slope_mb_per_h"]
        and (drift is None or (isinstance(drift, float) and drift <= GOALS["drift"]))
        and figures["errors_5xx"] == 0
    )  # fmt: skip
    print(f"goals {'met' if met else 'NOT met'}: {GOALS}")
    print(json.dumps({**figures, "goals_met": met}))


if __name__ == "__main__":
    main()

"""End-to-end server bench: HTTP arrivals, simulated agents, a live dashboard.

Starts the real server (`create_app`, uvicorn) in a subprocess on loopback
with SQLite (WAL, synchronous=FULL), a generated center of one e-mail queue
and enough agents that every arrival can be offered at once; then, for a
bounded time:

* an arrival stream POSTs contacts over HTTP (a lean keep-alive client, see
  `Conn`); a contact counts once its 201 came back (durable);
* simulated agents (a few async workers over HTTP, at a human pace: 200 agents
  looked at per second) accept the offers they find and complete them, so the
  engine keeps handling the whole lifecycle;
* a dashboard client on `/tower/ws` receives the live snapshots.

First a steady stream at 500 contacts/s (open loop: latency without
self-inflicted queueing), then as many as `--concurrency` clients can send.
Prints human lines, then as its LAST line JSON with `contacts_per_s`
(durably accepted, at saturation), `p99_offer_ms` (at the steady 500/s: POST
sent → the 201 showing the contact offered to an agent, durable) and
`p99_staleness_ms` (oldest engine event of a snapshot → snapshot received by
the dashboard). Goals: >= 500 contacts/s,
p99 arrival → offer <= 50 ms, staleness p99 <= 1,000 ms. Also
`server_cpu_ms_per_contact`: the server process's CPU time during the
saturation run over the contacts accepted (per-process, so steadier than
throughput on a shared machine: compare versions with it).

Then keyed runs (each POST with its own `Idempotency-Key`, as a careful client
sends) at 1, 16 and 64 concurrent clients: `keyed_per_s_N`, `keyed_p99_ms_N`,
and `keyed_ratio_most_to_16` (goal: >= 1, throughput does not fall as
concurrency rises).

    python bench/server.py [--seconds 20] [--concurrency 64] [--agents 2500]
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
import uvloop  # noqa: E402
import websockets  # noqa: E402

GOALS = {"contacts_per_s": 500, "p99_offer_ms": 50, "p99_staleness_ms": 1000}
SERVER = """
import gc, sys, time, uvicorn
pauses = []
starts = {}
def _gc(phase, info):
    if phase == "start":
        starts[0] = time.perf_counter()
    elif info["generation"] == 2:
        pauses.append((time.perf_counter() - starts[0]) * 1000)
gc.callbacks.append(_gc)
from pathlib import Path
from joignable.cli.demo import create_users
from joignable.web.app import create_app
from joignable.web.state import Settings
url, config, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
create_users(url)
app = create_app(Settings(database_url=url, config_path=config, secure_cookies=False,
                          secret="bench"))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
print(f"server: {len(pauses)} full garbage collections, longest {max(pauses, default=0):.0f} ms",
      file=sys.stderr, flush=True)
"""


def center_yaml(agents: int) -> str:
    lines = [
        "center: {name: Bench, timezone: UTC}",
        "sites: [{id: s1}, {id: s2}]",
        "queues:",
        "  - {id: mail, channels: [email], offer_timeout: 3600, wrap_up: 0, sl_seconds: 60}",
        "agents:",
    ]
    for i in range(agents):
        lines.append(f"  - {{id: b{i:04d}, site: s{1 + i % 2}, capacity: {{email: 20}}}}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oldest_at(raw: str | bytes) -> float | None:
    """The snapshot's `oldest_at`, read without parsing the whole message: a full
    `json.loads` of a large snapshot would stall this client's event loop and
    show up as server latency."""
    text = raw if isinstance(raw, str) else raw.decode()
    i = text.rfind('"oldest_at":')
    if i < 0:
        return None
    j = i + len('"oldest_at":')
    end = j
    while end < len(text) and text[end] not in ",}":
        end += 1
    value = text[j:end].strip()
    return None if value == "null" else float(value)


def p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


class Conn:
    """One keep-alive HTTP/1.1 connection, one request at a time.

    The load generator shares the machine with the server: httpx costs about
    a millisecond of CPU per request, which would measure the client, not the
    server. This speaks just enough HTTP/1.1 (Content-Length bodies) for the
    JSON API.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: object = None, extra: str = ""
    ) -> tuple[int, object]:
        """(status, parsed JSON body); `extra`: more header lines ("Name: value\\r\\n")."""
        try:
            return await self._request(method, path, body, extra)
        except (ConnectionError, IndexError, asyncio.IncompleteReadError):
            # the server closed an idle keep-alive connection: once more on a new one
            await self.close()
            return await self._request(method, path, body, extra)

    async def _request(
        self, method: str, path: str, body: object, extra: str = ""
    ) -> tuple[int, object]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = b"" if body is None else json.dumps(body).encode()
        self.writer.write(
            (
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}{extra}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data
        )
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length) if length else b""
        return status, (json.loads(payload) if payload else None)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start in 60 s")


async def tower_cookie(client: httpx.AsyncClient) -> str:
    """Log the demo supervisor in through the login page (CSRF token and all)
    and return the session cookie a `/tower/ws` connection sends."""
    page = await client.get("/login")
    csrf = page.cookies.get("joignable_csrf", "")
    await client.post(
        "/login",
        data={"username": "supervisor", "password": "supervisor-demo",
              "csrf_token": csrf, "next": "/tower"},
    )  # fmt: skip
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far: per-process,
    so a busy machine slows it down less than it slows wall-clock figures."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace, base: str, pid: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=args.concurrency + 16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        r = await client.post(
            "/api/auth/token", json={"username": "supervisor", "password": "supervisor-demo"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        print(f"logging {args.agents} agents in …", flush=True)
        sem = asyncio.Semaphore(args.concurrency)

        async def login(i: int) -> None:
            async with sem:
                for attempt in range(3):  # a keep-alive connection closed under us: again
                    try:
                        await client.post(
                            f"/api/agents/b{i:04d}/login", json={"ready": True}, headers=headers
                        )
                        return
                    except httpx.TransportError:
                        if attempt == 2:
                            raise

        await asyncio.gather(*(login(i) for i in range(args.agents)))

        cookie = await tower_cookie(client)  # the dashboard's, on /tower/ws
        staleness: list[float] = []
        sizes: list[int] = []
        stop = asyncio.Event()

        async def dashboard() -> None:
            ws_url = base.replace("http://", "ws://") + "/tower/ws"
            async with websockets.connect(
                ws_url, additional_headers={"Cookie": cookie}, max_size=None
            ) as ws:
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    received = time.time()
                    sizes.append(len(raw))
                    oldest = oldest_at(raw)
                    if oldest is not None:
                        staleness.append((received - oldest) * 1000)

        offer_ms: list[float] = []
        accepted = not_offered = failed = 0
        agent_actions = 0
        host, port = base.removeprefix("http://").split(":")
        counter = iter(range(1, 10**9))

        async def arrivals(deadline: float) -> None:
            nonlocal accepted, not_offered, failed
            conn = Conn(host, int(port), headers)
            try:
                while time.perf_counter() < deadline:
                    n = next(counter)
                    body = {"channel": "email", "queue": "mail", "customer": f"k{n}"}
                    sent = time.perf_counter()
                    try:
                        status, out = await conn.request("POST", "/api/contacts", body)
                    except (OSError, asyncio.IncompleteReadError, ValueError):
                        failed += 1
                        await conn.close()
                        conn = Conn(host, int(port), headers)
                        continue
                    done = time.perf_counter()
                    if status != 201 or not isinstance(out, dict):
                        failed += 1
                        continue
                    accepted += 1
                    if out.get("state") == "offered":
                        offer_ms.append((done - sent) * 1000)
                    else:
                        not_offered += 1
            finally:
                await conn.close()

        paced_ms: list[float] = []
        paced_failed: list[int] = []

        async def paced(rate: float, seconds: float) -> int:
            """Open-loop arrivals at `rate`/s: latency without self-inflicted queueing."""
            idle: list[Conn] = []
            tasks: set[asyncio.Task[None]] = set()
            sent_n = 0

            async def one(conn: Conn) -> None:
                n = next(counter)
                body = {"channel": "email", "queue": "mail", "customer": f"p{n}"}
                sent = time.perf_counter()
                try:
                    status, out = await conn.request("POST", "/api/contacts", body)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    paced_failed.append(n)
                    await conn.close()
                    idle.append(conn)
                    return
                if status == 201 and isinstance(out, dict) and out.get("state") == "offered":
                    paced_ms.append((time.perf_counter() - sent) * 1000)
                idle.append(conn)

            begin = time.perf_counter()
            while (elapsed := time.perf_counter() - begin) < seconds:
                due = int(elapsed * rate)
                while sent_n < due:
                    sent_n += 1
                    conn = idle.pop() if idle else Conn(host, int(port), headers)
                    task = asyncio.create_task(one(conn))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                # sleep until the next arrival is due (not a spin: the client shares
                # the machine's cores with the server it measures)
                await asyncio.sleep(max(0.0, (sent_n + 1) / rate - elapsed))
            await asyncio.gather(*tasks)
            for conn in idle:
                await conn.close()
            return sent_n

        async def simulated_agent(worker: int) -> None:
            nonlocal agent_actions
            conn = Conn(host, int(port), headers)
            i = worker
            pace = args.workers / args.agent_rate  # seconds between two looks of this worker
            try:
                while not stop.is_set():
                    looked = time.perf_counter()
                    agent = f"b{i % args.agents:04d}"
                    i += args.workers
                    status, view = await conn.request("GET", f"/api/agents/{agent}")
                    if status != 200 or not isinstance(view, dict):
                        continue
                    for cid in view["offered"][:2]:
                        await conn.request("POST", f"/api/agents/{agent}/offers/{cid}/accept")
                        agent_actions += 1
                    for cid in view["connected"][:2]:
                        await conn.request("POST", f"/api/agents/{agent}/contacts/{cid}/complete")
                        agent_actions += 1
                    await asyncio.sleep(max(0.0, looked + pace - time.perf_counter()))
            finally:
                await conn.close()

        board = asyncio.create_task(dashboard())
        agents = [asyncio.create_task(simulated_agent(w)) for w in range(args.workers)]
        await asyncio.sleep(0.5)
        # first the latency at a steady 500/s, then the most the server takes
        print(f"paced arrivals at {args.rate:.0f}/s for {args.paced_seconds:.0f} s …", flush=True)
        paced_sent = await paced(args.rate, args.paced_seconds)
        print(f"arrivals for {args.seconds:.0f} s (concurrency {args.concurrency}) …", flush=True)
        started = time.perf_counter()
        cpu_before = cpu_s(pid)
        deadline = started + args.seconds
        await asyncio.gather(*(arrivals(deadline) for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu = cpu_s(pid) - cpu_before

        keyed: dict[int, tuple[float, float]] = {}  # clients -> (per s, p99 ms)

        async def keyed_client(deadline: float, done: list[float]) -> None:
            conn = Conn(host, int(port), headers)
            try:
                while time.perf_counter() < deadline:
                    n = next(counter)
                    body = {"channel": "email", "queue": "mail", "customer": f"i{n}"}
                    sent = time.perf_counter()
                    status, _ = await conn.request(
                        "POST", "/api/contacts", body, f"Idempotency-Key: bench-{n}\r\n"
                    )
                    if status == 201:
                        done.append((time.perf_counter() - sent) * 1000)
            finally:
                await conn.close()

        for clients in args.keyed_clients:
            print(f"keyed arrivals, {clients} client(s), {args.keyed_seconds:.0f} s …", flush=True)
            done: list[float] = []
            begin = time.perf_counter()
            deadline = begin + args.keyed_seconds
            await asyncio.gather(*(keyed_client(deadline, done) for _ in range(clients)))
            keyed[clients] = (len(done) / (time.perf_counter() - begin), p99(done))
        await asyncio.sleep(1.5)  # the last snapshots
        stop.set()
        await asyncio.gather(board, *agents, return_exceptions=True)

    rate = accepted / elapsed
    cpu_ms = 1000 * server_cpu / max(1, accepted)
    print(f"server CPU at saturation: {server_cpu:.1f} s, {cpu_ms:.2f} ms per contact accepted")
    print(f"contacts accepted durably: {accepted} in {elapsed:.1f} s = {rate:.0f}/s "
          f"(failed {failed}, not offered at once {not_offered})")  # fmt: skip
    print(f"at saturation ({args.concurrency} clients) arrival → offer: p50 "
          f"{sorted(offer_ms)[len(offer_ms) // 2]:.1f} ms, p99 {p99(offer_ms):.1f} ms")  # fmt: skip
    print(f"paced at {args.rate:.0f}/s: {len(paced_ms)} of {paced_sent} offered at once "
          f"({len(paced_failed)} failed); "
          f"arrival → offer p50 {sorted(paced_ms)[len(paced_ms) // 2]:.1f} ms, "
          f"p99 {p99(paced_ms):.1f} ms")  # fmt: skip
    print(f"dashboard: snapshots of {sum(sizes) // max(1, len(sizes)) // 1024} KiB on average")
    print(f"dashboard: {len(staleness)} snapshots with new events, staleness p50 "
          f"{sorted(staleness)[len(staleness) // 2]:.0f} ms, p99 {p99(staleness):.0f} ms, "
          f"max {max(staleness):.0f} ms")  # fmt: skip
    print(f"simulated agents: {agent_actions} accept/complete actions over HTTP")
    for clients, (per_s, ms) in keyed.items():
        print(f"with Idempotency-Key, {clients:>2} client(s): {per_s:.0f}/s, p99 {ms:.1f} ms")
    keyed_figures = {f"keyed_per_s_{c}": round(v[0], 1) for c, v in keyed.items()}
    keyed_figures |= {f"keyed_p99_ms_{c}": round(v[1], 1) for c, v in keyed.items()}
    if len(keyed) > 1:  # the most clients against 16 (or the fewest): must not fall
        most = max(keyed)
        base_n = 16 if 16 in keyed and most != 16 else min(keyed)
        keyed_figures["keyed_ratio_most_to_16"] = round(keyed[most][0] / keyed[base_n][0], 2)
    return {
        **keyed_figures,
        "contacts_per_s": round(rate, 1),
        "server_cpu_ms_per_contact": round(cpu_ms, 3),
        "p99_offer_ms": round(p99(paced_ms), 2),
        "paced_rate": args.rate,
        "p99_offer_ms_at_saturation": round(p99(offer_ms), 2),
        "p99_staleness_ms": round(p99(staleness), 1),
        "contacts": accepted,
        "agents": args.agents,
        "agent_actions": agent_actions,
        "snapshots": len(staleness),
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--agents", type=int, default=2500)
    parser.add_argument("--workers", type=int, default=4, help="simulated agent workers")
    parser.add_argument(
        "--agent-rate",
        type=float,
        default=200.0,
        help="agents looked at per second (each look: its offers accepted, its contacts "
        "completed); 2,500 agents acting every ~12 s",
    )
    parser.add_argument("--rate", type=float, default=500.0, help="paced arrivals per second")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument(
        "--keyed-clients",
        type=lambda text: [int(x) for x in text.split(",") if x],
        default=[1, 16, 64],
        help="concurrent clients of the keyed runs (POST with Idempotency-Key), e.g. 1,16,64",
    )
    parser.add_argument("--keyed-seconds", type=float, default=8.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="joignable-bench-"))
    config = folder / "center.yaml"
    config.write_text(center_yaml(args.agents))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(config), str(port)], env=env)
    try:
        print(f"server on {base}, SQLite {url}", flush=True)
        asyncio.run(wait_up(base, proc))
        figures = uvloop.run(
            run(args, base, proc.pid)
        )  # the client's loop as cheap as the server's
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    met = all(
        figures[k] >= v if k == "contacts_per_s" else figures[k] <= v for k, v in GOALS.items()
    )
    print(f"goals {'met' if met else 'NOT met'}: {GOALS}")
    print(json.dumps({**figures, "goals_met": met}))


if __name__ == "__main__":
    main()

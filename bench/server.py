"""End-to-end server bench: HTTP arrivals, simulated agents, a live dashboard.

Starts the real server (`create_app`, uvicorn) in a subprocess on loopback
with SQLite (WAL, synchronous=FULL), a generated center of one e-mail queue
and enough agents that every arrival can be offered at once; then, for a
bounded time:

* an arrival stream POSTs contacts over HTTP (httpx async, bounded
  concurrency); a contact counts once its 201 came back (durable);
* simulated agents (a few async workers over HTTP) accept the offers they find
  and complete them, so the engine keeps handling the whole lifecycle;
* a dashboard client on `/tower/ws` receives the live snapshots.

Prints human lines, then as its LAST line JSON with `contacts_per_s`
(durably accepted), `p99_offer_ms` (POST sent → the 201 showing the contact
offered to an agent, durable) and `p99_staleness_ms` (oldest engine event of a
snapshot → snapshot received by the dashboard). Goals: >= 500 contacts/s,
p99 arrival → offer <= 50 ms, staleness p99 <= 1,000 ms.

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
import websockets  # noqa: E402

GOALS = {"contacts_per_s": 500, "p99_offer_ms": 50, "p99_staleness_ms": 1000}
SERVER = """
import sys, uvicorn
from pathlib import Path
from joignable.cli.demo import create_users
from joignable.web.app import create_app
from joignable.web.state import Settings
url, config, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
create_users(url)
app = create_app(Settings(database_url=url, config_path=config, secure_cookies=False,
                          secret="bench"))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
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
        lines.append(f"  - {{id: b{i:04d}, site: s{1 + i % 2}, capacity: {{email: 5}}}}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


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


async def run(args: argparse.Namespace, base: str) -> dict[str, float]:
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
                await client.post(
                    f"/api/agents/b{i:04d}/login", json={"ready": True}, headers=headers
                )

        await asyncio.gather(*(login(i) for i in range(args.agents)))

        # the dashboard: a supervisor's session cookie on /tower/ws
        page = await client.get("/login")
        csrf = page.cookies.get("joignable_csrf", "")
        await client.post(
            "/login",
            data={"username": "supervisor", "password": "supervisor-demo",
                  "csrf_token": csrf, "next": "/tower"},
        )  # fmt: skip
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        staleness: list[float] = []
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
                    oldest = json.loads(raw).get("oldest_at")
                    if oldest is not None:
                        staleness.append((received - oldest) * 1000)

        offer_ms: list[float] = []
        accepted = not_offered = failed = 0
        agent_actions = 0

        async def arrival(n: int) -> None:
            nonlocal accepted, not_offered, failed
            async with sem:
                sent = time.perf_counter()
                try:
                    r = await client.post(
                        "/api/contacts",
                        json={"channel": "email", "queue": "mail", "customer": f"k{n}"},
                        headers=headers,
                    )
                except httpx.HTTPError:
                    failed += 1
                    return
                done = time.perf_counter()
            if r.status_code != 201:
                failed += 1
                return
            accepted += 1
            if r.json().get("state") == "offered":
                offer_ms.append((done - sent) * 1000)
            else:
                not_offered += 1

        async def simulated_agent(worker: int) -> None:
            nonlocal agent_actions
            i = worker
            while not stop.is_set():
                agent = f"b{i % args.agents:04d}"
                i += args.workers
                r = await client.get(f"/api/agents/{agent}", headers=headers)
                if r.status_code != 200:
                    continue
                view = r.json()
                for cid in view["offered"][:2]:
                    await client.post(f"/api/agents/{agent}/offers/{cid}/accept", headers=headers)
                    agent_actions += 1
                for cid in view["connected"][:2]:
                    await client.post(
                        f"/api/agents/{agent}/contacts/{cid}/complete", headers=headers
                    )
                    agent_actions += 1

        board = asyncio.create_task(dashboard())
        agents = [asyncio.create_task(simulated_agent(w)) for w in range(args.workers)]
        await asyncio.sleep(0.5)
        print(f"arrivals for {args.seconds:.0f} s (concurrency {args.concurrency}) …", flush=True)
        started = time.perf_counter()
        n = 0
        pending: set[asyncio.Task[None]] = set()
        while time.perf_counter() - started < args.seconds:
            while len(pending) < args.concurrency:
                n += 1
                task = asyncio.create_task(arrival(n))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(0.001)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1.5)  # the last snapshots
        stop.set()
        await asyncio.gather(board, *agents, return_exceptions=True)

    rate = accepted / elapsed
    print(f"contacts accepted durably: {accepted} in {elapsed:.1f} s = {rate:.0f}/s "
          f"(failed {failed}, not offered at once {not_offered})")  # fmt: skip
    print(f"arrival → offer: p50 {sorted(offer_ms)[len(offer_ms) // 2]:.1f} ms, "
          f"p99 {p99(offer_ms):.1f} ms over {len(offer_ms)} offers")  # fmt: skip
    print(f"dashboard: {len(staleness)} snapshots with new events, staleness p50 "
          f"{sorted(staleness)[len(staleness) // 2]:.0f} ms, p99 {p99(staleness):.0f} ms, "
          f"max {max(staleness):.0f} ms")  # fmt: skip
    print(f"simulated agents: {agent_actions} accept/complete actions over HTTP")
    return {
        "contacts_per_s": round(rate, 1),
        "p99_offer_ms": round(p99(offer_ms), 2),
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
        figures = asyncio.run(run(args, base))
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

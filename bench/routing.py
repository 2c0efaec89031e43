"""Routing decisions per second: the indexed engine against the naive baseline.

A center of 2,000 agents and 20 skills (each agent 2–6 skills at random
levels; voice, chat and e-mail agents), one queue per skill, receives a
Poisson stream of contacts at about 95 % load; agents accept at once, handle
for an exponential time and complete; customers who wait too long abandon.
Every command goes through the real `Engine`; each routing decision (which
agent for this contact, which contact for this agent) is timed on its own.

The naive baseline is the same engine with `ReferenceRouter`, which scans every
agent and every waiting contact on each decision. It takes the identical
decisions (the property tests prove it), so it replays the same stream; it is
run on a shorter prefix of that stream because it is so much slower.

    python bench/routing.py [--arrivals N] [--naive-arrivals N] [--seed S]

Last line: JSON with decisions_per_s, p50_us, p99_us, naive_decisions_per_s,
ratio, store_events_per_s (durable appends of the engine's own events to
SQLite in batches of 1,000), commands_per_s (whole engine, events included).
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

_SRC = Path(__file__).resolve().parent.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from joignable.core import commands as cmd  # noqa: E402
from joignable.core.events import ContactOffered, Event  # noqa: E402
from joignable.core.model import (  # noqa: E402
    AgentSpec,
    Capacity,
    Channel,
    ContactSpec,
    QueueSpec,
)
from joignable.core.routing.engine import Engine  # noqa: E402
from joignable.core.routing.matching import IndexedRouter, ReferenceRouter  # noqa: E402
from joignable.journal import to_stored  # noqa: E402
from joignable.store import EventLog  # noqa: E402

AGENTS = 2_000
SKILLS = 20
LOAD = 0.95
AHT = {Channel.VOICE: 240.0, Channel.CHAT: 420.0, Channel.EMAIL: 600.0}
MIX = (Channel.VOICE, Channel.CHAT, Channel.EMAIL)  # agents: 60 %, 25 %, 15 %
PATIENCE = 180.0


def timed(router_cls: type) -> type:
    """A router class that records the duration of each decision in ns."""

    class Timed(router_cls):  # type: ignore[misc, valid-type]
        samples: list[int]

        def __init__(self, state: object) -> None:
            super().__init__(state)
            self.samples = []

        def agent_for(self, contact, queue):  # type: ignore[no-untyped-def]
            t = time.perf_counter_ns()
            agent = super().agent_for(contact, queue)
            self.samples.append(time.perf_counter_ns() - t)
            return agent

        def contact_for(self, agent, now):  # type: ignore[no-untyped-def]
            t = time.perf_counter_ns()
            contact = super().contact_for(agent, now)
            self.samples.append(time.perf_counter_ns() - t)
            return contact

    return Timed


def build_center(rng: random.Random) -> tuple[list[cmd.Command], dict[Channel, float]]:
    """Configuration commands, and the contact capacity per channel (contacts/s)."""
    skills = [f"s{i:02d}" for i in range(SKILLS)]
    commands: list[cmd.Command] = [
        cmd.ConfigureQueue(
            queue=QueueSpec(
                id=s,
                channels=frozenset(MIX),
                wrap_up=0,
                offer_timeout=20,
                aging_per_s=0.01,
            )
        )
        for s in skills
    ]
    rate: dict[Channel, float] = dict.fromkeys(MIX, 0.0)
    for i in range(AGENTS):
        r = rng.random()
        channel = Channel.VOICE if r < 0.6 else Channel.CHAT if r < 0.85 else Channel.EMAIL
        own = rng.sample(skills, rng.randint(2, 6))
        spec = AgentSpec(
            id=f"a{i:04d}",
            skills=tuple(sorted((s, rng.randint(1, 10)) for s in own)),
            languages=frozenset({"fr", "en"}) if rng.random() < 0.5 else frozenset({"fr"}),
            team=f"t{i % 40}",
            site=f"site{i % 3}",
            capacity=Capacity.only(channel),
        )
        commands.append(cmd.ConfigureAgent(agent=spec))
        commands.append(cmd.LogIn(agent_id=spec.id))
        slots = spec.capacity.limit(channel)
        rate[channel] += slots / AHT[channel]
    return commands, rate


def run(
    router_cls: type, arrivals: int, seed: int, keep_events: int = 0
) -> tuple[Engine, dict[str, float], list[Event]]:
    rng = random.Random(seed)
    setup, capacity = build_center(rng)
    engine = Engine(router=timed(router_cls))
    kept: list[Event] = []
    for c in setup:
        kept += engine.handle(c, 0.0)
    # arrival rate per channel: 95 % of that channel's capacity
    arrival_rate = {ch: LOAD * capacity[ch] for ch in MIX}
    total_rate = sum(arrival_rate.values())
    heap: list[tuple[float, int, str, str, str]] = []  # (time, seq, kind, contact, agent)
    seq = 0
    t = 0.0
    arrived = 0
    commands = 0
    offered: dict[str, str] = {}
    skills = [f"s{i:02d}" for i in range(SKILLS)]
    channels = list(MIX)
    weights = [arrival_rate[c] for c in channels]
    start = time.perf_counter()

    def handle(command: cmd.Command, now: float) -> list[Event]:
        nonlocal commands
        commands += 1
        out = engine.advance(now)
        with contextlib.suppress(cmd.CommandRejected):
            out += engine.handle(command, now)
        if keep_events and len(kept) < keep_events:
            kept.extend(out)
        for e in out:
            if isinstance(e, ContactOffered):
                offered[e.contact_id] = e.agent_id
        return out

    next_arrival = rng.expovariate(total_rate)
    while arrived < arrivals or heap:
        if arrived < arrivals and (not heap or next_arrival <= heap[0][0]):
            t = next_arrival
            next_arrival = t + rng.expovariate(total_rate)
            arrived += 1
            channel = rng.choices(channels, weights)[0]
            skill = rng.choice(skills)
            cid = f"c{arrived}"
            spec = ContactSpec(
                id=cid,
                channel=channel,
                queue=skill,
                skills=((skill, rng.randint(1, 5)),),
                language="fr" if rng.random() < 0.8 else "en",
                priority=rng.randint(0, 2),
            )
            handle(cmd.AddContact(contact=spec), t)
            seq += 1
            heapq.heappush(heap, (t + PATIENCE, seq, "abandon", cid, ""))
        else:
            t, _, kind, cid, agent = heapq.heappop(heap)
            if kind == "abandon":
                if cid in engine.contacts and cid not in offered:
                    handle(cmd.Abandon(contact_id=cid), t)
            elif kind == "complete":
                handle(cmd.Complete(contact_id=cid, agent_id=agent), t)
        # accept every new offer at once; schedule its completion
        while offered:
            cid, agent = offered.popitem()
            contact = engine.contacts.get(cid)
            if contact is None:
                continue
            handle(cmd.Accept(contact_id=cid, agent_id=agent), t)
            seq += 1
            done = t + rng.expovariate(1 / AHT[contact.channel])
            heapq.heappush(heap, (done, seq, "complete", cid, agent))
    elapsed = time.perf_counter() - start
    samples: list[int] = engine.router.samples  # type: ignore[attr-defined]
    samples.sort()
    n = len(samples)
    stats = {
        "arrivals": arrived,
        "commands": commands,
        "decisions": n,
        "decision_seconds": sum(samples) / 1e9,
        "decisions_per_s": n / (sum(samples) / 1e9),
        "p50_us": samples[n // 2] / 1000,
        "p99_us": samples[int(n * 0.99)] / 1000,
        "commands_per_s": commands / elapsed,
        "simulated_hours": t / 3600,
        "load": {ch.value: round(arrival_rate[ch] / capacity[ch], 3) for ch in MIX},
        "abandoned": engine.ended.get("abandoned", 0),
        "completed": engine.ended.get("completed", 0),
    }
    return engine, stats, kept


def store_rate(events: list[Event]) -> float:
    rows = to_stored(events)
    with tempfile.TemporaryDirectory(prefix="joignable-bench-") as folder:
        path = os.path.join(folder, "bench.db")
        with EventLog.open(path, tenant="bench") as log:
            start = time.perf_counter()
            for i in range(0, len(rows), 1000):
                log.append(rows[i : i + 1000])
            elapsed = time.perf_counter() - start
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", type=int, default=520_000)
    parser.add_argument("--naive-arrivals", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"indexed engine: {AGENTS} agents, {SKILLS} skills, {args.arrivals} arrivals ...")
    _, ours, events = run(IndexedRouter, args.arrivals, args.seed, keep_events=200_000)
    print(
        f"  {ours['decisions']:,} decisions, {ours['decisions_per_s']:,.0f}/s, "
        f"p50 {ours['p50_us']:.2f} µs, p99 {ours['p99_us']:.2f} µs; "
        f"{ours['commands']:,} commands at {ours['commands_per_s']:,.0f}/s (events included); "
        f"{ours['completed']:,} completed, {ours['abandoned']:,} abandoned "
        f"over {ours['simulated_hours']:.1f} simulated hours; offered load {ours['load']}"
    )
    print(f"naive baseline (scans everything), first {args.naive_arrivals} arrivals ...")
    _, naive, _ = run(ReferenceRouter, args.naive_arrivals, args.seed)
    _, prefix, _ = run(IndexedRouter, args.naive_arrivals, args.seed)
    print(
        f"  naive {naive['decisions_per_s']:,.0f} decisions/s; indexed on the same prefix "
        f"{prefix['decisions_per_s']:,.0f}/s"
    )
    rate = store_rate(events)
    print(f"durable appends of {len(events):,} engine events to SQLite: {rate:,.0f} events/s")
    result = {
        "decisions_per_s": round(ours["decisions_per_s"]),
        "p50_us": round(ours["p50_us"], 2),
        "p99_us": round(ours["p99_us"], 2),
        "naive_decisions_per_s": round(naive["decisions_per_s"]),
        "ratio": round(prefix["decisions_per_s"] / naive["decisions_per_s"], 1),
        "store_events_per_s": round(rate),
        "commands_per_s": round(ours["commands_per_s"]),
        "decisions": ours["decisions"],
        "arrivals_and_completions": ours["arrivals"] + ours["completed"],
        "agents": AGENTS,
        "skills": SKILLS,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

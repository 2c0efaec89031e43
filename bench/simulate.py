"""Simulator speed: 500 agents, 100,000 contacts in a 24-hour day, every channel.

Runs the day through the simulator (real routing engine + real KPI book) and prints
`sim_speed`, simulated seconds per wall-clock second (goal ≥ 10,000). As a
reference it runs, in the same process, a plain SimPy M/M/N model of the same day
(same arrivals per second, one pool of 500 servers, exponential service with the
same mean, no skills, no KPIs) and prints our speed relative to it.
Prints a few lines, then one JSON line last.
"""

from __future__ import annotations

import json
import random
import sys
import time

import simpy
import yaml

from joignable.sim.loader import parse_scenario
from joignable.sim.runner import simulate

CONTACTS, AGENTS, DAY = 100_000, 500, 86_400.0
MIX = {"voice": 0.5, "chat": 0.2, "email": 0.15, "sms": 0.1, "social": 0.05}
AHT = {"voice": 300.0, "chat": 600.0, "email": 480.0, "sms": 240.0, "social": 300.0}


def scenario() -> dict:
    per_interval = CONTACTS / 96
    queues = {ch: {"channels": [ch], "skills": {ch: 1}, "wrap_up": 120} for ch in MIX}
    queues["voice"]["channels"] = ["voice", "callback"]
    channels = {
        ch: {
            "handle_time": {"dist": "lognormal", "mean": AHT[ch], "cv": 0.8},
            "wrap_time": {"dist": "fixed", "mean": 15},
            "patience": {"dist": "exponential", "mean": 240 if ch == "voice" else 1800},
            "ring_time": 2,
        }
        for ch in MIX
    }
    day = {"start": "00:00", "end": "24:00"}
    return {
        "name": "bench day",
        "open": "00:00",
        "close": "24:00",
        "drain_minutes": 0,
        "channels": channels,
        "queues": queues,
        "traffic": [
            {"queue": ch, "channel": ch, "per_interval": {"00:00": per_interval * share}}
            for ch, share in MIX.items()
        ],
        "agents": {
            "voice": {"count": 380, "skills": {"voice": 5}, "capacity": {"voice": 1}, "shift": day},
            "digital": {
                "count": AGENTS - 380,
                "skills": {"chat": 5, "email": 5, "sms": 5, "social": 5, "voice": 2},
                "capacity": {"chat": 3, "email": 5, "sms": 5, "social": 5},
                "shift": day,
            },
        },
    }


def simpy_day(seed: int) -> tuple[float, int]:
    """Plain SimPy M/M/500 with the same arrival rate and mean handle time."""
    rng = random.Random(seed)
    mean_service = sum(MIX[ch] * (AHT[ch] + 15) for ch in MIX) / 3.0  # digital concurrency
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    done = [0]

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        with agents.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / mean_service))
            done[0] += 1

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        rate = CONTACTS / DAY
        while True:
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run(until=DAY)
    return time.perf_counter() - t0, done[0]


def main() -> None:
    sc = parse_scenario(yaml.safe_dump(scenario()), "bench")
    t0 = time.perf_counter()
    result = simulate(sc, seed=1)
    wall = time.perf_counter() - t0
    f = result.book.figures(result.end)["all"]
    speed = DAY / wall
    simpy_wall, simpy_done = simpy_day(1)
    simpy_speed = DAY / simpy_wall
    print(
        f"joignable: {result.arrivals} contacts, {result.commands} commands, {result.events} "
        f"events in {wall:.2f} s — SL {f.service_level:.3f}, occupancy {f.occupancy:.3f}",
        file=sys.stderr,
    )
    print(f"simpy M/M/{AGENTS}: {simpy_done} contacts in {simpy_wall:.2f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "simulate",
                "agents": AGENTS,
                "contacts": result.arrivals,
                "wall_s": round(wall, 3),
                "sim_speed": round(speed),
                "goal": 10_000,
                "simpy_wall_s": round(simpy_wall, 3),
                "simpy_sim_speed": round(simpy_speed),
                "speed_vs_simpy": round(speed / simpy_speed, 3),
                "contacts_per_s": round(result.arrivals / wall),
            }
        )
    )


if __name__ == "__main__":
    main()

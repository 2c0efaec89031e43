"""Multi-skill routing quality: 200 agents, 20 skills, 2–6 skills each, load 0.95.

The same arrivals (same seeds) are run twice on the real engine through the
simulator: once with the agents' own skills, once fully pooled (every agent has
every skill). Pooling is the best any router can do, so `asa_ratio` = ASA ours /
ASA pooled says how much the skill split costs. Goal: ≤ 1.15.

Traffic per skill is proportional to the agent time that skill can get (each agent
shares its time evenly among its skills), so the load is balanced and 0.95 overall.
Prints a few lines, then one JSON line last.
"""

from __future__ import annotations

import json
import random
import sys
import time

import yaml

from joignable.core.staffing import erlang_c
from joignable.sim.loader import parse_scenario
from joignable.sim.report import replication_figures, summarize
from joignable.sim.runner import simulate

AGENTS, SKILLS, LOAD, AHT = 200, 20, 0.95, 300.0
HOURS, REPLICATIONS, SEED = 24, 4, 2024
STRATEGY = sys.argv[1] if len(sys.argv) > 1 else "most_skilled"


def center(pooled: bool) -> dict:
    rng = random.Random(SEED)
    groups = {}
    supply = [0.0] * SKILLS
    for i in range(AGENTS):
        skills = sorted(rng.sample(range(SKILLS), rng.randint(2, 6)))
        for s in skills:
            supply[s] += 1.0 / len(skills)
        own = range(SKILLS) if pooled else skills
        groups[f"a{i:03d}"] = {
            "count": 1,
            # levels: the fewer skills, the stronger; most_skilled then spends specialists first
            "skills": {f"s{s:02d}": 10 - len(skills) for s in own},
            "capacity": {"voice": 1},
            "shift": {"start": "00:00", "end": f"{HOURS:02d}:00"},
        }
    traffic = [
        {
            "queue": "q",
            "channel": "voice",
            "skills": {f"s{s:02d}": 1},
            "per_interval": {"00:00": LOAD * supply[s] / AHT * 900},
        }
        for s in range(SKILLS)
    ]
    return {
        "name": "pooled" if pooled else "multi-skill",
        "open": "00:00",
        "close": f"{HOURS:02d}:00",
        "drain_minutes": 30,
        "channels": {
            "voice": {"handle_time": AHT, "wrap_time": {"dist": "fixed", "mean": 0}, "ring_time": 0}
        },
        "queues": {"q": {"channels": ["voice"], "wrap_up": 0, "strategy": STRATEGY}},
        "traffic": traffic,
        "agents": groups,
    }


def run(pooled: bool) -> tuple[dict, float, int]:
    scenario = parse_scenario(yaml.safe_dump(center(pooled)), "multiskill")
    t0 = time.perf_counter()
    results = [simulate(scenario, SEED, rep) for rep in range(REPLICATIONS)]
    wall = time.perf_counter() - t0
    figs = [replication_figures(r)["all"]["all"] for r in results]
    asa = summarize([f["asa"] for f in figs])
    return asa, wall, sum(r.arrivals for r in results)


def main() -> None:
    ours, wall_a, n = run(pooled=False)
    pooled, wall_b, _ = run(pooled=True)
    theory = erlang_c(LOAD * AGENTS, AGENTS, AHT, 20.0)
    print(
        f"multi-skill ASA {ours['mean']:.2f} s  [{ours['low']:.2f} … {ours['high']:.2f}]",
        file=sys.stderr,
    )
    print(
        f"pooled      ASA {pooled['mean']:.2f} s  [{pooled['low']:.2f} … {pooled['high']:.2f}]",
        file=sys.stderr,
    )
    print(f"Erlang C (pooled, M/M/{AGENTS}) ASA {theory.asa:.2f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "multiskill",
                "agents": AGENTS,
                "skills": SKILLS,
                "load": LOAD,
                "contacts": n,
                "asa_ours": ours["mean"],
                "asa_pooled": pooled["mean"],
                "asa_erlang_c_pooled": round(theory.asa, 3),
                "asa_ratio": round(ours["mean"] / pooled["mean"], 4),
                "goal": 1.15,
                "wall_s": round(wall_a + wall_b, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Which routing policy could bring multi-skill ASA near pooling? A policy study.

`bench/multiskill.py` measures the product (the real engine through the
simulator). This script answers a different question, fast: on the *same*
center (200 agents, 2–6 of 20 skills drawn with the same seed, load 0.95, the
same traffic), is there any routing policy that gets the ASA ratio to pooling
under the 1.15 goal? It is a deliberately small stand-alone M/M model — Poisson
arrivals per skill, exponential handle times, no ring, no wrap-up, voice only —
so that one replicated day costs about half a second and dozens of policies can
be compared on the same customers. It is not the product's router and nothing
imports it.

A policy is two choices:
  arrival side — a contact arrives and several free agents have its skill:
    `longest_idle`; `least_flexible` (the engine's: lowest sum over the agent's
    other skills of 1 / free agents with that skill, then fewest skills);
    `fewest_skills`; `coverage` (first keep the skills only this agent covers
    among the free ones).
  contact side — an agent frees and several of its skills have waiting
    contacts: `oldest` (the engine's: first come, first served); `longest_line`;
    `longest_line_per_agent` (line length / agents with the skill); `scarce_first`
    (the skill with the fewest agents); `max_wait_per_agent` (head wait / agents).
  plus a non-work-conserving probe, `hold`: an agent with 6 skills leaves a
  contact waiting for up to 10 s so that it stays free for scarce skills.

It also measures, for the engine's policy, the share of all waiting that happens
while some agent is idle (an agent free beside contacts of skills it lacks),
and sweeps the number of skills per agent, to show how the ratio depends on the
skill split rather than on the router.

    python bench/multiskill_policies.py [replications]

Prints one line per policy and one JSON line last.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import sys
import time
from collections import deque
from collections.abc import Callable

AGENTS, SKILLS, LOAD, AHT, HOURS, CENTER_SEED = 200, 20, 0.95, 300.0, 24, 2024

Line = deque[tuple[float, float]]  # (arrived, handle time)
PickAgent = Callable[[list[int], int], int]
PickSkill = Callable[[int, list[int], float], int]


def draw_center(low: int = 2, high: int = 6) -> tuple[list[list[int]], list[float]]:
    """The agents' skills and each skill's arrival rate, as bench/multiskill.py draws them."""
    rng = random.Random(CENTER_SEED)
    skills, supply = [], [0.0] * SKILLS
    for _ in range(AGENTS):
        own = sorted(rng.sample(range(SKILLS), rng.randint(low, high)))
        for s in own:
            supply[s] += 1.0 / len(own)
        skills.append(own)
    return skills, [LOAD * x / AHT for x in supply]


class Day:
    """One simulated day: `run(arrival_policy, contact_policy)` returns the ASA."""

    def __init__(self, skills: list[list[int]], rates: list[float], seed: int) -> None:
        self.skills, self.rates, self.seed = skills, rates, seed
        self.qualified = [sum(1 for own in skills if s in own) for s in range(SKILLS)]
        self.free_with = list(self.qualified)  # free agents per skill
        self.since: list[float] = [0.0] * len(skills)  # free since
        self.lines: list[Line] = [deque() for _ in range(SKILLS)]

    def run(self, pick_agent: str, pick_skill: str, hold: float = 0.0) -> float:
        rng = random.Random(self.seed)
        lam, end = sum(self.rates), HOURS * 3600.0
        agent_rule, skill_rule = self._agent_rule(pick_agent), self._skill_rule(pick_skill)
        free, lines, skills = set(range(len(self.skills))), self.lines, self.skills
        heap: list[tuple[float, int, int]] = [(rng.expovariate(lam), 0, -1)]
        seq, waits, total = 0, 0, 0.0
        waiting, last = 0, 0.0  # contacts in line; time of the previous event
        self.wait_time = self.wait_beside_idle = 0.0  # contact-seconds waited (beside idle agents)

        def start(agent: int, now: float, handle: float) -> None:
            nonlocal seq
            free.discard(agent)
            for s in skills[agent]:
                self.free_with[s] -= 1
            seq += 1
            heapq.heappush(heap, (now + handle, seq, agent))

        while heap:
            now, _, who = heapq.heappop(heap)
            self.wait_time += waiting * (now - last)
            if free:
                self.wait_beside_idle += waiting * (now - last)
            last = now
            if who == -1:  # an arrival
                if now > end:
                    continue
                u, s = rng.random() * lam, 0
                while u > self.rates[s] and s < SKILLS - 1:
                    u -= self.rates[s]
                    s += 1
                seq += 1
                heapq.heappush(heap, (now + rng.expovariate(lam), seq, -1))
                handle = rng.expovariate(1.0 / AHT)
                fits = [a for a in free if s in skills[a]]
                if fits:
                    start(agent_rule(fits, s), now, handle)
                    waits += 1
                else:
                    lines[s].append((now, handle))
                    waiting += 1
            elif who >= 0:  # an agent frees
                free.add(who)
                self.since[who] = now
                for s in skills[who]:
                    self.free_with[s] += 1
            if who == -1:
                continue  # an arrival either started or found no free agent for it
            # a freed (or holding) agent who may take a waiting contact does, or holds back
            for agent in sorted(free, key=lambda a: (len(skills[a]), self.since[a])):
                options = [s for s in skills[agent] if lines[s]]
                if not options:
                    continue
                s = skill_rule(agent, options, now)
                arrived, handle = lines[s][0]
                if hold and len(skills[agent]) == 6 and now - arrived < hold:
                    seq += 1
                    heapq.heappush(heap, (arrived + hold, seq, -2))  # look again then
                    continue
                lines[s].popleft()
                waiting -= 1
                total += now - arrived
                waits += 1
                start(agent, now, handle)
        return total / waits

    def _agent_rule(self, name: str) -> PickAgent:
        sk, fw, since = self.skills, self.free_with, self.since

        def spare(a: int, s: int) -> float:
            return sum(1.0 / fw[x] for x in sk[a] if x != s)

        rules: dict[str, PickAgent] = {
            "longest_idle": lambda c, s: min(c, key=lambda a: since[a]),
            "least_flexible": lambda c, s: min(
                c, key=lambda a: (spare(a, s), len(sk[a]), since[a])
            ),
            "fewest_skills": lambda c, s: min(c, key=lambda a: (len(sk[a]), since[a])),
            "coverage": lambda c, s: min(
                c,
                key=lambda a: (
                    sum(self.rates[x] for x in sk[a] if x != s and fw[x] == 1),
                    spare(a, s),
                    since[a],
                ),
            ),
        }
        return rules[name]

    def _skill_rule(self, name: str) -> PickSkill:
        lines, q = self.lines, self.qualified
        rules: dict[str, PickSkill] = {
            "oldest": lambda a, o, t: min(o, key=lambda s: lines[s][0][0]),
            "longest_line": lambda a, o, t: max(o, key=lambda s: (len(lines[s]), -lines[s][0][0])),
            "longest_line_per_agent": lambda a, o, t: max(
                o, key=lambda s: (len(lines[s]) / q[s], -lines[s][0][0])
            ),
            "scarce_first": lambda a, o, t: min(o, key=lambda s: (q[s], lines[s][0][0])),
            "max_wait_per_agent": lambda a, o, t: max(o, key=lambda s: (t - lines[s][0][0]) / q[s]),
        }
        return rules[name]


def asa(skills: list[list[int]], rates: list[float], seed: int, *policy: str, **kw: float) -> float:
    return Day(skills, rates, seed).run(*policy, **kw)


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    t0 = time.perf_counter()
    skills, rates = draw_center()
    pooled_skills = [list(range(SKILLS))] * AGENTS
    pooled = math.fsum(asa(pooled_skills, rates, r, "longest_idle", "oldest") for r in range(reps))
    print(f"pooled ASA {pooled / reps:.2f} s over {reps} days")
    results: dict[str, float] = {}
    policies = [
        (a, c)
        for a in ("longest_idle", "least_flexible", "fewest_skills", "coverage")
        for c in ("oldest", "longest_line", "longest_line_per_agent", "scarce_first")
    ] + [("least_flexible", "max_wait_per_agent")]
    for a, c in policies:
        ratio = math.fsum(asa(skills, rates, r, a, c) for r in range(reps)) / pooled
        results[f"{a}/{c}"] = round(ratio, 3)
        print(f"{a:>15} / {c:<24} asa_ratio {ratio:.3f}", flush=True)
    days = [Day(skills, rates, r) for r in range(reps)]
    for day in days:
        day.run("least_flexible", "oldest")
    beside = math.fsum(d.wait_beside_idle for d in days) / math.fsum(d.wait_time for d in days)
    print(f"least_flexible / oldest: {beside:.0%} of all waiting happens beside an idle agent")
    held = math.fsum(
        asa(skills, rates, r, "least_flexible", "oldest", hold=10.0) for r in range(reps)
    )
    results["least_flexible/oldest+hold"] = round(held / pooled, 3)
    print(f"{'least_flexible':>15} / {'oldest, holding 10 s':<24} asa_ratio {held / pooled:.3f}")
    sweep: dict[str, float] = {}
    for low, high in ((2, 6), (3, 7), (4, 8), (6, 10)):
        sk, rt = draw_center(low, high)
        ours = math.fsum(asa(sk, rt, r, "least_flexible", "oldest") for r in range(reps))
        base = math.fsum(asa(pooled_skills, rt, r, "longest_idle", "oldest") for r in range(reps))
        sweep[f"{low}-{high}"] = round(ours / base, 3)
        print(
            f"{low}–{high} skills per agent (least_flexible / oldest): asa_ratio {ours / base:.3f}"
        )
    best = min(results, key=results.__getitem__)
    print(
        json.dumps(
            {
                "bench": "multiskill_policies",
                "replications": reps,
                "pooled_asa": round(pooled / reps, 3),
                "asa_ratio": results,
                "best": best,
                "best_ratio": results[best],
                "engine_policy": results["least_flexible/oldest"],
                "skills_per_agent_sweep": sweep,
                "waiting_beside_idle_agents": round(beside, 3),
                "goal": 1.15,
                "wall_s": round(time.perf_counter() - t0, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

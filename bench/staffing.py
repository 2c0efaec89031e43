"""Staffing speed: joignable's Erlang C search against pyworkforce, same process, same inputs.

Target: SL 80 % answered within 20 s, AHT 180 s, loads 1 … 10,000 Erlangs. Both must give
the same number of agents; we time the staffing call of each, per call. pyworkforce
(a bench-only dependency) evaluates Erlang B with an O(N) loop and steps one agent at a
time from the traffic upwards, so it is O(N·√N) per call; ours is O(√N).

Prints a few human lines, then, as the last line, one JSON object:
our_ms (staffing at 10,000 Erlangs), peer_ms (pyworkforce per call over the range it
handles), ratio (peer / ours on those same inputs), and details.

Run: .venv/bin/python bench/staffing.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

from joignable.core.planning.staffing import staff

AHT_S = 180.0
SL_TARGET = 0.8
SL_SECONDS = 20.0
LOADS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000]
PEER_BUDGET_S = 2.0  # a single peer call slower than this ends the comparable range


def per_call_ms(fn: Callable[[], object], min_time_s: float = 0.05, max_runs: int = 2_000) -> float:
    """Median per-call time in ms over batches that together last about min_time_s."""
    fn()  # warm-up
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    batch = max(1, min(max_runs, int(0.01 / max(once, 1e-9))))
    samples: list[float] = []
    spent = 0.0
    while spent < min_time_s or len(samples) < 3:
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed / batch)
        spent += elapsed
        if len(samples) >= 50:
            break
    return statistics.median(samples) * 1e3


def ours(load: float) -> int:
    return staff(load, AHT_S, service_level=SL_TARGET, threshold=SL_SECONDS).agents


def main() -> None:
    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:  # pragma: no cover - bench-only dependency
        print("pyworkforce is missing: pip install -e '.[bench]'", file=sys.stderr)
        raise SystemExit(2) from None

    def peer(load: float) -> int:
        # pyworkforce works in minutes: load Erlangs = transactions / interval × aht.
        model = ErlangC(
            transactions=load * 30 / (AHT_S / 60),
            aht=AHT_S / 60,
            asa=SL_SECONDS / 60,
            interval=30,
        )
        return int(model.required_positions(service_level=SL_TARGET)["raw_positions"])

    print(f"staffing to SL {SL_TARGET:.0%} within {SL_SECONDS:g} s, AHT {AHT_S:g} s")
    print(f"{'Erlangs':>8} {'agents':>7} {'peer':>7} {'ours ms':>9} {'peer ms':>9} {'ratio':>7}")
    mismatches: list[float] = []
    our_times: dict[float, float] = {}
    peer_times: dict[float, float] = {}
    peer_limit: float | None = None
    for load in LOADS:
        agents = ours(load)
        our_times[load] = per_call_ms(lambda load=load: ours(load))
        peer_agents: int | None = None
        if peer_limit is None:
            start = time.perf_counter()
            try:
                peer_agents = peer(load)
            except (OverflowError, ZeroDivisionError) as exc:
                peer_limit = load
                print(f"{load:>8g} pyworkforce fails ({type(exc).__name__}); compared below")
            else:
                if time.perf_counter() - start > PEER_BUDGET_S:
                    peer_limit = load
                peer_times[load] = per_call_ms(lambda load=load: peer(load), min_time_s=0.2)
                if peer_agents != agents:
                    mismatches.append(load)
        shown = "-" if peer_agents is None else str(peer_agents)
        p_ms = peer_times.get(load)
        ratio = "-" if p_ms is None else f"{p_ms / our_times[load]:.1f}x"
        p_txt = "-" if p_ms is None else f"{p_ms:.3f}"
        print(f"{load:>8g} {agents:>7} {shown:>7} {our_times[load]:>9.3f} {p_txt:>9} {ratio:>7}")

    compared = [load for load in LOADS if load in peer_times]
    peer_total = sum(peer_times[load] for load in compared)
    our_total = sum(our_times[load] for load in compared)
    peer_ms = peer_total / len(compared)
    ratio = peer_total / our_total
    our_ms = our_times[10_000]
    big = {load: per_call_ms(lambda load=load: ours(load)) for load in (100_000, 1_000_000)}
    erlang_a_ms = per_call_ms(
        lambda: staff(10_000, AHT_S, service_level=SL_TARGET, threshold=SL_SECONDS, patience=300.0)
    )
    print(
        f"compared on {compared[0]:g}..{compared[-1]:g} Erlangs"
        + (
            " (pyworkforce handled the whole range)"
            if peer_limit is None
            else f" (pyworkforce too slow or failing from {peer_limit:g} Erlangs on)"
        )
        + f": same agents {'everywhere' if not mismatches else f'except at {mismatches}'}"
    )
    faster = [load for load in compared if peer_times[load] < our_times[load]]
    if faster:
        print(
            f"pyworkforce is faster per call up to {faster[-1]:g} Erlangs "
            f"(its O(N) loop is short there; both take under "
            f"{max(our_times[load] for load in faster):.3f} ms)"
        )
    print(
        f"ours at 10,000 Erlangs: {our_ms:.3f} ms (goal <= 1 ms); "
        f"pyworkforce {peer_times.get(10_000, float('nan')):.1f} ms there; "
        f"over the range pyworkforce is {ratio:.0f}x slower (goal >= 5x)"
    )
    print(
        f"ours beyond: 100,000 Erlangs {big[100_000]:.3f} ms, 1,000,000 Erlangs "
        f"{big[1_000_000]:.3f} ms; Erlang A (patience 300 s) at 10,000: {erlang_a_ms:.2f} ms"
    )
    result = {
        "our_ms": round(our_ms, 4),
        "peer_ms": round(peer_ms, 4),
        "ratio": round(ratio, 1),
        "ratio_at_10000": round(peer_times[10_000] / our_ms, 1) if 10_000 in peer_times else None,
        "peer_ms_at_10000": round(peer_times[10_000], 3) if 10_000 in peer_times else None,
        "compared_loads": compared,
        "same_agents": not mismatches,
        "mismatched_loads": mismatches,
        "agents_at_10000": ours(10_000),
        "our_ms_100000": round(big[100_000], 4),
        "our_ms_1000000": round(big[1_000_000], 4),
        "our_erlang_a_ms_10000": round(erlang_a_ms, 3),
        "peer": "pyworkforce.queuing.ErlangC",
        "target": "SL 80/20, AHT 180 s",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

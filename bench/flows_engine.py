"""Flow engine steps per second: the pure engine walking the example main flow.

Each call walks one scripted caller through `examples/flows/main.yaml` with the
real engine (`start` then one `step` per input), cycling through the scripts of
`main.tests.yaml` (every branch: menus, retries, lookups, callbacks, deflection,
hours and holidays); a "step" is one `start` or `step` call. No I/O happens in the
loop: the flow and scripts are loaded once. The server part (publish-to-live
through the real server) comes with `bench/flows.py`.

    python bench/flows_engine.py [--seconds S]

Last line: JSON with flow_steps_per_s, nodes_per_s (nodes entered), calls.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from joignable.core.flows.actions import Entered
from joignable.core.flows.engine import start, step
from joignable.flowtest import load_scripts, script_context, script_inputs
from joignable.schema.flow import load_flow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "flows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to run")
    args = parser.parse_args()
    flow = load_flow(EXAMPLES / "main.yaml")
    cases = []
    for s in load_scripts(EXAMPLES / "main.tests.yaml"):
        cases.append((script_context(flow, s), script_inputs(s)))
    steps = nodes = calls = 0
    began = time.perf_counter()
    deadline = began + args.seconds
    while time.perf_counter() < deadline:
        for ctx, inputs in cases:
            session, actions = start(flow, ctx)
            steps += 1
            nodes += sum(isinstance(x, Entered) for x in actions)
            for inp in inputs:
                if session.done:
                    break
                session, actions = step(flow, session, inp, ctx)
                steps += 1
                nodes += sum(isinstance(x, Entered) for x in actions)
            calls += 1
    elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "flow_steps_per_s": round(steps / elapsed),
                "nodes_per_s": round(nodes / elapsed),
                "calls": calls,
                "seconds": round(elapsed, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

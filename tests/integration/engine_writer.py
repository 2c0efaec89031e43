"""A writer process for the crash test: engine + durable log, acknowledging batches.

Usage: python engine_writer.py DB_PATH SEED
For each command it appends the events durably, then prints one JSON line
{"seq": last acknowledged seq, "waiting": {queue: [contact ids in order]}}.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys

from joignable.core import commands as cmd
from joignable.core.commands import CommandRejected
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import ContactState, InvalidTransition
from joignable.journal import to_stored
from joignable.store import EventLog


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    engine = Engine()
    with EventLog.open(path) as log:

        def do(command: cmd.Command, now: float) -> None:
            out = engine.advance(now)
            with contextlib.suppress(CommandRejected, InvalidTransition):
                out += engine.handle(command, now)
            if out:
                log.append(to_stored(out))
            waiting = {q: [e[3] for e in s.waiting] for q, s in engine.queues.items()}
            print(json.dumps({"seq": engine.seq, "waiting": waiting}), flush=True)

        for q in ("billing", "support"):
            do(cmd.ConfigureQueue(queue=QueueSpec(id=q, aging_per_s=0.1, wrap_up=5)), 0)
        for i in range(4):
            spec = AgentSpec(id=f"a{i}", capacity=Capacity.only(Channel.VOICE))
            do(cmd.ConfigureAgent(agent=spec), 0)
            do(cmd.LogIn(agent_id=spec.id), 0)
        now = 0.0
        n = 0
        while True:  # until killed
            now += rng.choice([0.5, 1, 2])
            n += 1
            r = rng.random()
            if r < 0.6:
                spec = ContactSpec(
                    id=f"c{n}",
                    channel=Channel.VOICE,
                    queue=rng.choice(["billing", "support"]),
                    priority=rng.randint(0, 2),
                )
                do(cmd.AddContact(contact=spec), now)
            else:
                busy = [c for c in engine.contacts.values() if c.state is not ContactState.WAITING]
                if busy:
                    c = rng.choice(busy)
                    if c.state is ContactState.OFFERED:
                        do(cmd.Accept(contact_id=c.id, agent_id=c.agent), now)
                    elif c.state is ContactState.CONNECTED:
                        do(cmd.Complete(contact_id=c.id, agent_id=c.agent), now)
                    else:
                        do(cmd.FinishWrapUp(contact_id=c.id, agent_id=c.agent), now)
                else:
                    do(cmd.Tick(), now)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

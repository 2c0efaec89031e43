"""Agents by state for each queue, channel, site and outsourcer of the tower.

Why: a supervisor looking at a queue that is falling behind asks first who
could take its contacts and what they are doing. This module answers that for
every row of the control tower at once, from the agents and their states (the
live hub reads them once per engine event).

An agent counts
  * under a queue when it may take that queue's contacts: the queue is in its
    queue list (an empty list: every queue) and it serves at least one of the
    queue's channels (a limit above 0 in its capacity);
  * under each channel it serves;
  * under its site and its outsourcer ("-" when it names none, as in the KPI
    book).
Offline agents take nothing and are counted nowhere here (the center-wide
count by state includes them). The routing steps' site / team restrictions
are not applied: they change with the contact's wait, and every agent counted
under a queue takes its contacts at some step or on a transfer.

Cost: one pass over the agents, which are grouped by (queue list, channels);
then each group is spread over its queues. At most O(agents × their queues),
and in practice O(agents + groups × queues), as most agents share a profile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from ..model import Channel
from ..routing.lifecycle import AgentActivity
from ..routing.runtime import Agent
from .agent_time import UNASSIGNED

#: the states counted, in the order the tower shows them
STATES: tuple[str, ...] = (
    AgentActivity.AVAILABLE.value,
    AgentActivity.RESERVED.value,
    AgentActivity.BUSY.value,
    AgentActivity.WRAP_UP.value,
    AgentActivity.NOT_READY.value,
)
_OFFLINE = AgentActivity.OFFLINE.value

Counts = dict[str, int]
Rows = dict[str, dict[str, Counts]]


def _zero() -> Counts:
    return dict.fromkeys(STATES, 0)


def _merge(into: Counts, counts: Counts) -> None:
    for state, n in counts.items():
        into[state] += n


def agents_by_row(
    agents: Iterable[tuple[Agent, str]], queues: Mapping[str, Collection[Channel]]
) -> Rows:
    """{"queue"|"channel"|"site"|"outsourcer": {member: {state: count}}} of
    `agents` (agent, its activity), with the channels each queue takes
    (`queues`: queue id -> channels). Every queue of `queues` has a row (zeros
    when nobody may take it); channels, sites and outsourcers have one when
    an agent counts there. Each row holds every state of `STATES`."""
    groups: dict[tuple[frozenset[str], tuple[Channel, ...]], Counts] = {}
    sites: dict[str, Counts] = {}
    outsourcers: dict[str, Counts] = {}
    for agent, state in agents:
        if state == _OFFLINE or state not in STATES:
            continue
        key = (agent.queues, agent.channels)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _zero()
        group[state] += 1
        site = sites.get(agent.site or UNASSIGNED)
        if site is None:
            site = sites[agent.site or UNASSIGNED] = _zero()
        site[state] += 1
        outsourcer = outsourcers.get(agent.outsourcer or UNASSIGNED)
        if outsourcer is None:
            outsourcer = outsourcers[agent.outsourcer or UNASSIGNED] = _zero()
        outsourcer[state] += 1
    by_queue: dict[str, Counts] = {q: _zero() for q in queues}
    by_channel: dict[str, Counts] = {}
    for (names, channels), counts in groups.items():
        for channel in channels:
            row = by_channel.get(channel.value)
            if row is None:
                row = by_channel[channel.value] = _zero()
            _merge(row, counts)
        for queue in names or queues:
            taken = queues.get(queue)
            if taken is not None and any(channel in taken for channel in channels):
                _merge(by_queue[queue], counts)
    return {
        "queue": dict(sorted(by_queue.items())),
        "channel": dict(sorted(by_channel.items())),
        "site": dict(sorted(sites.items())),
        "outsourcer": dict(sorted(outsourcers.items())),
    }

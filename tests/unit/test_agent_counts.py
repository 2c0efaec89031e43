"""core/kpis/agent_counts.py: who counts under which row of the control tower."""

from __future__ import annotations

from joignable.core.kpis.agent_counts import STATES, agents_by_row
from joignable.core.model import AgentSpec, Capacity, Channel
from joignable.core.routing.runtime import Agent


def counts(**n: int) -> dict[str, int]:
    return {state: n.get(state, 0) for state in STATES}


def test_an_agent_counts_under_the_queues_it_may_take_and_its_channels_site_outsourcer() -> None:
    phone = Capacity.only(Channel.VOICE)
    agents = [
        (Agent(AgentSpec(id="a", site="paris", capacity=phone)), "available"),  # every queue
        (
            Agent(AgentSpec(id="b", site="paris", queues=frozenset({"sales"}), capacity=phone)),
            "busy",
        ),
        (
            Agent(AgentSpec(id="c", outsourcer="acme", capacity=Capacity.only(Channel.CHAT))),
            "wrap_up",
        ),
        (Agent(AgentSpec(id="d", site="lyon", capacity=phone)), "offline"),  # counted nowhere
    ]
    queues = {
        "sales": {Channel.VOICE},
        "support": {Channel.VOICE, Channel.CHAT},
        "web": {Channel.CHAT},
    }
    rows = agents_by_row(agents, queues)
    assert rows["queue"] == {
        "sales": counts(available=1, busy=1),
        "support": counts(available=1, wrap_up=1),  # b may not take it
        "web": counts(wrap_up=1),  # a serves no chat
    }
    assert rows["channel"] == {"voice": counts(available=1, busy=1), "chat": counts(wrap_up=1)}
    assert rows["site"] == {"paris": counts(available=1, busy=1), "-": counts(wrap_up=1)}
    assert rows["outsourcer"] == {"-": counts(available=1, busy=1), "acme": counts(wrap_up=1)}
    # a queue the agent lists but that is not configured (yet) is ignored
    ghost = [(Agent(AgentSpec(id="e", queues=frozenset({"gone"}), capacity=phone)), "available")]
    assert agents_by_row(ghost, queues)["queue"] == {q: counts() for q in queues}

"""What the control tower lists and what a scoped supervisor may see of it.

Why a module of its own: the agents, their counts by state and the waiting
lines are read from the read side once per engine event and shared by every
client of one push; a scoped supervisor's picture is the same snapshot cut to
their queues, sites and outsourcers by the web layer's own rules (a `Scope`,
`service/scope.py`). The hub (`service/live.py`) builds the snapshot with
these views and sends what `view` makes of it; nothing here sends anything.

Clients of one scope with one filter share a message; the agents and their
states are read once per engine event (`Roster`, in `service/roster.py` with
the filter), each scope's agents picked once from them and counted by state
for every row once (`core/kpis/agent_counts.py`), so a push stays a pass over
the agents per scope and per filter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from joignable.core.alerts.rules import AlertRule
from joignable.core.kpis.agent_counts import agents_by_row
from joignable.core.routing.lifecycle import ContactState
from joignable.core.routing.runtime import Agent, Contact
from joignable.service.live_needed import with_logged_in
from joignable.service.live_status import figure_statuses
from joignable.service.readside import ReadSide
from joignable.service.roster import EVERYONE, AgentFilter, Roster
from joignable.service.scope import Scope, scoped_figures, scoped_rows

#: the tower lists this many of each queue's longest-waiting contacts
MAX_WAITING_PER_QUEUE = 20
#: the tower lists this many agents (of those its filter matches, in id order);
#: the counts cover every agent the supervisor may see
MAX_AGENTS_LISTED = 300


class LiveViews:
    """The agents, waiting lines and scoped views of the durable center `read`."""

    def __init__(
        self, read: ReadSide, rules: Callable[[], Sequence[AlertRule]] = lambda: ()
    ) -> None:
        self.read = read
        self.rules = rules  # the alert rules in force (they judge the figures' statuses)
        self._agent_ids: set[str] = set()
        self._agent_order: list[str] = []  # agent ids, sorted, while the set is the same
        self._roster: Roster | None = None
        self._waiting_at: tuple[tuple[float, int], list[Contact]] = ((float("nan"), -1), [])

    def _agents_by_id(self) -> Iterator[Agent]:
        """Every agent, in id order (sorted again only when the set changed)."""
        agents = self.read.center.agents
        if self._agent_ids != agents.keys():
            self._agent_ids = set(agents)
            self._agent_order = sorted(agents)
        return (agents[agent_id] for agent_id in self._agent_order)

    def _roster_now(self) -> Roster:
        """Every agent and its state, in id order, as the engine stands (kept
        until its next event: heartbeats and every view of a push share it)."""
        engine = self.read.center
        roster = self._roster
        if roster is None or roster.seq != engine.seq:
            agents = [(agent, agent.activity) for agent in self._agents_by_id()]
            roster = self._roster = Roster(engine.seq, agents)
        return roster

    def agents(self, scope: Scope | None = None, find: AgentFilter = EVERYONE) -> dict[str, Any]:
        """The agents `scope` may see (None: all): counted by state (`by_state`,
        `total`), those `find` matches counted (`matching`) and the first
        `MAX_AGENTS_LISTED` of them listed in id order (`list`, `listed_max`).
        A scope's agents are picked once per engine state, a row built once."""
        roster = self._roster_now()
        members, by_state = self._scoped_agents(roster, scope)
        matched = [m for m in members if find.matches(*m)] if find else members
        return {
            "by_state": by_state,
            "list": [roster.row(agent, state) for agent, state in matched[:MAX_AGENTS_LISTED]],
            "total": len(members),
            "matching": len(matched),
            "listed_max": MAX_AGENTS_LISTED,
            "filter": {"find": find.find, "state": find.state},
        }

    def _scoped_agents(
        self, roster: Roster, scope: Scope | None
    ) -> tuple[list[tuple[Agent, str]], dict[str, int]]:
        """The agents `scope` may see (None: all) and their count by state,
        picked once per engine state and scope."""
        key = None if scope is None else scope.key
        mine = roster.scoped.get(key)
        if mine is None:
            members = roster.agents
            if scope is not None:
                members = [(agent, state) for agent, state in members if scope.agent(agent.spec)]
            by_state: dict[str, int] = {}
            for _, state in members:
                by_state[state] = by_state.get(state, 0) + 1
            mine = roster.scoped[key] = (members, dict(sorted(by_state.items())))
        return mine

    def agent_states(self, scope: Scope | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """The agents `scope` may see (None: all) by state, for each queue,
        channel, site and outsourcer (`core/kpis/agent_counts.py`), counted once per
        engine state and scope: one pass over those agents. Not yet cut to the
        rows the scope may see (`view` does)."""
        roster = self._roster_now()
        key = None if scope is None else scope.key
        rows = roster.by_row.get(key)
        if rows is None:
            members, _ = self._scoped_agents(roster, scope)
            queues = {q: s.spec.channels for q, s in self.read.center.queues.items()}
            rows = roster.by_row[key] = agents_by_row(members, queues)
        return rows

    def _waiting_contacts(self, now: float) -> list[Contact]:
        """The contacts waiting at `now`, longest first (kept while the engine and
        `now` stay the same: every client of one push reads the same list)."""
        engine = self.read.center
        at, waiting = self._waiting_at
        if at != (now, engine.seq):
            waiting = [c for c in engine.contacts.values() if c.state is ContactState.WAITING]
            waiting.sort(key=lambda c: c.entered)
            self._waiting_at = ((now, engine.seq), waiting)
        return waiting

    def waiting(self, now: float, queues: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The `MAX_WAITING_PER_QUEUE` longest-waiting contacts of each queue (of
        `queues` only, when given), longest first: a pass over those waiting, cut
        short once every queue has its share."""
        listed: list[dict[str, Any]] = []
        per_queue: dict[str, int] = {}
        known = self.read.center.queues if queues is None else queues
        lines = len(known)
        full = 0
        for c in self._waiting_contacts(now):
            if full >= lines:
                break
            if c.state is not ContactState.WAITING or (
                queues is not None and c.queue not in queues
            ):
                continue
            n = per_queue.get(c.queue, 0)
            if n >= MAX_WAITING_PER_QUEUE:
                continue
            per_queue[c.queue] = n + 1
            if n + 1 == MAX_WAITING_PER_QUEUE and c.queue in known:
                full += 1
            listed.append(
                {
                    "id": c.id,
                    "queue": c.queue,
                    "channel": c.channel.value,
                    "priority": c.priority,
                    "waited": round(now - c.entered, 1),
                }
            )
        return listed

    def view(
        self, snapshot: dict[str, Any], scope: Scope | None = None, find: AgentFilter = EVERYONE
    ) -> dict[str, Any]:
        """`snapshot` as a supervisor of `scope` (None: unscoped) may see it, with
        the agents `find` matches. Agents and waiting contacts are read from the
        engine: call it right after building `snapshot` (the push does).

        In scope: the queues `scope.queue` admits, with their waiting contacts,
        standby, alerts and agents needed now (beside the agents they see
        there); the sites and outsourcers `scope.site` /
        `scope.outsourcer` admit, with their alerts; the throttles whose queue
        and site queue are in scope; their agents, counted in full. The summary
        (`center`) and the channel rows are their queues' figures together
        (`service/scope.py`). Alerts on the center or a channel (the whole
        center's figures) are not shown."""
        if scope is None:
            return snapshot if not find else {**snapshot, "agents": self.agents(None, find)}
        dims_of = snapshot["figures"]
        candidates = set(self.read.center.queues)
        for dims in dims_of.values():
            candidates.update(dims.get("queue", {}))
        queues = {q for q in candidates if scope.queue(q)}
        now = snapshot["at"]
        lines: dict[str, tuple[int, float]] = {}  # channel -> waiting, longest (oldest first)
        for c in self._waiting_contacts(now):
            if c.state is ContactState.WAITING and c.queue in queues:
                n, longest = lines.get(c.channel.value, (0, max(now - c.entered, 0.0)))
                lines[c.channel.value] = (n + 1, longest)
        figures = {w: scoped_figures(dims, scope, queues, lines) for w, dims in dims_of.items()}
        out = dict(snapshot)
        out["figures"] = figures
        out["agents"] = self.agents(scope, find)
        out["agent_states"] = scoped_rows(self.agent_states(scope), scope, queues)
        # the staffing of their queues, beside the agents they see there
        needed = {q: f for q, f in snapshot.get("needed", {}).items() if q in queues}
        out["needed"] = with_logged_in(needed, out["agent_states"].get("queue", {}))
        out["waiting"] = self.waiting(now, queues)
        standby = snapshot["standby"]
        out["standby"] = {**standby, "queues": [q for q in standby["queues"] if q in queues]}
        alerts = snapshot["alerts"]
        out["alerts"] = {
            part: [a for a in items if scope.sees_alert(a, queues)]
            for part, items in alerts.items()
        }
        # the rows are rebuilt from their queues: judged again, on what they see
        active = out["alerts"]["active"]
        out["statuses"] = figure_statuses(figures, self.read, self.rules(), active, queues)
        throttles = snapshot.get("throttles")
        if throttles is not None:
            out["throttles"] = {
                part: [t for t in items if scope.sees_throttle(t, queues)]
                for part, items in throttles.items()
            }
        out["scoped"] = True  # the summary and channel rows are its queues together
        return out

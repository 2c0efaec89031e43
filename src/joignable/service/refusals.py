"""Refusals shared by the desk and supervision use cases.

Why a module of its own: an agent's action, a supervisor's move and a
customer leaving all name agents, contacts, queues…; each use case refuses
an unknown one, or a contact that is not the acting agent's, with the same
errors, so every caller (the HTTP API, a SIP adapter, a chat widget) maps
them once: `Unknown` is "no such thing" (HTTP 404), `NotYourContact` a
contact held by someone else or no longer held at all (HTTP 409). A command
the engine refuses on its own stays the engine's `CommandRejected` or the
lifecycle's `InvalidTransition` (wrong state), let through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from joignable.core import events as ev


class Refused(Exception):
    """A use case refused its input before anything was submitted."""


class Unknown(Refused):
    """The input names something the center does not have (HTTP 404)."""


class UnknownAgent(Unknown):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent {agent_id!r}")
        self.agent_id = agent_id


class UnknownContact(Unknown):
    def __init__(self, contact_id: str) -> None:
        super().__init__(f"no contact {contact_id!r}")
        self.contact_id = contact_id


class UnknownTarget(Unknown):
    """A queue, site, team or skill named by an action does not exist."""

    def __init__(self, kind: str, name: str, where: str = "") -> None:
        super().__init__(f"no {kind} {name!r}{where}")
        self.kind = kind
        self.name = name


class NotYourContact(Refused):
    """The contact is not (or no longer) with the agent acting on it (HTTP 409)."""

    def __init__(self, contact_id: str, agent_id: str, ended: bool = False) -> None:
        tail = " (it has ended)" if ended else ""
        super().__init__(f"contact {contact_id} is not with agent {agent_id}{tail}")
        self.contact_id = contact_id
        self.agent_id = agent_id


@dataclass(frozen=True, slots=True)
class Acted:
    """An accepted action: the events it caused, durable (and already folded
    into the read side) when the use case returns."""

    events: tuple[ev.Event, ...]

    @property
    def seq(self) -> int | None:
        """The sequence number of the last event, None when nothing changed."""
        return self.events[-1].seq if self.events else None

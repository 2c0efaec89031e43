# Why: a caller's place in a flow is state of the single writer: it is logged, and
# after a restart the caller goes on where they were. So a session is a small frozen
# value that turns into plain JSON and back, naming the flow version it runs on
# (a caller already in a flow finishes on their version when a new one is published).
"""The caller's place in a flow, as a value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Session", "Value"]

#: A flow variable's value: what JSON holds as a scalar.
Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Session:
    """Where a caller is: flow id and version, the current node, the variables
    ((name, value) pairs, sorted), how many times the current node re-prompted, when
    the session started (epoch s), and whether it ended with which outcome."""

    flow: str
    version: str
    node: str
    variables: tuple[tuple[str, Value], ...]
    retries: int
    started_at: float
    done: bool = False
    outcome: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The session as a JSON-serialisable dict."""
        return {
            "flow": self.flow,
            "version": self.version,
            "node": self.node,
            "variables": dict(self.variables),
            "retries": self.retries,
            "started_at": self.started_at,
            "done": self.done,
            "outcome": self.outcome,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Session:
        """The session of `to_dict`'s output. Raises ValueError naming a bad field."""
        if not isinstance(data, dict):
            raise ValueError("a session is a mapping")
        for key, kind in (("flow", str), ("version", str), ("node", str), ("outcome", str)):
            if not isinstance(data.get(key), kind):
                raise ValueError(f"session field {key!r} must be text")
        variables = data.get("variables")
        if not isinstance(variables, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool))
            for k, v in variables.items()
        ):
            raise ValueError("session field 'variables' must map names to scalars")
        retries, started = data.get("retries"), data.get("started_at")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ValueError("session field 'retries' must be a count")
        if not isinstance(started, int | float) or isinstance(started, bool):
            raise ValueError("session field 'started_at' must be epoch seconds")
        if not isinstance(data.get("done"), bool):
            raise ValueError("session field 'done' must be true or false")
        return cls(
            data["flow"], data["version"], data["node"], tuple(sorted(variables.items())),
            retries, float(started), data["done"], data["outcome"],
        )  # fmt: skip

# Why: the twin's IVR used to be a probability (`ivr_message`, `self_service_link`);
# with flows it walks the very flow callers hear (decision 0004: the simulator drives
# the real engine). What the flow cannot say — how simulated callers answer its
# prompts — is the caller model, written next to the flow in the scenario and
# checked against the flow's own nodes, so a misspelt node or key is reported with
# its file, line and the name probably meant, like the rest of the scenario.
"""The scenario's `flows:` part: which traffic walks which flow, and the caller model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from joignable.core.flows import model as fm
from joignable.core.model import Channel
from joignable.schema.fields import unknown

__all__ = [
    "CallerModel",
    "FlowModel",
    "LookupAnswer",
    "LookupAnswers",
    "check_flow",
    "flow_queues",
]


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("share must be between 0 and 1")
    return value


Share = Annotated[float, AfterValidator(_share)]
NonNegative = Annotated[float, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
#: A cross-field fault before it is located: (location, message).
Finding = tuple[tuple[str | int, ...], str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupAnswer(_Strict):
    """A share of callers whose CRM lookup answers `data` (e.g. `{tier: vip}`)."""

    share: Share
    data: dict[str, Any] = {}


class LookupAnswers(_Strict):
    """What a lookup node gets: `fail` of them fail (the fallback branch), each
    answer its share, the rest an empty answer (a caller the CRM does not know)."""

    fail: Share = 0.0
    answers: list[LookupAnswer] = []


class CallerModel(_Strict):
    """How simulated callers answer the flow's prompts. Every share is drawn from
    the simulation's own random streams."""

    menus: dict[str, dict[str, Share]] = {}  # menu node → key → share; rest: no input
    gathers: dict[str, Share] = {}  # gather node → share typing a valid answer (default 1)
    lookups: dict[str, LookupAnswers] = {}  # lookup node → answers (default: empty answer)
    callback_accept: Share = 0.5  # share accepting a callback offer
    deflect_success: Share = 0.7  # share of deflected callers resolved in self-service
    hang_up: Share = 0.0  # at each prompt, the share who hang up instead of answering
    answer_seconds: NonNegative = 2.0  # time to answer a prompt
    lookup_seconds: NonNegative = 0.5  # a CRM lookup that answers
    play_seconds: NonNegative = 10.0  # an audio file played
    chars_per_second: PositiveFloat = 15.0  # speech rate of the prompts


class FlowModel(_Strict):
    """A flow walked by the traffic of `channels` into `queues` (empty: all), and
    the version published while the crisis flag is set (`crisis_file`, optional);
    their queues and skills named as the scenario's (`route`, `skills`: flow name →
    scenario name; by default the same name), and their callers."""

    file: str  # relative to the scenario file
    crisis_file: str | None = None
    channels: list[Channel] = []
    queues: list[str] = []
    route: dict[str, str] = {}
    skills: dict[str, str] = {}
    callers: CallerModel = CallerModel()

    def covers(self, queue: str, channel: Channel) -> bool:
        """Whether traffic into `queue` on `channel` walks this flow."""
        return (not self.queues or queue in self.queues) and (
            not self.channels or channel in self.channels
        )

    def queue(self, flow_queue: str) -> str:
        """The scenario queue a flow queue name stands for."""
        return self.route.get(flow_queue, flow_queue)


def resolve_path(file: str, base: Path | None) -> Path:
    """`file` relative to the scenario's folder `base` (absolute paths kept)."""
    p = Path(file)
    return p if p.is_absolute() else (base or Path(".")) / p


def flow_queues(flow: fm.Flow) -> set[str]:
    """The queues a flow's `enqueue`, `callback` and queue conditions name."""
    names: set[str] = set()
    for n in flow.nodes:
        if isinstance(n, fm.Enqueue | fm.Callback):
            names.add(n.queue)
        elif isinstance(n, fm.Branch):
            names |= {c.name for case in n.cases for c in case.when if c.kind == "queue"}
    return names


def check_flow(
    i: int, f: FlowModel, flows: list[fm.Flow], queues: set[str], skills: set[str]
) -> list[Finding]:
    """Problems of flow entry `i` against its loaded `flows` (the flow and its crisis
    version), the scenario's queues and the skills its agents hold: unknown nodes,
    keys, queues or skills (with the name probably meant), shares over 1."""
    out: list[Finding] = []
    at: tuple[str | int, ...] = ("flows", i)
    nodes = {k: n for flow in reversed(flows) for k, n in flow.by_id().items()}
    ids = " / ".join(dict.fromkeys(flow.id for flow in flows))

    def nodes_of(kind: type) -> set[str]:
        return {k for k, n in nodes.items() if isinstance(n, kind)}

    for part, kind in (("menus", fm.Menu), ("gathers", fm.Gather), ("lookups", fm.Lookup)):
        known = nodes_of(kind)
        for name in getattr(f.callers, part):
            if name not in known:
                what = f"{kind.__name__.lower()} node of flow {ids}"
                out.append(((*at, "callers", part, name), unknown(what, name, known)))
    for name, shares in f.callers.menus.items():
        node = nodes.get(name)
        if not isinstance(node, fm.Menu):
            continue
        keys = {c.key for c in node.choices if c.key is not None}
        for key in shares:
            if key not in keys:
                out.append(((*at, "callers", "menus", name, key), unknown("key", key, keys)))
        if sum(shares.values()) > 1.0 + 1e-9:
            out.append(((*at, "callers", "menus", name), "shares add up to more than 1"))
    for name, answers in f.callers.lookups.items():
        if answers.fail + sum(a.share for a in answers.answers) > 1.0 + 1e-9:
            out.append(((*at, "callers", "lookups", name), "shares add up to more than 1"))
    for name in f.queues:
        if name not in queues:
            out.append(((*at, "queues"), unknown("queue", name, queues)))
    for flow_q, q in f.route.items():
        if q not in queues:
            out.append(((*at, "route", flow_q), unknown("queue", q, queues)))
    for name in sorted({q for flow in flows for q in flow_queues(flow)}):
        if f.queue(name) not in queues:
            message = f"flow {ids} names queue {name!r}, not a queue of the scenario"
            out.append(((*at, "route"), f"{message}: route it (route: {{{name}: QUEUE}})"))
    flow_skills = {
        s for flow in flows for n in flow.nodes if isinstance(n, fm.Enqueue) for s in n.skills
    }
    for name in sorted(flow_skills):
        mapped = f.skills.get(name, name)
        if mapped not in skills:
            where = (*at, "skills", name) if name in f.skills else (*at, "skills")
            message = unknown("skill", mapped, skills)
            out.append((where, f"flow {ids}: {message} (no agent holds it)"))
    return out

"""The center configuration: a YAML file (or JSON through the API), validated.

Why: a center is queues, skills, agents, teams, sites and outsourcers that
people edit by hand; a typo must give `FILE:LINE: field: message`, not a
traceback or a silently ignored key. The YAML loader, the problem type and
the checks it shares with the simulator's scenarios (ids, levels, capacity,
a queue's rules) are in `schema/` (decision 0019); Pydantic checks each field;
cross references (an agent's site, a step's team, an alert rule's scope, a
throttle's queues) are checked here. The result is turned into the core's frozen specs, alert
rules and throttle settings; `changes()` says which Configure commands a new
version needs, so applying a configuration live touches only what changed.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from joignable.core import commands as cmd
from joignable.core.alerts.config import METRICS
from joignable.core.alerts.rules import EVERY, AlertRule, Comparison, ScopeKind, Severity, Window
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    QueueSpec,
)
from joignable.core.routing.engine import Engine
from joignable.core.routing.throttle import ThrottleSettings, settings_from_dict
from joignable.schema import errors, yaml_source
from joignable.schema.channels import ChannelMount
from joignable.schema.fields import Id, Level, Limits, Text, TimeZone, unknown
from joignable.schema.problem import Loc, Problem, SchemaError
from joignable.schema.queue import QueueRules, check_queue, circle_message, overflow_cycles
from joignable.schema.suggest import unknown_key
from joignable.service.throttles import variant_queue

__all__ = ["Id", "Problem"]  # imported from here by the web routers
ScopeId = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9_.@-]{0,63})$")]
Seconds = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class CenterSection(_Strict):
    name: Text = "joignable"
    timezone: TimeZone = "UTC"
    max_missed_offers: Annotated[int, Field(ge=0, le=100)] = 3


class Site(_Strict):
    id: Id
    name: Text = ""
    region: Text = ""


class Outsourcer(_Strict):
    id: Id
    name: Text = ""


class Team(_Strict):
    id: Id
    name: Text = ""
    site: Id | None = None


class Queue(QueueRules):
    """A queue of the center: its routing rules (`schema/queue.py`, shared with
    the simulator's scenarios) and who it belongs to."""

    id: Id
    name: Text = ""
    outsourcer: Id | None = None


class CapacityProfile(_Strict):
    """A named capacity several agents share (`voice-only`, `digital`…)."""

    id: Id
    capacity: Limits


class Agent(_Strict):
    id: Id
    name: Text = ""
    site: Id | None = None
    team: Id | None = None
    outsourcer: Id | None = None
    skills: dict[Id, Level] = {}
    languages: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z-]{2,16}$")]] = []
    queues: list[Id] = []
    profile: Id | None = None  # a capacity profile; `capacity` overrides it per channel
    capacity: Limits | None = None


class Alert(_Strict):
    """One alert rule (`core/alerts/rules.py`'s `AlertRule`; docs/control-tower.md)."""

    id: Id
    metric: Text
    scope: ScopeKind = ScopeKind.QUEUE
    scope_id: ScopeId = EVERY
    comparison: Comparison = Comparison.ABOVE
    threshold: float
    clear: float | None = None
    hold_s: Seconds = 0.0
    clear_hold_s: Seconds = 0.0
    severity: Severity = Severity.WARNING
    window: Window = Window.SLIDING
    min_offered: Annotated[int, Field(ge=0)] = 0
    contract: bool = False
    title: Text = ""

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            close = difflib.get_close_matches(value, METRICS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown metric {value!r}; {hint}one of {', '.join(METRICS)}")
        return value

    def rule(self) -> AlertRule:
        """The core's rule (raises ValueError only on what `check()` refuses)."""
        return AlertRule(
            id=self.id,
            metric=self.metric,
            scope=self.scope,
            threshold=self.threshold,
            comparison=self.comparison,
            scope_id=self.scope_id,
            hold_s=self.hold_s,
            clear=self.clear,
            clear_hold_s=self.clear_hold_s,
            severity=self.severity,
            window=self.window,
            min_offered=self.min_offered,
            contract=self.contract,
            title=self.title,
        )


class CenterConfig(_Strict):
    """The whole configuration of one center."""

    center: CenterSection = CenterSection()
    skills: list[Id] = []
    sites: list[Site] = []
    outsourcers: list[Outsourcer] = []
    teams: list[Team] = []
    queues: list[Queue] = []
    capacity_profiles: list[CapacityProfile] = []
    agents: list[Agent] = []
    alerts: list[Alert] = []  # none: DEFAULT_ALERTS
    throttles: list[dict[str, Any]] = []  # core/routing/throttle.py's fields, checked by check()
    channels: list[ChannelMount] = []  # adapters mounted at start (schema/channels.py)

    def queue(self, queue_id: str) -> Queue | None:
        return next((q for q in self.queues if q.id == queue_id), None)

    def agent(self, agent_id: str) -> Agent | None:
        return next((a for a in self.agents if a.id == agent_id), None)


class ConfigError(SchemaError):
    """The configuration is not valid; `problems` says where and why."""


def _at(loc: Loc, message: str) -> Problem:
    """A problem of plain data (no file yet: `parse` locates it in the YAML)."""
    return Problem("", None, loc, message)


def check(config: CenterConfig) -> list[Problem]:
    """Cross-reference problems of an otherwise valid configuration (empty: fine)."""
    out: list[Problem] = []
    sites = {s.id for s in config.sites}
    outsourcers = {o.id for o in config.outsourcers}
    teams = {t.id for t in config.teams}
    queues = {q.id for q in config.queues}
    skills = set(config.skills)
    profiles = {p.id for p in config.capacity_profiles}
    sections = ("sites", "outsourcers", "teams", "queues", "capacity_profiles", "agents", "alerts")
    for section in sections:
        seen: set[str] = set()
        for i, item in enumerate(getattr(config, section)):
            if item.id in seen:
                out.append(_at((section, i, "id"), f"duplicate id {item.id!r}"))
            seen.add(item.id)

    def ref(loc: Loc, value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            out.append(_at(loc, unknown(what, value, known)))

    for i, t in enumerate(config.teams):
        ref(("teams", i, "site"), t.site, sites, "site")
    for i, q in enumerate(config.queues):
        ref(("queues", i, "site"), q.site, sites, "site")
        ref(("queues", i, "outsourcer"), q.outsourcer, outsourcers, "outsourcer")
        out.extend(_at(where, msg) for where, msg in check_queue(("queues", i), q.id, q, queues))
        for j, s in enumerate(q.steps):
            for name in s.levels:
                ref(("queues", i, "steps", j, "levels", name), name, skills, "skill")
            for k, x in enumerate(s.teams):
                ref(("queues", i, "steps", j, "teams", k), x, teams, "team")
            for k, x in enumerate(s.sites):
                ref(("queues", i, "steps", j, "sites", k), x, sites, "site")
            for k, x in enumerate(s.outsourcers):
                ref(("queues", i, "steps", j, "outsourcers", k), x, outsourcers, "outsourcer")
    index = {q.id: i for i, q in enumerate(config.queues)}
    for first, circle in overflow_cycles({q.id: q.overflow_to for q in config.queues}).items():
        out.append(_at(("queues", index[first], "overflow_to"), circle_message(circle)))
    for i, a in enumerate(config.agents):
        ref(("agents", i, "site"), a.site, sites, "site")
        ref(("agents", i, "team"), a.team, teams, "team")
        ref(("agents", i, "outsourcer"), a.outsourcer, outsourcers, "outsourcer")
        ref(("agents", i, "profile"), a.profile, profiles, "capacity profile")
        for name in a.skills:
            ref(("agents", i, "skills", name), name, skills, "skill")
        for k, x in enumerate(a.queues):
            ref(("agents", i, "queues", k), x, queues, "queue")
    mounted: set[tuple[str, str]] = set()
    for i, c in enumerate(config.channels):
        if (c.kind, c.name) in mounted:
            out.append(_at(("channels", i, "name"), f"duplicate channel {c.kind}/{c.name}"))
        mounted.add((c.kind, c.name))
        ref(("channels", i, "queue"), c.queue, queues, "queue")
    out.extend(check_alerts(config))
    out.extend(check_throttles(config))
    return out


def check_alerts(config: CenterConfig) -> list[Problem]:
    """Problems of the `alerts:` section beyond each field's type: the clear
    level on the recovering side of the threshold (hysteresis), and a
    `scope_id` naming a member of the scope (a configured queue, site or
    outsourcer, a channel; the center has one member). Either mistake would
    leave a rule that never raises or never clears, without a word."""
    out: list[Problem] = []
    known: dict[ScopeKind, set[str]] = {
        ScopeKind.QUEUE: {q.id for q in config.queues},
        ScopeKind.SITE: {s.id for s in config.sites},
        ScopeKind.OUTSOURCER: {o.id for o in config.outsourcers},
        ScopeKind.CHANNEL: {ch.value for ch in Channel},
        ScopeKind.CENTER: {"all"},  # the center dimension's one member (core/kpis/book.py)
    }
    for i, a in enumerate(config.alerts):
        loc: Loc = ("alerts", i)
        if a.clear is not None:
            above = a.comparison is Comparison.ABOVE
            if (a.clear > a.threshold) if above else (a.clear < a.threshold):
                side = "at or below" if above else "at or above"
                out.append(
                    _at(
                        (*loc, "clear"),
                        f"the clear level must be {side} the threshold {a.threshold:g} for a "
                        f"rule '{a.comparison.value}' (hysteresis), got {a.clear:g}",
                    )
                )
        if a.scope_id != EVERY and a.scope_id not in known[a.scope]:
            if a.scope is ScopeKind.CENTER:
                message = "a center rule watches the whole center: leave scope_id out (or '*')"
            else:
                message = f"unknown {a.scope.value} {a.scope_id!r}"
            out.append(_at((*loc, "scope_id"), message))
    return out


def check_throttles(config: CenterConfig) -> list[Problem]:
    """Problems of the `throttles:` section: each entry has core/routing/throttle.py's
    fields; its queue Q and site S exist; queue `Q@S` exists, takes every
    channel Q takes, and its first routing step is restricted to site S (sites
    `[S]`, or teams of S); one throttle per queue."""
    out: list[Problem] = []
    sites = {s.id for s in config.sites}
    team_site = {t.id: t.site for t in config.teams}
    index = {q.id: i for i, q in enumerate(config.queues)}
    throttled: dict[str, int] = {}
    for i, raw in enumerate(config.throttles):
        loc: Loc = ("throttles", i)
        sample = raw.get("min_sample")
        if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int)):
            out.append(_at((*loc, "min_sample"), "min_sample must be a whole number"))
            continue
        fields = ThrottleSettings.__dataclass_fields__
        extra = [k for k in raw if k not in fields]
        if extra:
            out.extend(_at((*loc, str(k)), unknown_key(str(k), fields)) for k in extra)
            continue
        try:
            t = settings_from_dict(raw)
        except (ValueError, TypeError) as exc:
            message = str(exc).partition(": ")[2] or str(exc)
            field = next((k for k in raw if message.startswith(f"{k} ")), None)
            out.append(_at((*loc, field) if field else loc, message))
            continue
        if t.site not in sites:
            out.append(_at((*loc, "site"), unknown("site", t.site, sites)))
            continue
        if t.queue not in index:
            out.append(_at((*loc, "queue"), unknown("queue", t.queue, set(index))))
            continue
        if t.queue in throttled:
            out.append(
                _at(
                    (*loc, "queue"),
                    f"queue {t.queue!r} already has a throttle (throttles[{throttled[t.queue]}]); "
                    "one throttle per queue",
                )
            )
            continue
        throttled[t.queue] = i
        via_id = variant_queue(t.queue, t.site)
        if via_id not in index:
            out.append(
                _at(
                    loc,
                    f"the throttle sends its share of {t.queue!r} to queue {via_id!r}, "
                    f"which is not configured (add a queue {via_id!r} restricted to site "
                    f"{t.site!r})",
                )
            )
            continue
        queue, via = config.queues[index[t.queue]], config.queues[index[via_id]]
        missing = sorted(ch.value for ch in set(queue.channels) - set(via.channels))
        if missing:
            out.append(
                _at(
                    ("queues", index[via_id], "channels"),
                    f"queue {via_id!r} receives throttles[{i}]'s share of {t.queue!r} and must "
                    f"take its channels; missing: {', '.join(missing)}",
                )
            )
        first = via.steps[0]
        who = set(first.sites) | {team_site.get(team) for team in first.teams}
        if first.outsourcers or who != {t.site}:
            out.append(
                _at(
                    ("queues", index[via_id], "steps", 0),
                    f"queue {via_id!r} serves site {t.site!r} for throttles[{i}]: its first "
                    f"step must be restricted to that site (sites: [{t.site}], or teams of "
                    f"{t.site})",
                )
            )
    return out


#: The rules in force when the configuration names none: the figures every
#: center watches. A configuration's `alerts:` list replaces them.
DEFAULT_ALERTS: tuple[Alert, ...] = (
    Alert(id="sl-low", metric="service_level", scope=ScopeKind.QUEUE,
          comparison=Comparison.BELOW, threshold=0.7, clear=0.78, hold_s=20, min_offered=10,
          severity=Severity.WARNING, window=Window.FIVE_MIN,
          title="Service level under 70 % (last 5 min)"),
    Alert(id="abandon-high", metric="abandonment_rate", scope=ScopeKind.QUEUE, threshold=0.15,
          clear=0.08, hold_s=20, min_offered=10, severity=Severity.CRITICAL,
          title="Abandonment over 15 %"),
    Alert(id="wait-long", metric="longest_wait", scope=ScopeKind.QUEUE, threshold=120,
          clear=60, hold_s=10, severity=Severity.WARNING, title="A contact waits over 2 min"),
)  # fmt: skip


def alert_rules(config: CenterConfig | None) -> list[AlertRule]:
    """The alert rules of a checked configuration (`DEFAULT_ALERTS` when it
    names none, or without a configuration)."""
    alerts = config.alerts if config is not None and config.alerts else DEFAULT_ALERTS
    return [a.rule() for a in alerts]


def throttle_settings(config: CenterConfig | None) -> list[ThrottleSettings]:
    """The migration throttles of a checked configuration."""
    return [settings_from_dict(raw) for raw in (config.throttles if config else [])]


def validate(data: Any) -> CenterConfig:
    """A checked configuration from plain data (parsed YAML or JSON).
    Raises `ConfigError` (without file or line)."""
    try:
        config = CenterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(errors.problems(exc, CenterConfig, None)) from None
    problems = check(config)
    if problems:
        raise ConfigError(problems)
    return config


def from_store(document: Any) -> tuple[CenterConfig | None, list[Problem]]:
    """The configuration stored in the database by an earlier apply, checked:
    (the configuration, or None when it does not validate; its problems).

    Alert rules were not checked before this version (the API stored any), so
    a stored document may hold rules that no longer validate: when they are
    its only problems, those rules are dropped rather than the whole document
    (a restart then keeps the queues, agents and throttles, and the problems
    are there to be logged)."""
    try:
        return validate(document), []
    except ConfigError as exc:
        problems = exc.problems
    if not isinstance(document, dict) or any(p.loc[:1] != ("alerts",) for p in problems):
        return None, problems
    rules = document.get("alerts")
    bad = {p.loc[1] if len(p.loc) > 1 else None for p in problems}
    kept: list[Any] = []  # the section itself is wrong: no rule kept (the defaults apply)
    if isinstance(rules, list) and None not in bad:
        kept = [rule for i, rule in enumerate(rules) if i not in bad]
    try:
        return validate({**document, "alerts": kept}), problems
    except ConfigError:
        return None, problems


def parse(text: str, filename: str = "<config>") -> CenterConfig:
    """Parse and check a YAML configuration (an empty file is the default one).
    Raises `ConfigError` whose problems carry `filename` and the 1-based line
    of the offending node."""
    try:
        source = yaml_source.parse(text, filename, allow_empty=True)
    except SchemaError as exc:
        raise ConfigError(exc.problems) from None
    try:
        return validate(source.data)
    except ConfigError as exc:
        raise ConfigError([source.problem(p.loc, p.message) for p in exc.problems]) from None


def load(path: str | Path) -> CenterConfig:
    """Read and check a YAML configuration file; raises `ConfigError`, or
    `OSError` when the file cannot be read."""
    p = Path(path)
    try:
        text = yaml_source.decode(p.read_bytes(), str(p))
    except SchemaError as exc:
        raise ConfigError(exc.problems) from None
    return parse(text, str(p))


# --- to the core's specs --------------------------------------------------------


def queue_spec(q: Queue, *, standby: bool = False) -> QueueSpec:
    """The core's spec of a configured queue (`standby` is live state, kept)."""
    return q.spec(q.id, standby=standby)


def agent_spec(a: Agent, config: CenterConfig | None = None) -> AgentSpec:
    """The core's spec of a configured agent (its capacity profile, if any, is
    looked up in `config`, the agent's own `capacity` overriding it per channel)."""
    limits: dict[Channel, int] | None = None
    if a.profile is not None and config is not None:
        profile = next((p for p in config.capacity_profiles if p.id == a.profile), None)
        if profile is not None:
            limits = dict(profile.capacity)
    if a.capacity is not None:
        limits = {**(limits or {}), **a.capacity}
    capacity = Capacity.configured(limits) if limits is not None else Capacity()
    return AgentSpec(
        id=a.id,
        name=a.name,
        skills=tuple(sorted(a.skills.items())),
        languages=frozenset(a.languages),
        team=a.team or "",
        site=a.site or "",
        outsourcer=a.outsourcer or "",
        queues=frozenset(a.queues),
        capacity=capacity,
    )


def changes(
    old: CenterConfig | None, new: CenterConfig, engine: Engine, *, by: str = ""
) -> list[cmd.Command]:
    """Configure commands that bring `engine` to `new`, given that `old` was
    applied before: a queue or agent is (re)configured when its definition
    changed or the engine lacks it. Live changes a supervisor made (standby, an
    agent moved) are kept for definitions the new version does not change."""
    out: list[cmd.Command] = []
    before_q = {q.id: q for q in old.queues} if old is not None else {}
    before_a = {a.id: a for a in old.agents} if old is not None else {}
    for q in new.queues:
        live = engine.queues.get(q.id)
        if live is None or before_q.get(q.id) != q:
            standby = live.spec.standby if live is not None else False
            spec = queue_spec(q, standby=standby)
            if live is None or live.spec != spec:
                out.append(cmd.ConfigureQueue(queue=spec, by=by))
    for a in new.agents:
        agent = engine.agents.get(a.id)
        aspec = agent_spec(a, new)
        before = before_a.get(a.id)
        # unchanged in the configuration (its profile included): live moves are kept
        changed = before is None or agent_spec(before, old) != aspec
        if agent is None or (changed and agent.spec != aspec):
            out.append(cmd.ConfigureAgent(agent=aspec, by=by))
    return out

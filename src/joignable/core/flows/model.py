# Why: a flow is data (design principle 5): the same frozen document is validated,
# hashed into an immutable version, walked by the pure engine and rendered to voice,
# to the visual IVR page and to chat. Nodes are plain frozen dataclasses so a flow
# compares, hashes and prints as a value; the YAML form lives in `schema/flow.py`.
"""The flow document: nodes, conditions, prompts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..hours import Schedule

__all__ = [
    "TERMINAL",
    "Branch",
    "Callback",
    "Case",
    "Choice",
    "Condition",
    "Deflect",
    "Enqueue",
    "Flow",
    "Gather",
    "Hangup",
    "Lookup",
    "Menu",
    "Node",
    "Play",
    "Say",
    "Set",
    "Text",
    "Transfer",
    "Voicemail",
    "references",
]

_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass(frozen=True, slots=True)
class Text:
    """A prompt in each language (`by_lang`: (language, text) pairs). Text may hold
    `{name}` references to variables, replaced when it is said."""

    by_lang: tuple[tuple[str, str], ...]

    def get(self, lang: str, default: str) -> str:
        """The text in `lang`, else in `default`, else the first one ("" if none)."""
        texts = dict(self.by_lang)
        return texts.get(lang) or texts.get(default) or next(iter(texts.values()), "")

    def languages(self) -> set[str]:
        return {lang for lang, _ in self.by_lang}


def references(template: str) -> list[str]:
    """The `{name}` variable references of a template, in order."""
    return _REF.findall(template)


@dataclass(frozen=True, slots=True)
class Say:
    id: str
    text: Text
    next: str


@dataclass(frozen=True, slots=True)
class Play:
    id: str
    audio: str  # a file reference the channel resolves (never read by the core)
    next: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One menu choice: a DTMF key and/or spoken words, and where it leads."""

    key: str | None
    words: tuple[str, ...]
    next: str


@dataclass(frozen=True, slots=True)
class Menu:
    """A prompt and choices; after `retries` re-prompts the no-input or no-match
    branch is taken (the retry limit that stops a prompt loop)."""

    id: str
    prompt: Text
    choices: tuple[Choice, ...]
    no_input: str
    no_match: str
    retries: int = 2
    reprompt: Text | None = None
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class Gather:
    """Collect digits (any number, up to `finish_key`) or text into variable `into`,
    `min_length`..`max_length` long; after `retries` bad or missing answers, `fail`."""

    id: str
    prompt: Text
    into: str
    next: str
    fail: str
    mode: Literal["digits", "text"] = "digits"
    min_length: int = 1
    max_length: int = 20
    finish_key: str = "#"
    timeout: float = 8.0
    retries: int = 2


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a branch. `kind`:

    - "open": schedule `name` is open now; "holiday": today is one of its holidays;
    - "crisis": the center's crisis flag is `value` (True/False);
    - "queue": `metric` ("wait" s, "agents" available, "waiting") of queue `name`
      compared by `op` to `value`;
    - "var": variable `name` (`caller.x` for caller attributes) compared by `op`
      ("eq", "ne", "lt", "le", "gt", "ge", "in", "set", "unset") to `value`;
    - "segment": the caller's segment is one of `value` (a tuple).
    """

    kind: Literal["open", "holiday", "crisis", "queue", "var", "segment"]
    name: str = ""
    metric: str = ""
    op: str = "eq"
    value: str | int | float | bool | tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A branch case: taken when all its conditions hold."""

    when: tuple[Condition, ...]
    next: str


@dataclass(frozen=True, slots=True)
class Branch:
    id: str
    cases: tuple[Case, ...]
    default: str


@dataclass(frozen=True, slots=True)
class Set:
    id: str
    values: tuple[tuple[str, str], ...]  # (variable, template)
    next: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """An HTTP GET to a CRM described as data: the engine emits a `Lookup` action and
    takes its result as the next input. `result` maps variables to dotted paths in
    the answer; on failure or time-out, `fallback`."""

    id: str
    url: str  # a template: https://crm.example/customers?phone={caller.number}
    result: tuple[tuple[str, str], ...]
    next: str
    fallback: str
    timeout: float = 2.0


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Hand the contact to routing: queue, skills, priority, language; while it
    waits, announce the position and estimated wait every `announce_every` s
    (None: never) and offer a callback every `callback_every` s (None: never)."""

    id: str
    queue: str
    skills: tuple[str, ...] = ()
    priority: str = "0"  # a template: "{vip_priority}" or "5"
    language: str | None = None
    announce: Text | None = None
    announce_every: float | None = None
    callback_every: float | None = None


@dataclass(frozen=True, slots=True)
class Callback:
    """Offer to be called back keeping one's place: `key` (or yes) accepts and the
    contact enters `queue` as a callback with its arrival time; otherwise `declined`."""

    id: str
    prompt: Text
    queue: str
    declined: str
    key: str = "1"
    confirm: Text | None = None
    priority: str = "0"
    timeout: float = 6.0


@dataclass(frozen=True, slots=True)
class Deflect:
    """Send a self-service link by SMS (the visual IVR, an article), then `next`."""

    id: str
    link: str  # a template
    message: Text
    next: str


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    to: str


@dataclass(frozen=True, slots=True)
class Voicemail:
    id: str
    prompt: Text
    mailbox: str
    max_length: float = 120.0


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call; `resolved` records a self-service resolution."""

    id: str
    text: Text | None = None
    resolved: bool = False


Node = (
    Say
    | Play
    | Menu
    | Gather
    | Branch
    | Set
    | Lookup
    | Enqueue
    | Callback
    | Deflect
    | Transfer
    | Voicemail
    | Hangup
)
#: The node types that end a flow.
TERMINAL = (Enqueue, Transfer, Voicemail, Hangup)


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow document: its id, the first node, the languages every prompt is
    written in (the first is the default), the nodes, the schedules its branches
    name, and its version (a hash of all that: the same content, the same version)."""

    id: str
    start: str
    languages: tuple[str, ...]
    nodes: tuple[Node, ...]
    schedules: Mapping[str, Schedule] = field(default_factory=dict, hash=False)
    version: str = ""  # the content hash (`versions.content_hash`), set when loaded
    _index: dict[str, Node] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, Node] = {}
        for n in self.nodes:
            index.setdefault(n.id, n)  # a duplicate id is a validation problem
        object.__setattr__(self, "_index", index)

    def node(self, node_id: str) -> Node | None:
        """The node `node_id`, or None."""
        return self._index.get(node_id)

    def by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}


def edges(node: Node) -> Iterator[tuple[str, str, bool]]:
    """The targets of `node` as (field, target, automatic): an automatic edge is
    taken without the caller choosing (an input-less node, a time-out, a failure)."""
    if isinstance(node, Say | Play | Set | Deflect):
        yield "next", node.next, True
    elif isinstance(node, Menu):
        for i, c in enumerate(node.choices):
            yield f"choices[{i}].next", c.next, False
        yield "no_input", node.no_input, True
        yield "no_match", node.no_match, True
    elif isinstance(node, Gather):
        yield "next", node.next, False
        yield "fail", node.fail, True
    elif isinstance(node, Branch):
        for i, case in enumerate(node.cases):
            yield f"cases[{i}].next", case.next, True
        yield "default", node.default, True
    elif isinstance(node, Lookup):
        yield "next", node.next, True
        yield "fallback", node.fallback, True
    elif isinstance(node, Callback):
        yield "declined", node.declined, True


def texts(node: Node) -> Iterator[tuple[str, Text]]:
    """The prompts of `node` as (field, text)."""
    for name in ("text", "prompt", "reprompt", "announce", "confirm", "message"):
        value = getattr(node, name, None)
        if isinstance(value, Text):
            yield name, value


def templates(node: Node) -> Iterator[tuple[str, str]]:
    """The templates of `node` (prompts in every language, urls, values) as (field, text)."""
    for name, text in texts(node):
        for lang, t in text.by_lang:
            yield f"{name}.{lang}", t
    if isinstance(node, Set):
        for var, t in node.values:
            yield f"values.{var}", t
    elif isinstance(node, Lookup):
        yield "url", node.url
    elif isinstance(node, Deflect):
        yield "link", node.link
    elif isinstance(node, Enqueue | Callback):
        yield "priority", node.priority


def defines(node: Node) -> list[str]:
    """The variables `node` sets."""
    if isinstance(node, Set):
        return [v for v, _ in node.values]
    if isinstance(node, Gather):
        return [node.into]
    if isinstance(node, Lookup):
        return [v for v, _ in node.result]
    return []

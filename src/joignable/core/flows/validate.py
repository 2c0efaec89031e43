# Why: a bad flow must never reach a caller, and what peers' users trip over is known:
# a branch to a node that does not exist, a node nobody reaches, a loop that never
# ends, prompts that restart for ever and are never heard (a menu whose no-input
# branch leads back to itself with no limit), a prompt missing in one language, a
# variable nobody sets. Each problem names its node and field, so the schema layer
# can add the file and line.
"""Validation of a flow document: `problems(flow)` lists what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from .model import (
    TERMINAL,
    Branch,
    Enqueue,
    Flow,
    Gather,
    Menu,
    Node,
    defines,
    edges,
    references,
    templates,
    texts,
)

__all__ = ["BUILTINS", "QUEUE_METRICS", "VAR_OPS", "FlowProblem", "problems"]

#: Variables every flow may read: the session's language and the crisis message;
#: `caller.<attribute>` names are always allowed (they come with the contact).
BUILTINS = frozenset({"lang", "crisis.message"})
#: Read in an `enqueue` announcement only.
ANNOUNCE = frozenset({"position", "wait", "wait_minutes"})
QUEUE_METRICS = frozenset({"wait", "agents", "waiting"})
VAR_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "set", "unset"})
DTMF = frozenset("0123456789*#")
MAX_RETRIES = 5


@dataclass(frozen=True, slots=True)
class FlowProblem:
    """One fault of a flow: the node (None: the document), the field and the message."""

    node: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"node {self.node}: " if self.node else ""
        return f"{where}{self.field + ': ' if self.field else ''}{self.message}"


def problems(flow: Flow) -> list[FlowProblem]:
    """Every problem of `flow` (empty: it may be published), in document order."""
    out: list[FlowProblem] = []
    if not flow.languages:
        out.append(FlowProblem(None, "languages", "at least one language is needed"))
    seen: set[str] = set()
    for n in flow.nodes:
        if n.id in seen:
            out.append(FlowProblem(n.id, "", "duplicate node id"))
        seen.add(n.id)
    nodes = flow.by_id()
    if flow.start not in nodes:
        out.append(FlowProblem(None, "start", f"unknown node {flow.start!r}"))
        return out
    for n in flow.nodes:
        out.extend(_node_problems(flow, n, nodes))
    if any(p.message.startswith("unknown target") for p in out):
        return out  # the graph checks need every edge to land
    reach = _reachable(flow.start, nodes)
    for n in flow.nodes:
        if n.id not in reach:
            out.append(FlowProblem(n.id, "", "unreachable: no path from the start leads here"))
    ends = _reaching_terminal(nodes)
    for n in flow.nodes:
        if n.id in reach and n.id not in ends:
            out.append(
                FlowProblem(n.id, "", "a loop with no way out: no end (enqueue, transfer, "
                            "voicemail, hangup) can be reached from here")
            )  # fmt: skip
    for cycle in _automatic_cycles(nodes):
        if cycle[0] in reach:
            out.append(
                FlowProblem(
                    cycle[0],
                    "",
                    "a loop that never waits for the caller's choice ("
                    + " -> ".join([*cycle, cycle[0]])
                    + "): a silent caller goes round it for ever; end it after the retries",
                )
            )
    out.extend(_variable_problems(flow, nodes, reach))
    return out


def _node_problems(flow: Flow, n: Node, nodes: dict[str, Node]) -> list[FlowProblem]:
    out = []
    for fld, target, _ in edges(n):
        if target not in nodes:
            out.append(FlowProblem(n.id, fld, f"unknown target {target!r}"))
    for fld, text in texts(n):
        for lang in flow.languages:
            if lang not in text.languages():
                out.append(FlowProblem(n.id, fld, f"prompt missing for language {lang!r}"))
        for lang in sorted(text.languages() - set(flow.languages)):
            out.append(
                FlowProblem(n.id, fld, f"language {lang!r} is not one of the flow's languages")
            )
    if isinstance(n, Menu):
        keys = [c.key for c in n.choices if c.key is not None]
        for k in sorted({k for k in keys if keys.count(k) > 1}):
            out.append(FlowProblem(n.id, "choices", f"key {k!r} is used twice"))
        for k in keys:
            if k not in DTMF:
                out.append(FlowProblem(n.id, "choices", f"key {k!r} is not one of 0-9 * #"))
        for i, choice in enumerate(n.choices):
            if choice.key is None and not choice.words:
                out.append(FlowProblem(n.id, f"choices[{i}]", "a choice needs a key or words"))
        if not n.choices:
            out.append(FlowProblem(n.id, "choices", "a menu needs at least one choice"))
    if isinstance(n, Menu | Gather) and not 0 <= n.retries <= MAX_RETRIES:
        out.append(FlowProblem(n.id, "retries", f"retries must be 0..{MAX_RETRIES}"))
    if isinstance(n, Gather):
        if not 1 <= n.min_length <= n.max_length:
            out.append(FlowProblem(n.id, "min_length", "need 1 <= min_length <= max_length"))
        if n.finish_key not in DTMF:
            out.append(FlowProblem(n.id, "finish_key", "the finish key is one of 0-9 * #"))
    if isinstance(n, Branch):
        for i, case in enumerate(n.cases):
            for j, c in enumerate(case.when):
                msg = _condition_problem(flow, c.kind, c.name, c.metric, c.op)
                if msg:
                    out.append(FlowProblem(n.id, f"cases[{i}].when[{j}]", msg))
    return out


def _condition_problem(flow: Flow, kind: str, name: str, metric: str, op: str) -> str:
    if kind in ("open", "holiday") and name not in flow.schedules:
        known = ", ".join(sorted(flow.schedules)) or "none declared"
        return f"unknown schedule {name!r} (schedules: {known})"
    if kind == "queue" and metric not in QUEUE_METRICS:
        return f"unknown queue metric {metric!r} (one of {', '.join(sorted(QUEUE_METRICS))})"
    if kind in ("queue", "var") and op not in VAR_OPS:
        return f"unknown comparison {op!r} (one of {', '.join(sorted(VAR_OPS))})"
    return ""


def _reachable(start: str, nodes: dict[str, Node]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target, _auto in edges(nodes[todo.pop()]):
            if target in nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _reaching_terminal(nodes: dict[str, Node]) -> set[str]:
    """The nodes from which a terminal node can be reached."""
    preds: dict[str, set[str]] = {k: set() for k in nodes}
    for n in nodes.values():
        for _, target, _auto in edges(n):
            if target in preds:
                preds[target].add(n.id)
    found = {k for k, n in nodes.items() if isinstance(n, TERMINAL)}
    todo = list(found)
    while todo:
        for p in preds[todo.pop()]:
            if p not in found:
                found.add(p)
                todo.append(p)
    return found


def _automatic_cycles(nodes: dict[str, Node]) -> list[list[str]]:
    """Cycles made of automatic edges only, one per strongly connected component
    (iterative Tarjan), each listed from its first node in document order."""
    graph = {k: [t for _, t, auto in edges(n) if auto and t in nodes] for k, n in nodes.items()}
    order = {k: i for i, k in enumerate(nodes)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            if i < len(graph[v]):
                work.append((v, i + 1))
                w = graph[v][i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in graph[v]:
                    out.append(_cycle(sorted(comp, key=order.__getitem__)[0], set(comp), graph))
    return sorted(out, key=lambda c: order[c[0]])


def _cycle(first: str, comp: set[str], graph: dict[str, list[str]]) -> list[str]:
    """One simple cycle through `first` inside the component `comp`."""
    path = [first]
    seen = {first}
    while True:
        nxt = next(t for t in graph[path[-1]] if t in comp and (t == first or t not in seen))
        if nxt == first:
            return path
        path.append(nxt)
        seen.add(nxt)


def _variable_problems(flow: Flow, nodes: dict[str, Node], reach: set[str]) -> list[FlowProblem]:
    """A `{name}` or condition naming a variable that no node before it sets."""
    preds: dict[str, set[str]] = {k: set() for k in nodes}
    for n in nodes.values():
        for _, target, _auto in edges(n):
            preds[target].add(n.id)
    out = []
    for n in flow.nodes:
        if n.id not in reach:
            continue
        before = _ancestors(n.id, preds)
        known = {v for a in before for v in defines(nodes[a])}
        if isinstance(n, Enqueue):
            known |= ANNOUNCE
        used = [(fld, ref) for fld, t in templates(n) for ref in references(t)]
        if isinstance(n, Branch):
            used += [
                (f"cases[{i}].when[{j}]", c.name)
                for i, case in enumerate(n.cases)
                for j, c in enumerate(case.when)
                if c.kind == "var"
            ]
        for fld, ref in used:
            if ref in known or ref in BUILTINS or ref.startswith("caller."):
                continue
            out.append(FlowProblem(n.id, fld, f"variable {ref!r} is not set before this node"))
    return out


def _ancestors(node: str, preds: dict[str, set[str]]) -> set[str]:
    """The nodes with a path to `node` (not `node` itself unless on a cycle)."""
    seen: set[str] = set()
    todo = list(preds[node])
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(preds[p])
    return seen

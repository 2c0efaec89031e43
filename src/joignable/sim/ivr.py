# Why: a simulated caller goes through the IVR the real callers hear: the pure flow
# engine (`core/flows/engine`) decides, this module only plays the caller — it draws
# each answer from the caller model with the simulation's own `random.Random` and
# counts the seconds each prompt and answer take, so the same seed gives the same
# walk and the contact reaches routing when the IVR lets it go, not at once.
"""One simulated caller's walk through a flow."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from joignable.core.flows import actions as fa
from joignable.core.flows import model as fm
from joignable.core.flows.engine import Context, start, step

from .flowmodel import CallerModel

__all__ = ["Walk", "answer", "walk"]

#: The most inputs one caller gives before the walk is cut (a flow is validated to
#: end, and menus have retry limits: this only bounds a caller model gone wrong).
MAX_INPUTS = 100


@dataclass(frozen=True, slots=True)
class Walk:
    """How a caller left the flow: `outcome` (the engine's `Ended.outcome`), at which
    node, when (`end`, epoch s), the `Enqueue` decided (for "enqueued" and
    "callback"), whether the caller was deflected, whether they were resolved in
    self-service (drawn from the caller model for a deflection), the nodes walked."""

    outcome: str
    node: str
    end: float
    enqueue: fa.Enqueue | None
    deflected: bool
    resolved: bool
    path: tuple[str, ...]


def _spoken(actions: list[fa.Action], callers: CallerModel) -> float:
    """Seconds the actions take to hear: prompts at `chars_per_second`, audio files."""
    seconds = 0.0
    for a in actions:
        if isinstance(a, fa.Say):
            seconds += len(a.text) / callers.chars_per_second
        elif isinstance(a, fa.Play):
            seconds += callers.play_seconds
    return seconds


def answer(
    flow: fm.Flow, waiting: fa.Action, callers: CallerModel, rng: random.Random
) -> tuple[fa.Input, float]:
    """The caller's input to what the engine waits for (`Gather`, `OfferCallback`,
    `Lookup`) and the seconds it takes. Draws from `rng` only. Raises ValueError for
    an action that waits for nothing."""
    if isinstance(waiting, fa.Lookup):
        spec = callers.lookups.get(waiting.node)
        u = rng.random()
        if spec is not None:
            if u < spec.fail:
                return fa.LookupFailed("simulated failure"), waiting.timeout
            u -= spec.fail
            for a in spec.answers:
                if u < a.share:
                    return fa.LookupDone(a.data), callers.lookup_seconds
                u -= a.share
        return fa.LookupDone({}), callers.lookup_seconds
    if not isinstance(waiting, fa.Gather | fa.OfferCallback):
        raise ValueError(f"{type(waiting).__name__} waits for no input")
    if rng.random() < callers.hang_up:
        return fa.HangUp(), callers.answer_seconds
    u = rng.random()
    if isinstance(waiting, fa.OfferCallback):
        if u < callers.callback_accept:
            return fa.Digits(waiting.key), callers.answer_seconds
        return fa.NoInput(), waiting.timeout
    if waiting.mode == "menu":
        shares = callers.menus.get(waiting.node)
        if shares is None:
            shares = {k: 1.0 / len(waiting.keys) for k in waiting.keys} if waiting.keys else {}
        for key, share in shares.items():
            if u < share:
                return fa.Digits(key), callers.answer_seconds
            u -= share
        return fa.NoInput(), waiting.timeout
    n = max(1, waiting.min_length)
    if u < callers.gathers.get(waiting.node, 1.0):
        if waiting.mode == "digits":
            return fa.Digits("7" * n + waiting.finish_key), callers.answer_seconds
        return fa.Speech("x" * n), callers.answer_seconds
    if waiting.mode == "digits":  # too short (or nothing but the finish key)
        return fa.Digits("7" * (n - 1) + waiting.finish_key), callers.answer_seconds
    return fa.Speech(""), callers.answer_seconds


def walk(
    flow: fm.Flow,
    at: float,
    context: Callable[[float], Context],
    callers: CallerModel,
    rng: random.Random,
) -> Walk:
    """Walk a caller arriving at `at` (epoch s) through `flow`; `context(t)` gives
    the engine's context at simulated time `t`. Deterministic for a given `rng`."""
    t = at
    session, actions = start(flow, context(t))
    path: list[str] = []
    deflected = False
    for _ in range(MAX_INPUTS):
        t += _spoken(actions, callers)
        path += [a.node for a in actions if isinstance(a, fa.Entered)]
        deflected = deflected or any(isinstance(a, fa.Deflect) for a in actions)
        ended = next((a for a in actions if isinstance(a, fa.Ended)), None)
        if ended is not None:
            return _done(flow, ended, t, actions, deflected, path, callers, rng)
        waiting = next(
            a for a in reversed(actions) if isinstance(a, fa.Gather | fa.OfferCallback | fa.Lookup)
        )
        given, seconds = answer(flow, waiting, callers, rng)
        t += seconds
        session, actions = step(flow, session, given, context(t))
    return Walk("abandoned", session.node, t, None, deflected, False, tuple(path))


def _done(
    flow: fm.Flow,
    ended: fa.Ended,
    t: float,
    actions: list[fa.Action],
    deflected: bool,
    path: list[str],
    callers: CallerModel,
    rng: random.Random,
) -> Walk:
    enqueue = next((a for a in actions if isinstance(a, fa.Enqueue)), None)
    node = flow.node(ended.node)
    resolved = False
    if ended.outcome == "self_service":
        u = rng.random()  # drawn for every self-service end: the stream stays aligned
        resolved = (isinstance(node, fm.Hangup) and node.resolved) or (
            deflected and u < callers.deflect_success
        )
    return Walk(ended.outcome, ended.node, t, enqueue, deflected, resolved, tuple(path))

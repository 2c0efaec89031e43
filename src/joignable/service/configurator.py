"""Applies a center configuration to the running engine, live.

Why: the configuration lives in a file at start and changes through the API
afterwards; both must end as ConfigureQueue / ConfigureAgent commands through
the single writer (so every change is an event with who made it), only for
what changed, and the version applied is stored so that a restart diffs
against it instead of undoing what supervisors changed live. Applying also
announces the new version to the listeners (alert rules, throttles, the
tower's view): apply and announce are one step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.commands import CommandRejected
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.service.config import CenterConfig, ConfigError, changes, validate
from joignable.service.runner import CenterRunner
from joignable.store.accounts import Accounts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a configuration did."""

    commands: int
    events: int
    kept: tuple[str, ...]  # ids no longer in the configuration that could not go yet
    removed: tuple[str, ...] = ()  # queue and agent ids this apply removed


def would_remove(old: CenterConfig, new: CenterConfig) -> tuple[str, ...]:
    """The queue and agent ids of `old` that `new` no longer has (sorted)."""
    ids = {q.id for q in new.queues} | {a.id for a in new.agents}
    return tuple(
        sorted(
            x for x in (*(q.id for q in old.queues), *(a.id for a in old.agents)) if x not in ids
        )
    )


class RemovalNotAllowed(Exception):
    """Applying the configuration would remove queues or agents and removal was
    not allowed: nothing was changed. `queues` and `agents` list what would go."""

    def __init__(self, queues: tuple[str, ...], agents: tuple[str, ...]) -> None:
        self.queues = queues
        self.agents = agents
        super().__init__(
            "the configuration would remove "
            + "; ".join(
                f"{kind} {', '.join(ids)}"
                for kind, ids in (("queues", queues), ("agents", agents))
                if ids
            )
            + " (allow removal to apply it)"
        )


class StoredConfigInvalid(ConfigError):
    """The configuration stored by an earlier version no longer validates and no
    file replaces it: starting would empty the center, so it does not start."""


Listener = Callable[[CenterConfig, str], None]


class Configurator:
    """Holds the current configuration; `apply()` makes a new one live and
    announces it to the listeners (registered at start-up with `listen`), so
    no caller of `apply` can forget to tell the rest of the server."""

    def __init__(self, runner: CenterRunner, accounts: Accounts) -> None:
        self.runner = runner
        self.accounts = accounts
        self.current = CenterConfig()
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener(config, by)` after each successful apply (in order of
        registration, under the apply lock: concurrent applies end on the last)."""
        self._listeners.append(listener)

    def _announce(self, config: CenterConfig, by: str) -> None:
        for listener in self._listeners:
            try:
                listener(config, by)
            except Exception:  # applied and stored: one listener must not undo that
                log.exception("configuration listener %r failed", listener)

    async def start(self, from_file: CenterConfig | None) -> Applied:
        """Apply `from_file` (or, without a file, the stored configuration)
        against the configuration applied last time. Call after the runner started."""
        stored = await asyncio.to_thread(self.accounts.load_config)
        previous: CenterConfig | None = None
        if stored is not None:
            try:
                previous = validate(stored.document)
            except ConfigError as exc:  # written by an older version: re-apply everything
                if from_file is None:  # never empty a center for want of a file
                    raise StoredConfigInvalid(exc.problems) from None
                log.warning("the stored configuration no longer validates: %s", exc)
        self.current = previous or CenterConfig()
        target = from_file or previous or CenterConfig()
        # the start-up file is the operator's choice: `joignable serve` refuses
        # one that would remove queues or agents unless --allow-removal
        return await self.apply(target, by="config", previous=previous, allow_removal=True)

    async def apply(
        self,
        config: CenterConfig,
        *,
        by: str,
        previous: CenterConfig | None = None,
        allow_removal: bool = False,
    ) -> Applied:
        """Make `config` live: send the Configure commands it needs, store it.
        A configuration that drops queues or agents of the current one raises
        `RemovalNotAllowed` (nothing changed) unless `allow_removal`. Raises
        `CommandRejected` / `RunnerUnavailable` from the runner."""
        async with self._lock:
            old = previous if previous is not None else self.current
            engine = self.runner.engine
            going = set(would_remove(old, config))
            if going and not allow_removal:
                agent_ids = {a.id for a in old.agents}
                raise RemovalNotAllowed(
                    tuple(sorted(going - agent_ids)), tuple(sorted(going & agent_ids))
                )
            before = {*engine.queues, *engine.agents}
            commands = changes(old, config, engine, by=by)
            results: list[list[ev.Event]] = []
            if commands:
                results = await asyncio.gather(*(self.runner.submit(c) for c in commands))
            engine_events = await self.runner.submit(
                cmd.ConfigureEngine(max_missed_offers=config.center.max_missed_offers, by=by)
            )
            results.append(engine_events)
            now = self.runner.clock.now()
            document = config.model_dump(mode="json")
            await asyncio.to_thread(self.accounts.save_config, document, by=by, now=now)
            self.current = config
            removed, events, kept = await self._remove_what_left(config, by)
            self._announce(config, by)
            return Applied(
                len(commands) + removed,
                sum(len(r) for r in results) + events,
                kept,
                tuple(sorted(before - {*engine.queues, *engine.agents})),
            )

    async def _remove_what_left(
        self, config: CenterConfig, by: str
    ) -> tuple[int, int, tuple[str, ...]]:
        """Remove the queues and agents no longer in `config`; the engine refuses
        while something depends on them (contacts in a queue, an overflow to it,
        an agent logged in), and those are kept until a later apply. Returns
        (commands accepted, events, ids kept)."""
        engine = self.runner.engine
        ids = {q.id for q in config.queues} | {a.id for a in config.agents}
        done = events = 0
        progress = True
        while progress:  # a queue that another leaving queue overflows to goes second
            progress = False
            removals: list[cmd.Command] = [
                cmd.RemoveAgent(agent_id=a, by=by) for a in sorted(engine.agents) if a not in ids
            ]
            removals += [
                cmd.RemoveQueue(queue_id=q, by=by) for q in sorted(engine.queues) if q not in ids
            ]
            for command in removals:
                try:
                    out = await self.runner.submit(command)
                except (CommandRejected, InvalidTransition) as exc:
                    log.info("kept: %s", exc)
                    continue
                done += 1
                events += len(out)
                progress = True
        kept = sorted(x for x in (*engine.queues, *engine.agents) if x not in ids)
        return done, events, tuple(kept)

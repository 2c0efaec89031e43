"""The throttle bank takes a new configuration live: a throttle of the same
queue and site keeps its controller (share, counted outcomes, routing), a new
target is a `ThrottleTargetSet` decision, other throttles start fresh, and the
outcome of a contact sent under a throttle that is gone feeds nobody else."""

from __future__ import annotations

from dataclasses import replace

from joignable.core import events as ev
from joignable.core.model import Channel, ContactSpec, EndReason
from joignable.core.routing.throttle import ThrottleSettings, ThrottleTargetSet
from joignable.service.throttles import ThrottleBank

LYON = ThrottleSettings(queue="voice", site="lyon", target=0.2, min_sample=2, cooldown_s=0)


def queued(contact: str, queue: str, at: float) -> ev.ContactQueued:
    spec = ContactSpec(id=contact, channel=Channel.VOICE, queue=queue)
    return ev.ContactQueued(at=at, seq=0, contact=spec)


def abandoned(contact: str, at: float) -> ev.ContactEnded:
    return ev.ContactEnded(at=at, seq=0, contact_id=contact, reason=EndReason.ABANDONED)


def test_same_throttle_keeps_its_state_and_a_new_target_is_a_decision() -> None:
    bank = ThrottleBank([LYON], now=0.0)
    controller = bank.controllers["voice"]
    assert [bank.route("voice") for _ in range(5)].count("voice@lyon") == 1
    bank.apply(queued("c1", "voice@lyon", 10.0))
    bank.apply(abandoned("c1", 30.0))

    assert bank.configure([replace(LYON, limit=0.3)], now=40.0) == []  # no new target
    assert bank.controllers["voice"] is controller and controller.settings.limit == 0.3
    assert controller.rate(40.0) == (1.0, 1)  # the outcome counted before is still there
    assert controller.statistics(40.0).routed == 5

    (decision,) = bank.configure([replace(LYON, limit=0.3, target=0.1)], now=50.0, by="admin")
    assert isinstance(decision, ThrottleTargetSet)
    assert (decision.previous, decision.share, decision.target, decision.by) == (
        0.2, 0.1, 0.1, "admin"
    )  # fmt: skip
    assert list(bank.recent) == [decision]
    assert bank.controllers["voice"] is controller and controller.share == 0.1
    assert [bank.route("voice") for _ in range(10)].count("voice@lyon") == 1

    (higher,) = bank.configure([replace(LYON, target=0.5)], now=60.0)
    assert (higher.share, higher.target) == (0.1, 0.5)  # reached in steps, as Lyon stays healthy


def test_a_throttle_moved_to_another_site_starts_fresh_and_old_outcomes_feed_nobody() -> None:
    bank = ThrottleBank([LYON], now=0.0)
    old = bank.controllers["voice"]
    bank.apply(queued("c1", "voice@lyon", 10.0))
    paris = replace(LYON, site="paris", target=0.3)
    assert bank.configure([paris], now=20.0) == []
    new = bank.controllers["voice"]
    assert new is not old and (new.share, bank.via) == (0.3, {"voice@paris": "voice"})
    bank.apply(abandoned("c1", 40.0))  # entered Lyon's share: not Paris's outcome
    assert new.rate(40.0) == (None, 0) and old.rate(40.0) == (1.0, 1)

    assert bank.configure([], now=50.0) == []
    assert bank.controllers == {} and bank.route("voice") == "voice"
    bank.apply(queued("c2", "voice@paris", 60.0))  # no longer a throttle's variant
    bank.apply(abandoned("c2", 90.0))
    assert new.rate(90.0) == (None, 0)

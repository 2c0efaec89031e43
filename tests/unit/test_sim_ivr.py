"""The twin's callers walking the example flows: the caller model's shares, the time
spent in the IVR, deterministic replay (same seed, same walk)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from joignable.core.flows.engine import Context
from joignable.schema.flow import load_flow
from joignable.sim.flowmodel import CallerModel
from joignable.sim.ivr import Walk, walk

FLOWS = Path(__file__).resolve().parents[2] / "examples" / "flows"
MAIN = load_flow(FLOWS / "main.yaml")
CRISIS = load_flow(FLOWS / "crisis.yaml")
PARIS = ZoneInfo("Europe/Paris")


def _at(hour: int) -> float:
    return datetime(2024, 3, 12, hour, 0, tzinfo=PARIS).timestamp()  # a Tuesday


def _walks(flow: object, hour: int, callers: CallerModel, n: int, seed: int = 1) -> list[Walk]:
    rng = random.Random(seed)
    return [
        walk(MAIN if flow is None else flow, _at(hour), lambda t: Context(now=t), callers, rng)  # type: ignore[arg-type]
        for _ in range(n)
    ]


def test_the_same_seed_gives_the_same_walks_and_another_seed_others() -> None:
    callers = CallerModel.model_validate(
        {
            "lookups": {
                "identify": {"fail": 0.2, "answers": [{"share": 0.3, "data": {"tier": "vip"}}]}
            }
        }
    )
    a = _walks(MAIN, 10, callers, 200, seed=5)
    assert a == _walks(MAIN, 10, callers, 200, seed=5)
    assert a != _walks(MAIN, 10, callers, 200, seed=6)


def test_menu_shares_are_respected_and_silence_is_no_input() -> None:
    # crisis.yaml: the intent menu's key 1 leads to the status link, then still_need
    # (no retries): 30 % press 1 (the queue), the others say nothing (resolved).
    callers = CallerModel.model_validate(
        {"menus": {"intent": {"1": 1.0}, "still_need": {"1": 0.3}}}
    )
    walks = _walks(CRISIS, 10, callers, 2000)
    queued = sum(w.outcome == "enqueued" for w in walks) / len(walks)
    assert 0.25 < queued < 0.35
    assert {w.outcome for w in walks} == {"enqueued", "self_service"}
    assert all(w.resolved for w in walks if w.outcome == "self_service")  # resolved: true
    assert all(w.deflected for w in walks)


def test_default_menu_answer_is_uniform_over_the_keys() -> None:
    walks = _walks(CRISIS, 10, CallerModel(), 3000)
    first = [w.path[2] for w in walks]  # after reassure, intent
    for node in ("outage_info", "billing_queue", "other"):
        assert 0.28 < first.count(node) / len(first) < 0.39


def test_lookup_shares_give_vip_callers_their_priority() -> None:
    callers = CallerModel.model_validate(
        {
            "menus": {"menu": {"1": 1.0}},
            "lookups": {
                "identify": {"fail": 0.1, "answers": [{"share": 0.25, "data": {"tier": "vip"}}]}
            },
        }
    )
    walks = _walks(MAIN, 10, callers, 2000)
    vip = [w for w in walks if "vip" in w.path]
    assert 0.2 < len(vip) / len(walks) < 0.3
    assert all(w.enqueue is not None and w.enqueue.priority == 10 for w in vip)
    assert all(w.enqueue is not None and w.enqueue.queue == "billing" for w in walks)


def test_after_hours_callers_are_deflected_and_resolve_at_the_success_share() -> None:
    callers = CallerModel.model_validate({"deflect_success": 0.6})
    walks = _walks(MAIN, 19, callers, 2000)  # the office closes at 18:00
    assert {w.outcome for w in walks} == {"self_service"}
    assert all("after_hours" in w.path for w in walks)
    resolved = sum(w.resolved for w in walks) / len(walks)
    assert 0.55 < resolved < 0.65


def test_time_in_the_ivr_is_the_prompts_at_the_speech_rate_plus_the_answers() -> None:
    greeting = "Bienvenue chez Joignable Énergie."
    goodbye = next(t for lang, t in MAIN.by_id()["closed_goodbye"].text.by_lang if lang == "fr")  # type: ignore[union-attr]
    (w,) = _walks(MAIN, 19, CallerModel(chars_per_second=10), 1)
    assert w.end - _at(19) == pytest.approx((len(greeting) + len(goodbye)) / 10)
    callers = CallerModel.model_validate({"menus": {"menu": {"1": 1.0}}, "answer_seconds": 100})
    (w,) = _walks(MAIN, 10, callers, 1)
    assert w.outcome == "enqueued" and w.end - _at(10) > 100 + 0.5  # one answer, one lookup


def test_no_input_costs_the_prompt_time_out() -> None:
    silent = CallerModel.model_validate({"menus": {"menu": {}}, "answer_seconds": 0})
    (w,) = _walks(MAIN, 10, silent, 1)
    assert w.enqueue is not None and w.enqueue.queue == "general"
    assert w.end - _at(10) > 3 * 5.0  # three prompts of the menu, 5 s each


def test_gathers_valid_and_invalid_answers() -> None:
    def contract(valid: float) -> list[Walk]:
        callers = {"menus": {"menu": {"2": 1.0}}, "gathers": {"contract": valid}}
        return _walks(MAIN, 10, CallerModel.model_validate(callers), 50)

    good, bad = contract(1.0), contract(0.0)
    assert all(dict(w.enqueue.attributes).get("contract") == "777777" for w in good if w.enqueue)
    assert all(w.enqueue is not None and w.enqueue.queue == "technical" for w in good + bad)
    assert not any("contract" in dict(w.enqueue.attributes) for w in bad if w.enqueue)


def test_callback_offers_accepted_and_callers_hanging_up() -> None:
    callers = CallerModel.model_validate({"menus": {"intent": {"3": 1.0}}, "callback_accept": 1.0})
    walks = _walks(CRISIS, 10, callers, 20)
    assert all(w.outcome == "callback" and w.enqueue and w.enqueue.callback for w in walks)
    gone = _walks(CRISIS, 10, CallerModel(hang_up=1.0), 20)
    assert {w.outcome for w in gone} == {"abandoned"} and not any(w.enqueue for w in gone)

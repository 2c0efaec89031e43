# Why: the flow engine decides what every caller hears and where they go; these pin
# its inputs and actions (a gather of many digits, menu retries, lookups as actions,
# conditions), that a session is a JSON value a restart resumes from, that a finished
# or foreign session is safe, and that a bad flow cannot loop for ever.
from __future__ import annotations

import functools
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joignable.core.flows import actions as a
from joignable.core.flows import model as m
from joignable.core.flows.engine import MAX_STEPS, Context, FlowInputError, QueueState, start, step
from joignable.core.flows.session import Session
from joignable.core.hours import Schedule, Shift
from joignable.schema.flow import load_flow, parse_flow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()  # a Wednesday


def _flow(nodes: str, extra: str = "") -> m.Flow:
    return parse_flow(
        f"flow: t\nstart: first\nlanguages: [fr, en]\n{extra}nodes:\n{nodes}", "t.yaml"
    )


def _kinds(actions: list[a.Action]) -> list[str]:
    return [type(x).__name__ for x in actions if not isinstance(x, a.Entered)]


def _ended(actions: list[a.Action]) -> a.Ended:
    (end,) = [x for x in actions if isinstance(x, a.Ended)]
    return end


GATHER = """\
  first:
    kind: gather
    prompt: {fr: "Numéro ?", en: "Number?"}
    into: contract
    min_length: 6
    max_length: 10
    retries: 1
    next: done
    fail: failed
  done:
    kind: enqueue
    queue: billing
  failed:
    kind: hangup
"""


def test_gather_takes_many_digits_up_to_the_finish_key() -> None:
    flow = _flow(GATHER)
    s, acts = start(flow, Context(NOW))
    gather = next(x for x in acts if isinstance(x, a.Gather))
    assert (gather.mode, gather.min_length, gather.max_length, gather.finish_key) == (
        "digits", 6, 10, "#",
    )  # fmt: skip
    s, acts = step(flow, s, a.Digits("1234567#"), Context(NOW))
    assert dict(s.variables)["contract"] == "1234567"
    enq = next(x for x in acts if isinstance(x, a.Enqueue))
    assert ("contract", "1234567") in enq.attributes
    assert _ended(acts).outcome == "enqueued" and s.done


def test_gather_too_short_is_asked_again_then_fails() -> None:
    flow = _flow(GATHER)
    s, _ = start(flow, Context(NOW))
    s, acts = step(flow, s, a.Digits("12#"), Context(NOW))
    assert _kinds(acts) == ["Say", "Gather"] and s.retries == 1 and not s.done
    s, acts = step(flow, s, a.NoInput(), Context(NOW))
    assert _ended(acts).outcome == "hangup" and s.node == "failed"


MENU = """\
  first:
    kind: menu
    prompt: {fr: "1 ou 2", en: "1 or 2"}
    reprompt: {fr: "Encore : 1 ou 2", en: "Again: 1 or 2"}
    choices:
      - {key: 1, words: [facture], next: one}
      - {key: 2, next: two}
    retries: 2
    no_input: silent
    no_match: wrong
  one: {kind: enqueue, queue: billing}
  two: {kind: enqueue, queue: technical}
  silent: {kind: enqueue, queue: general}
  wrong: {kind: hangup}
"""


def test_menu_reprompts_then_takes_the_no_input_branch() -> None:
    flow = _flow(MENU)
    s, acts = start(flow, Context(NOW))
    assert [x.text for x in acts if isinstance(x, a.Say)] == ["1 ou 2"]
    for _ in range(2):
        s, acts = step(flow, s, a.NoInput(), Context(NOW))
        assert [x.text for x in acts if isinstance(x, a.Say)] == ["Encore : 1 ou 2"]
    s, acts = step(flow, s, a.NoInput(), Context(NOW))
    assert s.node == "silent" and s.done


def test_menu_no_match_branch_and_spoken_choice() -> None:
    flow = _flow(MENU.replace("retries: 2", "retries: 0"))
    s, _ = start(flow, Context(NOW))
    s2, _ = step(flow, s, a.Digits("9"), Context(NOW))
    assert s2.node == "wrong"
    s3, acts = step(flow, s, a.Speech(" Facture "), Context(NOW))
    assert s3.node == "one" and [x.queue for x in acts if isinstance(x, a.Enqueue)] == ["billing"]


LOOKUP = """\
  first:
    kind: lookup
    url: "https://crm.example/c?phone={caller.number}"
    result: {tier: customer.tier, name: customer.name}
    next: said
    fallback: plain
  said:
    kind: say
    text: {fr: "Bonjour {name}", en: "Hello {name}"}
    next: q
  plain: {kind: enqueue, queue: general}
  q: {kind: enqueue, queue: vip, priority: 5}
"""


def test_lookup_is_an_action_and_its_result_the_next_input() -> None:
    flow = _flow(LOOKUP)
    ctx = Context(NOW, caller={"number": "+33 6 12"})
    s, acts = start(flow, ctx)
    (look,) = [x for x in acts if isinstance(x, a.Lookup)]
    assert look.url == "https://crm.example/c?phone=%2B33%206%2012"  # encoded
    s, acts = step(flow, s, a.LookupDone({"customer": {"tier": "vip", "name": "Ana"}}), ctx)
    assert dict(s.variables) == {"tier": "vip", "name": "Ana"}
    assert [x.text for x in acts if isinstance(x, a.Say)] == ["Bonjour Ana"]
    assert [x.priority for x in acts if isinstance(x, a.Enqueue)] == [5]


def test_a_priority_that_is_not_a_number_is_the_queues_order() -> None:
    flow = _flow(LOOKUP.replace("priority: 5", "priority: '{tier}'"))
    s, _ = start(flow, Context(NOW))
    for tier in ("gold", "inf", "1e400", "7"):
        _, acts = step(flow, s, a.LookupDone({"customer": {"tier": tier}}), Context(NOW))
        assert [x.priority for x in acts if isinstance(x, a.Enqueue)] == [7 if tier == "7" else 0]


def test_lookup_failure_takes_the_fallback() -> None:
    flow = _flow(LOOKUP)
    s, _ = start(flow, Context(NOW))
    s, _ = step(flow, s, a.LookupFailed("timeout"), Context(NOW))
    assert s.node == "plain"


def test_an_input_that_does_not_answer_is_refused() -> None:
    flow = _flow(LOOKUP)
    s, _ = start(flow, Context(NOW))
    with pytest.raises(FlowInputError, match="does not answer node 'first'"):
        step(flow, s, a.Digits("1"), Context(NOW))


def test_session_is_json_and_a_restart_resumes_it() -> None:
    flow = _flow(MENU)
    s, _ = start(flow, Context(NOW))
    s, _ = step(flow, s, a.NoInput(), Context(NOW))
    restored = Session.from_dict(json.loads(json.dumps(s.to_dict())))
    assert restored == s
    assert step(flow, restored, a.Digits("2"), Context(NOW)) == step(
        flow, s, a.Digits("2"), Context(NOW)
    )
    with pytest.raises(ValueError, match="retries"):
        Session.from_dict({**s.to_dict(), "retries": -1})


def test_finished_session_ignores_inputs_and_other_versions_are_refused() -> None:
    flow = _flow(MENU)
    s, _ = start(flow, Context(NOW))
    s, _ = step(flow, s, a.Digits("1"), Context(NOW))
    assert step(flow, s, a.Digits("1"), Context(NOW)) == (s, [])  # a late webhook: no harm
    other = _flow(MENU.replace("1 ou 2", "un ou deux"))
    with pytest.raises(FlowInputError, match="not t@"):
        step(other, s, a.Digits("1"), Context(NOW))


def test_hang_up_ends_as_abandoned() -> None:
    flow = _flow(MENU)
    s, _ = start(flow, Context(NOW))
    s, acts = step(flow, s, a.HangUp(), Context(NOW))
    assert s.outcome == "abandoned" and _ended(acts).node == "first"


def test_a_loop_that_slipped_through_is_bounded() -> None:
    say = m.Text((("fr", "boucle"),))
    bad = m.Flow("bad", "a", ("fr",), (m.Say("a", say, "b"), m.Say("b", say, "a")), version="v")
    s, acts = start(bad, Context(NOW))
    end = _ended(acts)
    assert s.done and end.outcome == "error" and str(MAX_STEPS) in end.reason
    assert isinstance(acts[-2], a.Hangup)


BRANCH = """\
  first:
    kind: branch
    cases:
      - when: {crisis: true}
        next: crisis
      - when: {holiday: office}
        next: holiday
      - when: [{open: office}, {queue: billing, metric: wait, gt: 300}]
        next: long
      - when: {open: office}
        next: open
      - when: {segment: [gold]}
        next: gold
      - when: {var: caller.vip, eq: true}
        next: vip
    default: closed
  crisis: {kind: hangup}
  holiday: {kind: hangup}
  long: {kind: hangup}
  open: {kind: hangup}
  gold: {kind: hangup}
  vip: {kind: hangup}
  closed: {kind: hangup}
"""
OFFICE = """\
schedules:
  office:
    zone: Europe/Paris
    week: {wed: ["08:30-12:30"]}
    holidays: FR
"""


@pytest.mark.parametrize(
    ("ctx", "node"),
    [
        (Context(NOW, crisis=True), "crisis"),
        (Context(NOW), "open"),
        (Context(NOW, queues={"billing": QueueState(wait=301)}), "long"),
        (Context(NOW + 4 * 3600), "closed"),
        (Context(NOW + 4 * 3600, caller={"segment": "gold"}), "gold"),
        (Context(NOW + 4 * 3600, caller={"vip": "true"}), "vip"),
        (Context(datetime(2026, 5, 1, 10, tzinfo=ZoneInfo("Europe/Paris")).timestamp()),
         "holiday"),
    ],
)  # fmt: skip
def test_branch_conditions(ctx: Context, node: str) -> None:
    flow = _flow(BRANCH, OFFICE)
    s, _ = start(flow, ctx)
    assert s.node == node


def test_the_centers_schedule_replaces_the_flows() -> None:
    flow = _flow(BRANCH, OFFICE)
    always = Schedule("office", "UTC", ((Shift(0, 1440),),) * 7, holidays={})
    s, _ = start(flow, Context(NOW + 4 * 3600, schedules={"office": always}))
    assert s.node == "open"
    assert date(2026, 5, 1) in flow.schedules["office"].holidays


def test_language_from_context_then_set_by_the_caller() -> None:
    flow = _flow(
        """\
  first:
    kind: menu
    prompt: {fr: "Pour l'anglais, 9", en: "For French, 8"}
    choices:
      - {key: 9, next: english}
      - {key: 8, next: bye}
    no_input: bye
  english:
    kind: set
    values: {lang: en}
    next: bye
  bye:
    kind: hangup
    text: {fr: "Au revoir", en: "Goodbye"}
"""
    )
    s, acts = start(flow, Context(NOW, language="de"))  # not a flow language: the default
    assert [x.language for x in acts if isinstance(x, a.Say)] == ["fr"]
    s, acts = step(flow, s, a.Digits("9"), Context(NOW))
    assert [(x.text, x.language) for x in acts if isinstance(x, a.Say)] == [("Goodbye", "en")]


def test_callback_keeps_the_place_and_deflect_is_self_service() -> None:
    flow = _flow(
        """\
  first:
    kind: callback
    prompt: {fr: "Rappel ? 1", en: "Callback? 1"}
    queue: billing
    declined: link
  link:
    kind: deflect
    link: "https://v.example/{caller.number}"
    message: {fr: "Votre lien", en: "Your link"}
    next: bye
  bye: {kind: hangup}
"""
    )
    ctx = Context(NOW, caller={"number": "+336"})
    s, acts = start(flow, ctx)
    assert [x.queue for x in acts if isinstance(x, a.OfferCallback)] == ["billing"]
    later = Context(NOW + 30, caller={"number": "+336"})
    done, acts = step(flow, s, a.Digits("1"), later)
    (enq,) = [x for x in acts if isinstance(x, a.Enqueue)]
    assert enq.callback and enq.since == NOW and done.outcome == "callback"
    done, acts = step(flow, s, a.NoInput(), later)
    assert [x for x in acts if isinstance(x, a.Deflect)] == [
        a.Deflect("+336", "https://v.example/%2B336", "Votre lien")
    ]
    assert _ended(acts).self_service and done.outcome == "self_service"


def test_enqueue_announcement_keeps_position_and_wait_for_the_channel() -> None:
    flow = _flow(
        """\
  first:
    kind: enqueue
    queue: billing
    skills: [billing]
    language: en
    announce: {fr: "Position {position}", en: "Number {position}, {wait_minutes} min"}
    announce_every: 60
    callback_every: 120
"""
    )
    _, acts = start(flow, Context(NOW))
    (enq,) = [x for x in acts if isinstance(x, a.Enqueue)]
    assert (enq.announce, enq.announce_every, enq.callback_every, enq.language) == (
        "Position {position}",
        60.0,
        120.0,
        "en",
    )  # fmt: skip — the prompt in the session's language, the queue's language as said


# --- any inputs, any order: only FlowInputError, and sessions stay JSON values ---------


@functools.cache
def _main() -> m.Flow:
    return load_flow(Path(__file__).resolve().parents[2] / "examples" / "flows" / "main.yaml")


inputs = st.one_of(
    st.builds(a.Digits, st.text("0123456789#*", max_size=12)),
    st.builds(a.Speech, st.sampled_from(["facture", "oui", "", "panne", "??"])),
    st.just(a.NoInput()),
    st.just(a.HangUp()),
    st.builds(a.LookupFailed, st.text(max_size=5)),
    st.builds(
        a.LookupDone,
        st.dictionaries(
            st.sampled_from(["id", "tier", "first_name", "x"]),
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                      st.sampled_from(["vip", "inf"]), st.lists(st.integers(), max_size=2)),
        ),
    ),
)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(inputs, max_size=12), st.integers(0, 7 * 24), st.booleans())
def test_any_inputs_give_a_session_or_a_flow_input_error(
    sequence: list[a.Input], hours: int, crisis: bool
) -> None:
    flow = _main()
    ctx = Context(NOW + hours * 3600, crisis=crisis, caller={"number": "+33612345678"})
    s, acts = start(flow, ctx)
    for inp in sequence:
        try:
            s, acts = step(flow, s, inp, ctx)
        except FlowInputError:
            continue
        assert Session.from_dict(json.loads(json.dumps(s.to_dict()))) == s
        assert len(acts) < 4 * MAX_STEPS
        if s.done:
            assert step(flow, s, inp, ctx) == (s, [])

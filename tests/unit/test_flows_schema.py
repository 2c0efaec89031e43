# Why: a bad flow must never be published and its author must see where it is wrong;
# these pin each validation rule and the `FILE:LINE: node X: message` shape, and fuzz
# the loader: whatever the bytes, a SchemaError with problems, never a traceback.
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joignable.core.flows import model as m
from joignable.core.flows.validate import problems
from joignable.schema.flow import parse_flow
from joignable.schema.problem import SchemaError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
HEAD = "flow: t\nstart: first\nlanguages: [fr, en]\n"
BYE = "  bye: {kind: hangup}\n"


def _errors(text: str) -> list[str]:
    with pytest.raises(SchemaError) as exc:
        parse_flow(text, "f.yaml")
    return [str(p) for p in exc.value.problems]


def test_unknown_target_names_file_line_and_node() -> None:
    text = (
        HEAD + "nodes:\n  first:\n    kind: say\n    text: {fr: a, en: b}\n    next: byee\n" + BYE
    )
    assert _errors(text) == ["f.yaml:8: node first: next: unknown target 'byee'"]


def test_unreachable_node() -> None:
    text = HEAD + "nodes:\n  first: {kind: hangup}\n  lost: {kind: hangup}\n"
    assert _errors(text) == ["f.yaml:6: node lost: unreachable: no path from the start leads here"]


def test_prompt_missing_for_a_language() -> None:
    text = HEAD + "nodes:\n  first:\n    kind: say\n    text: {fr: bonjour}\n    next: bye\n" + BYE
    assert _errors(text) == ["f.yaml:7: node first: text: prompt missing for language 'en'"]


def test_a_plain_text_prompt_is_the_default_language_only() -> None:
    one = "flow: t\nstart: first\nlanguages: [fr]\nnodes:\n  first: {kind: hangup, text: Salut}\n"
    assert isinstance(parse_flow(one, "f.yaml").nodes[0], m.Hangup)


def test_loop_with_no_way_out() -> None:
    text = HEAD + (
        "nodes:\n"
        "  first:\n    kind: menu\n    prompt: {fr: a, en: b}\n"
        "    choices: [{key: 1, next: trap}]\n    no_input: bye\n"
        "  trap:\n    kind: say\n    text: {fr: a, en: b}\n    next: trap2\n"
        "  trap2:\n    kind: play\n    audio: music.wav\n    next: trap\n" + BYE
    )
    found = _errors(text)
    assert (
        "f.yaml:10: node trap: a loop with no way out: no end (enqueue, transfer, voicemail, "
        "hangup) can be reached from here" in found
    ), found
    assert any("node trap2: a loop with no way out" in f for f in found), found
    assert any("(trap -> trap2 -> trap)" in f for f in found), found


def test_prompt_loop_with_no_retry_limit_is_refused() -> None:
    # the trap: no input -> "sorry" -> the menu again, for ever, never heard
    text = HEAD + (
        "nodes:\n"
        "  first:\n    kind: menu\n    prompt: {fr: a, en: b}\n"
        "    choices: [{key: 1, next: bye}]\n    no_input: sorry\n"
        "  sorry:\n    kind: say\n    text: {fr: pardon, en: sorry}\n    next: first\n" + BYE
    )
    (found,) = _errors(text)
    assert found.startswith("f.yaml:5: node first: a loop that never waits for the caller's")
    assert "first -> sorry -> first" in found


def test_a_caller_chosen_loop_back_to_the_menu_is_fine() -> None:
    text = HEAD + (
        "nodes:\n"
        "  first:\n    kind: menu\n    prompt: {fr: a, en: b}\n"
        "    choices: [{key: 1, next: info}, {key: 2, next: bye}]\n    no_input: bye\n"
        "  info:\n    kind: say\n    text: {fr: info, en: info}\n    next: first\n" + BYE
    )
    assert parse_flow(text, "f.yaml").start == "first"


def test_variable_not_set_before_use() -> None:
    text = HEAD + (
        "nodes:\n  first:\n    kind: say\n    text: {fr: 'Bonjour {name}', en: 'Hi {caller.name}'}\n"
        "    next: bye\n" + BYE
    )
    assert _errors(text) == [
        "f.yaml:7: node first: text.fr: variable 'name' is not set before this node"
    ]


def test_unknown_schedule_and_key_typos_with_did_you_mean() -> None:
    text = HEAD + (
        "nodes:\n  first:\n    kind: branch\n    cases: [{when: {open: office}, next: bye}]\n"
        "    default: bye\n" + BYE
    )
    assert _errors(text) == [
        "f.yaml:7: node first: cases[0].when[0]: unknown schedule 'office' (schedules: none declared)"
    ]
    typo = HEAD + "nodes:\n  first: {kind: say, text: {fr: a, en: b}, nxt: bye}\n" + BYE
    found = _errors(typo)
    assert "f.yaml:5: node first: nxt: unknown key 'nxt'; did you mean 'next'?" in found


def test_menu_duplicate_key() -> None:
    text = HEAD + (
        "nodes:\n  first:\n    kind: menu\n    prompt: {fr: a, en: b}\n"
        "    choices: [{key: 1, next: bye}, {key: 1, next: bye}]\n    no_input: bye\n" + BYE
    )
    assert _errors(text) == ["f.yaml:8: node first: choices: key '1' is used twice"]


def test_menu_choice_with_neither_key_nor_words() -> None:
    text = HEAD + (
        "nodes:\n  first:\n    kind: menu\n    prompt: {fr: a, en: b}\n"
        "    choices: [{next: bye}]\n    no_input: bye\n" + BYE
    )
    assert _errors(text) == ["f.yaml:8: node first: choices[0]: a choice needs a key or words"]


def test_core_validator_names_the_node_without_the_schema() -> None:
    flow = m.Flow("t", "a", ("fr",), (m.Say("a", m.Text((("fr", "x"),)), "nowhere"),))
    assert [str(p) for p in problems(flow)] == ["node a: next: unknown target 'nowhere'"]


def test_the_example_flows_are_valid() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if not path.name.endswith(".tests.yaml"):
            parse_flow(path.read_text(), str(path))


# --- fuzz: a clear error, never a traceback -------------------------------------------

MAIN = (EXAMPLES / "main.yaml").read_text()
_DATA = yaml.safe_load(MAIN)


def _mutate(data: object, path: list[int], replacement: object) -> object:
    """`data` with the value reached by walking `path` (indices into keys/items)
    replaced."""
    if not path or not isinstance(data, dict | list) or not data:
        return replacement
    if isinstance(data, dict):
        keys = list(data)
        key = keys[path[0] % len(keys)]
        return {**data, key: _mutate(data[key], path[1:], replacement)}
    i = path[0] % len(data)
    return [*data[:i], _mutate(data[i], path[1:], replacement), *data[i + 1 :]]


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["menu", "say", "bye", "x" * 300, "\x00", "{nope}"]),
)  # fmt: skip
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=6)  # fmt: skip


def _load(text: str) -> None:
    try:
        parse_flow(text, "fuzz.yaml")
    except SchemaError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file == "fuzz.yaml" and str(p)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 50), max_size=6), values)
def test_fuzz_mutated_documents(path: list[int], replacement: object) -> None:
    _load(yaml.safe_dump(_mutate(_DATA, path, replacement), allow_unicode=True))


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(MAIN)), st.integers(0, 40), st.text(max_size=8))
def test_fuzz_cut_and_spliced_text(at: int, cut: int, insert: str) -> None:
    _load(MAIN[:at] + insert + MAIN[at + cut :])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_random_text(text: str) -> None:
    _load(text)

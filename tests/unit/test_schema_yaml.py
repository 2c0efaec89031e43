# Why: the shared YAML loader is what makes every problem of the center file and of a
# scenario name its file and line; these pin each kind of malformed input.
from __future__ import annotations

import pytest

from joignable.schema.problem import Problem, SchemaError
from joignable.schema.suggest import unknown_key
from joignable.schema.yaml_source import decode, parse


def _fail(text: str) -> Problem:
    with pytest.raises(SchemaError) as exc:
        parse(text, "center.yaml")
    (problem,) = exc.value.problems
    return problem


def test_tab_in_indentation_names_file_and_line() -> None:
    p = _fail("queues:\n\t- id: q1\n")
    assert str(p) == "center.yaml:2: (document): tab in indentation; indent with spaces"


def test_bad_indentation_names_line() -> None:
    p = _fail("center:\n  name: a\n bad: b\n")
    assert (p.file, p.line) == ("center.yaml", 3)
    assert p.message.startswith("invalid YAML:")


def test_duplicate_key_is_refused_at_its_line() -> None:
    p = _fail("queues:\n  - id: q1\n    id: q2\n")
    assert str(p) == "center.yaml:3: queues[0].id: duplicate key"


def test_list_root_is_refused() -> None:
    assert str(_fail("- a\n- b\n")) == (
        "center.yaml:1: (document): the document must be a mapping of keys"
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_is_refused(text: str) -> None:
    assert str(_fail(text)) == "center.yaml:1: (document): empty file; expected a mapping"


def test_line_of_nested_value() -> None:
    src = parse("a: 1\nqueues:\n  - id: q1\n    sla: 20\n", "s.yaml")
    assert src.line(("queues", 0, "sla")) == 4
    assert str(src.problem(("queues", 0, "sla"), "too big")) == "s.yaml:4: queues[0].sla: too big"
    assert src.data == {"a": 1, "queues": [{"id": "q1", "sla": 20}]}


def test_unknown_key_suggests_the_close_one() -> None:
    assert unknown_key("chanels", ["channels", "queues"]) == (
        "unknown key 'chanels'; did you mean 'channels'?"
    )
    assert unknown_key("zzz", ["channels"]) == "unknown key 'zzz'"


# Hostile files (issue 18): each gets `FILE:LINE: message`, at once, never a traceback.


def test_a_python_tag_is_refused() -> None:
    p = _fail("queues: !!python/object:os.system\n  a: 1\n")
    assert p.line == 1 and "python/object" in p.message


def test_a_control_character_names_its_line() -> None:
    p = _fail('center:\n  name: "x\x01"\n')
    assert str(p) == (
        "center.yaml:2: (document): invalid YAML: character U+0001 is not allowed"
        " (write it escaped in quotes)"
    )


@pytest.mark.parametrize("text", ["a: &x\n  b: *x\n", "a: &x [1, *x]\n"])
def test_a_recursive_anchor_is_refused_at_once(text: str) -> None:
    p = _fail(text)
    assert p.line == 1 and "recursive anchor" in p.message


def test_aliases_that_expand_past_the_bound_are_refused() -> None:
    text = "a: &l0 [" + ", ".join(["x"] * 10) + "]\n"
    for i in range(1, 7):  # 10**7 values once expanded
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    p = _fail(text)
    assert "aliases expand the document past 200,000 values" in p.message


def test_aliases_within_the_bound_are_read() -> None:
    source = parse("base: &b {name: x}\nfirst: *b\nsecond: *b\n", "center.yaml")
    assert source.data["second"] == {"name": "x"}


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    with pytest.raises(SchemaError) as exc:
        decode("center:\n  name: caf\xe9\n".encode("latin-1"), "center.yaml")
    assert [str(p) for p in exc.value.problems] == [
        "center.yaml:2: (document): not UTF-8 text (byte 0xe9)"
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_byte_order_mark_gives_the_encoding(encoding: str) -> None:
    assert decode("center:\n  name: café\n".encode(encoding), "c.yaml") == "center:\n  name: café\n"

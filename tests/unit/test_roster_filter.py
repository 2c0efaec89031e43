"""The tower's agent search ignores case and accents (issue 11)."""

from __future__ import annotations

import pytest

from joignable.core.model import AgentSpec
from joignable.core.routing.runtime import Agent
from joignable.service.roster import AgentFilter, fold

HELENE = Agent(AgentSpec(id="p07", name="Hélène Dupré", site="paris"))
ELODIE = Agent(AgentSpec(id="l02", name="Elodie Strauß", site="lyon"))


@pytest.mark.parametrize(
    ("find", "found"),
    [
        ("helene", ["p07"]),
        ("HÉLÈNE", ["p07"]),
        ("dupre", ["p07"]),
        ("élodie", ["l02"]),
        ("strauss", ["l02"]),
        ("LYON", ["l02"]),
        ("e", ["p07", "l02"]),
        ("nobody", []),
    ],
)
def test_search_ignores_case_and_accents(find: str, found: list[str]) -> None:
    who = AgentFilter.of(find)
    assert [a.id for a in (HELENE, ELODIE) if who.matches(a, "available")] == found


def test_fold() -> None:
    assert fold("Hélène ÇA ß") == "helene ca ss"

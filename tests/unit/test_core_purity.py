"""core/ is the functional core: standard library only, no clock, no global randomness, no I/O.

This test reads the source (AST), so it catches a forbidden call even on a
code path no other test runs.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "joignable" / "core"
FILES = sorted(CORE.glob("*.py"))

# module attribute calls that read the wall clock, global randomness or the outside world
FORBIDDEN_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("time", "sleep"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("os", "getenv"),
    ("os", "urandom"),
    ("uuid", "uuid4"),
    ("uuid", "uuid1"),
    *(
        ("random", name)
        for name in (
            "random",
            "randint",
            "randrange",
            "choice",
            "choices",
            "shuffle",
            "sample",
            "uniform",
            "expovariate",
            "gauss",
            "lognormvariate",
            "seed",
        )
    ),
}
FORBIDDEN_MODULES = {"socket", "subprocess", "threading", "asyncio", "sqlite3", "urllib", "http"}
FORBIDDEN_NAMES = {"open", "input", "print"}


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                continue
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names:
                    found.append(
                        f"{path.name}:{node.lineno}: imports {name} (not standard library)"
                    )
                elif top in FORBIDDEN_MODULES:
                    found.append(f"{path.name}:{node.lineno}: imports {name} (I/O or concurrency)")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if (func.value.id, func.attr) in FORBIDDEN_CALLS:
                    found.append(f"{path.name}:{node.lineno}: calls {func.value.id}.{func.attr}()")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                found.append(f"{path.name}:{node.lineno}: calls {func.id}()")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) == ("os", "environ")
        ):
            found.append(f"{path.name}:{node.lineno}: reads os.environ")
    return found


def test_core_has_modules() -> None:
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_core_module_is_pure(path: Path) -> None:
    assert violations(path) == []


def test_the_checker_catches_what_it_should(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import time\nimport yaml\nimport random\nfrom datetime import datetime\n"
        "x = time.time()\ny = random.random()\nz = datetime.now()\nopen('f')\n"
    )
    found = violations(bad)
    assert len(found) == 5, found

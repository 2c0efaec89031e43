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
FILES = sorted(CORE.rglob("*.py"))

# what reads the wall clock, global randomness, entropy or the environment, by
# qualified name: caught however it is imported (`import time as t`, `from time
# import monotonic`, `from datetime import datetime`) and whether it is called or
# only referenced (`clock=time.monotonic`)
_RANDOM = (
    "random", "randint", "randrange", "choice", "choices", "shuffle", "sample",
    "uniform", "expovariate", "gauss", "normalvariate", "lognormvariate",
    "betavariate", "gammavariate", "paretovariate", "triangular", "vonmisesvariate",
    "weibullvariate", "getrandbits", "randbytes", "seed", "SystemRandom",
)  # fmt: skip
FORBIDDEN = {
    *(f"time.{n}" for n in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter",
                            "perf_counter_ns", "process_time", "process_time_ns", "sleep",
                            "localtime", "gmtime", "ctime", "asctime", "strftime")),
    *(f"datetime.{c}.{n}" for c in ("datetime", "date") for n in ("now", "utcnow", "today")),
    "os.getenv", "os.environ", "os.urandom", "os.getrandom",
    "uuid.uuid1", "uuid.uuid4",
    *(f"random.{n}" for n in _RANDOM),
}  # fmt: skip
FORBIDDEN_MODULES = {
    "socket", "subprocess", "threading", "asyncio", "sqlite3", "urllib", "http", "secrets",
    "multiprocessing", "concurrent", "selectors", "ssl",
}  # fmt: skip
FORBIDDEN_NAMES = {"open", "input", "print"}


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> qualified name, from the module's imports."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _qualified(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """`t.time` -> "time.time" under `import time as t`; None if not an import."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    aliases = _aliases(tree)
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
            if isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    if f"{node.module}.{a.name}" in FORBIDDEN:
                        found.append(f"{path.name}:{node.lineno}: imports {node.module}.{a.name}")
        elif isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            name = _qualified(node, aliases)
            if name in FORBIDDEN:
                found.append(f"{path.name}:{node.lineno}: uses {name}")
            elif name == "random.Random" and _unseeded(tree, node):
                found.append(f"{path.name}:{node.lineno}: random.Random() without a seed")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_NAMES
        ):
            found.append(f"{path.name}:{node.lineno}: calls {node.func.id}()")
    return sorted(set(found))


def _unseeded(tree: ast.AST, ref: ast.expr) -> bool:
    """Whether `ref` (random.Random) is called with no seed (entropy from the OS)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.func is ref:
            return not node.args and not node.keywords
    return False


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


@pytest.mark.parametrize(
    "source",
    [
        "from time import monotonic\nx = monotonic()\n",
        "from random import random\nx = random()\n",
        "import datetime\nx = datetime.datetime.now()\n",
        "import time as t\nx = t.time()\n",
        "import time\ndef f(clock=time.monotonic): return clock()\n",
        "import os\nx = os.environ.get('X')\n",
        "import random\nrng = random.Random()\n",
        "from random import Random\nrng = Random()\n",
        "import secrets\n",
        "from datetime import date as d\nx = d.today()\n",
    ],
)
def test_the_checker_sees_through_imports(tmp_path: Path, source: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    assert violations(bad), source


def test_a_seeded_random_and_time_arithmetic_are_fine(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text(
        "import random\nfrom datetime import timedelta\nimport time\n"
        "def f(rng: random.Random, seed: int) -> random.Random:\n"
        "    return random.Random(seed)\n"
        "x = timedelta(seconds=3)\n"
    )
    assert violations(ok) == []

"""The web layer (and channel adapters) read the center through the read side only.

Why: the runner's engine runs ahead of the disk (it is changed before the
append is durable and rebuilt when the append fails), so a page or an endpoint
reading it can show what never happened. This test reads the source (AST) of
everything under `src/joignable/web/` and `src/joignable/channels/` (that folder
may not exist yet; it is covered as soon as it does) and fails on:

- an import of the engine's internals: `joignable.core.routing.engine`,
  `.state`, `.matching`, `.runtime`, or of `joignable.service.runner`;
- an attribute access `runner.engine` / `<x>.runner.engine`.

For instance `from joignable.core.routing.runtime import Agent` or
`services.runner.engine.agents` in a router is reported (see
`test_a_violation_is_caught`). Exempt: `web/app.py` and `web/state.py`, the
wiring that builds the runner (it must import it and the engine's settings),
and the `ALLOWED` reads listed below, each with its reason.

The channel adapters' codecs (`channels/**/codec.py`) and their protocol
(`channels/base.py`) are pure: they import nothing of the web layer or of a
web framework (FastAPI, Starlette), so a codec is tested with plain calls and
a transport can be anything (`test_channel_codecs_import_nothing_of_the_web`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "joignable"
LAYERS = ("web", "channels")
WIRING = {"web/app.py", "web/state.py"}  # they build the runner and the services
#: names a reader may import from a forbidden module: the runner's refusal, which
#: the error answers turn into 503 (it is the runner's contract, not its state)
ALLOWED_NAMES = {("joignable.service.runner", "RunnerUnavailable")}
FORBIDDEN_MODULES = (
    "joignable.core.routing.engine",
    "joignable.core.routing.state",
    "joignable.core.routing.matching",
    "joignable.core.routing.runtime",
    "joignable.service.runner",
)
#: (file, names) allowed from `joignable.core.commands`, with why.
COMMANDS_ALLOWED = {
    # the app's exception handler maps the engine's refusal to 409: an error
    # type, no command is built
    "web/errors.py": {"CommandRejected"},
}
#: (file, function) pairs allowed to reach `runner.engine`, with why.
ALLOWED: set[tuple[str, str]] = set()  # none left: admission is a service use case


def _files() -> list[Path]:
    out: list[Path] = []
    for layer in LAYERS:
        folder = SRC / layer
        if folder.is_dir():
            out.extend(sorted(folder.rglob("*.py")))
    return out


def _forbidden_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES)


def violations(source: str, where: str) -> list[str]:
    """The layer violations in `source` (a module at `where`, relative to
    `src/joignable`), as readable lines."""
    tree = ast.parse(source)
    found: list[str] = []
    functions: dict[ast.AST, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                functions.setdefault(inner, node.name)  # outermost function wins
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _forbidden_module(alias.name):
                    found.append(f"{where}:{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {(node.module, alias.name) for alias in node.names}
            if _forbidden_module(node.module) and not names <= ALLOWED_NAMES:
                found.append(f"{where}:{node.lineno}: imports from {node.module}")
                continue
            for alias in node.names:
                if (node.module, alias.name) in ALLOWED_NAMES:
                    continue
                if _forbidden_module(f"{node.module}.{alias.name}"):
                    found.append(f"{where}:{node.lineno}: imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr == "engine":
            owner = node.value
            is_runner = (isinstance(owner, ast.Name) and owner.id == "runner") or (
                isinstance(owner, ast.Attribute) and owner.attr == "runner"
            )
            if is_runner and (where, functions.get(node, "")) not in ALLOWED:
                found.append(f"{where}:{node.lineno}: reads runner.engine")
    return found


def test_the_layers_are_scanned() -> None:
    assert (SRC / "web" / "routers").is_dir()
    assert any(p.parts[-2] == "routers" for p in _files())


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_engine_internals_in_readers(path: Path) -> None:
    where = str(path.relative_to(SRC))
    if where in WIRING:
        return
    assert violations(path.read_text(), where) == []


def test_a_violation_is_caught() -> None:
    bad = (
        "from joignable.core.routing.runtime import Agent\n"
        "import joignable.service.runner\n"
        "from joignable.core.routing import matching\n"
        "def page(services):\n"
        "    return services.runner.engine.agents\n"
        "def other(runner):\n"
        "    return runner.engine\n"
    )
    found = violations(bad, "web/routers/page.py")
    assert len(found) == 5, found
    ok = "from joignable.service.readside import ReadSide\ndef f(s):\n    return s.log.engine\n"
    assert violations(ok, "web/routers/page.py") == []


def command_violations(source: str, where: str) -> list[str]:
    """Where a module under `web/` (at `where`) reaches the engine's commands or
    submits to the runner itself, as readable lines."""
    allowed = COMMANDS_ALLOWED.get(where, set())
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "joignable.core.commands":
                    found.append(f"{where}:{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {alias.name for alias in node.names}
            if node.module == "joignable.core.commands" and not names <= allowed:
                found.append(f"{where}:{node.lineno}: imports from joignable.core.commands")
            elif node.module == "joignable.core" and "commands" in names:
                found.append(f"{where}:{node.lineno}: imports joignable.core.commands")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "submit"
        ):
            found.append(f"{where}:{node.lineno}: submits to the runner")
    return found


def _web_files() -> list[Path]:
    return sorted((SRC / "web").rglob("*.py"))


@pytest.mark.parametrize("path", _web_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_the_web_layer_builds_no_command(path: Path) -> None:
    where = str(path.relative_to(SRC))
    assert command_violations(path.read_text(), where) == []


def test_a_command_built_in_a_router_is_caught() -> None:
    bad = (
        "from joignable.core import commands as cmd\n"
        "import joignable.core.commands\n"
        "from joignable.core.commands import LogIn, CommandRejected\n"
        "async def log_in(services, agent_id):\n"
        "    return await services.runner.submit(cmd.LogIn(agent_id=agent_id))\n"
    )
    found = command_violations(bad, "web/routers/agents.py")
    assert len(found) == 4, found
    ok = "from joignable.core.commands import CommandRejected\n"
    assert command_violations(ok, "web/errors.py") == []
    assert len(command_violations(ok, "web/routers/agents.py")) == 1


# ---------------------------------------------------------------- channel codecs

#: a channel's codec and the adapter protocol are pure: no web layer, no framework
PURE_CHANNEL_MODULES = ("base.py", "codec.py")
WEB_MODULES = ("joignable.web", "fastapi", "starlette", "uvicorn", "httpx")


def _pure_channel_files() -> list[Path]:
    folder = SRC / "channels"
    return sorted(p for p in folder.rglob("*.py") if p.name in PURE_CHANNEL_MODULES)


def web_imports(source: str, where: str) -> list[str]:
    """The imports of the web layer or a web framework in `source` (at `where`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if any(name == m or name.startswith(m + ".") for m in WEB_MODULES):
                found.append(f"{where}:{node.lineno}: imports {name}")
    return found


def test_the_channel_codecs_are_scanned() -> None:
    names = {str(p.relative_to(SRC)) for p in _pure_channel_files()}
    assert {"channels/base.py", "channels/webhook/codec.py"} <= names


@pytest.mark.parametrize("path", _pure_channel_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_channel_codecs_import_nothing_of_the_web(path: Path) -> None:
    where = str(path.relative_to(SRC))
    assert web_imports(path.read_text(), where) == []


def test_a_web_import_in_a_codec_is_caught() -> None:
    bad = (
        "from fastapi import Request\n"
        "import starlette.responses\n"
        "from joignable.web.state import Services\n"
    )
    assert len(web_imports(bad, "channels/sms/codec.py")) == 3
    assert web_imports("from joignable.service.admission import Arrival\n", "x") == []

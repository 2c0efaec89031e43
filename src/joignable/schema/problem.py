# Why: the center file and a scenario file report their faults the same way, so one
# type says where (file, line, field) and what, printed `FILE:LINE: field: message`.
from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]


def field_name(loc: Loc) -> str:
    """The dotted name of a location (`queues[0].id`); `(document)` for the root."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault of a document: its file, 1-based line, field location and message.
    Plain data (JSON through the API) has no file: `file` is "" and `line` None,
    and the problem prints as `field: message`."""

    file: str
    line: int | None
    loc: Loc
    message: str

    @property
    def field(self) -> str:
        return field_name(self.loc)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"


class SchemaError(ValueError):
    """A document that cannot be used; `problems` (never empty) say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems or [Problem("<document>", 1, (), "invalid document")]
        super().__init__("\n".join(str(p) for p in self.problems))

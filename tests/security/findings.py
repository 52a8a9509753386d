"""Reading tests/security/accepted_findings.md: one table per tool, each row with a reason."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

ACCEPTED = Path(__file__).resolve().parent / "accepted_findings.md"


class FindingsFileError(ValueError):
    """A row of accepted_findings.md gives no reason."""


@dataclass(frozen=True)
class Entry:
    """One row: the identifying cells (globs where a tool's test says so), and why."""

    section: str
    key: tuple[str, ...]
    reason: str

    def matches(self, *values: str) -> bool:
        return all(fnmatch.fnmatchcase(v, k) for v, k in zip(values, self.key, strict=False))


def accepted(section: str, path: Path = ACCEPTED) -> list[Entry]:
    """The rows of the table under ``## <section>`` (the heading's first word decides)."""
    entries: list[Entry] = []
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\S+)", line)
        if heading:
            current = heading.group(1).lower()
            continue
        if current != section.lower() or not line.startswith("|"):
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= {"-", ":"} or cells[0].lower() in ("id", "route", "target"):
            continue  # the separator and the header row
        if len(cells) < 2 or not cells[-1]:
            raise FindingsFileError(f"accepted_findings.md, {section}: no reason for {cells[0]!r}")
        entries.append(Entry(section, tuple(cells[:-1]), cells[-1]))
    return entries

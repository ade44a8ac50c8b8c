"""Change and Skip records: what a bump did, rendered into commit messages and PR text."""

from __future__ import annotations

from typing import NamedTuple


class Change(NamedTuple):
    """One rewritten scalar. `old`/`new` are the values, not the YAML source text."""

    file: str
    line: int
    shape: str
    old: str
    new: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()


class Skip(NamedTuple):
    """A matching reference left alone, with the reason (downgrade, up-to-date, ...)."""

    file: str
    line: int | None
    shape: str | None
    value: str | None
    reason: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()

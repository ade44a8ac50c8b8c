"""The `allow:` tag filter of `.bumper.yaml`, run by RE2 so no pattern can take exponential time.

Python's `re` backtracks: `^(a+)+$` against 33 `a`s and a `!` runs for minutes, and a repository's
policy would then hang every CI run that bumps into it. RE2 matches in time linear in the tag,
whatever the pattern, and speaks the dialect Flux's ImagePolicy `filterTags` and Argo CD Image
Updater already use (Go's regexp is RE2): no lookaround, no backreferences.
"""

from __future__ import annotations

from typing import Any

from bumper.errors import ConfigError

_SYNTAX_HINT = "write RE2 syntax (as Flux filterTags): no lookaround (?=, (?!, (?<=) and no backreferences"


class TagFilter:
    """A compiled `allow:` pattern; `matches(tag)` searches it in the tag (anchor it with ^…$)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled = _compile(pattern)

    def matches(self, tag: str) -> bool:
        return self._compiled.search(tag) is not None

    def __reduce__(self) -> tuple[type[TagFilter], tuple[str]]:  # compiled RE2 objects do not pickle
        return (TagFilter, (self.pattern,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TagFilter) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"TagFilter({self.pattern!r})"


def _compile(pattern: str) -> Any:
    """RE2's compiled pattern; ConfigError (one line, no RE2 log on stderr) when RE2 refuses it."""
    import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints

    options = re2.Options()
    options.log_errors = False  # else RE2 logs the parse error to stderr itself
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        hint = f"; {_SYNTAX_HINT}" if "perl operator" in text or "escape sequence" in text else ""
        raise ConfigError(f"invalid regular expression {pattern!r}: {text}{hint}") from None

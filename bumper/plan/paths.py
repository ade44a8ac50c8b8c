"""The one path-matching rule of bumper: gitignore patterns, for `--path` and `.bumper.yaml`.

`--path`, the `paths:` of a `.bumper.yaml` rule and the sparse checkout of a `--repo` clone all
read a pattern the way git reads a `.gitignore` line (pathspec's GitIgnoreSpec, and git itself
for the sparse checkout, so the clone holds exactly what `--dir` would select):

- a pattern without a `/` (other than a trailing one) matches at any depth: `values.yaml`;
- a pattern with a `/` is anchored at the tree root: `apps/prod/*.yaml`; `/x` anchors `x`;
- `*` and `?` stay within one folder, `**` crosses folders; a pattern naming a folder selects
  every file below it; `!pattern` takes back what an earlier pattern selected;
- a leading `./` is dropped and `//`, `/./` read as `/`: `./clusters/prod`, `clusters//prod` and
  `clusters/./prod` are `clusters/prod`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from bumper.errors import ConfigError


def normalize(pattern: str, what: str = "--path") -> str:
    """The pattern as git and pathspec should read it; ConfigError for one that could escape
    the tree, span lines or mean nothing (a gitignore comment)."""
    text = pattern.strip()
    negate = text.startswith("!")
    if negate:
        text = text[1:]
    while text.startswith("./"):
        text = text[2:]
    text = _collapse(text)
    problem = None
    if not text or text in (".", "/"):
        problem = "it selects nothing"
    elif any(c in text for c in "\0\r\n"):
        problem = "it contains a line break or NUL"
    elif ".." in text.split("/"):
        problem = "'..' would leave the tree"
    elif text.startswith("#"):
        problem = "a leading '#' makes it a comment; write '\\#' for a literal '#'"
    else:
        problem = _unreadable(text)
    if problem:
        raise ConfigError(
            f"invalid {what} {pattern!r}: {problem}; give a gitignore-style pattern relative to the "
            "tree root, e.g. 'apps/**/*.yaml' or 'values.yaml'"
        )
    return ("!" if negate else "") + text


def _unreadable(text: str) -> str | None:
    """Why pathspec (as git) cannot read `text` as a gitignore line, e.g. a trailing `\\`."""
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([text])
    except ValueError as exc:  # pathspec's GitIgnorePatternError
        if text.endswith("\\"):
            return "a trailing '\\' escapes nothing; drop it, or write '\\\\' for a literal backslash"
        return f"it is not a gitignore pattern ({exc})"
    return None


def _collapse(text: str) -> str:
    """`a//b` and `a/./b` as `a/b`, `a/.` as `a/`: a shell joining `$DIR/` and `/prod` writes them,
    and git would read the empty or `.` folder literally and match nothing."""
    parts = text.split("/")
    if len(parts) < 3 and parts[-1] != ".":
        return text
    inner = [p for p in parts[1:-1] if p not in ("", ".")]
    last = "" if parts[-1] == "." else parts[-1]
    return "/".join([parts[0], *inner, last])


def normalize_all(patterns: Iterable[str], what: str = "--path") -> tuple[str, ...]:
    return tuple(normalize(p, what) for p in patterns)


class PathMatcher:
    """Whether a tree-relative file path is selected by a list of patterns."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        import pathspec  # only runs that select paths (tests/import_budget_test.py)

        self.patterns = patterns
        self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def __call__(self, relpath: str) -> bool:
        return bool(self._spec.match_file(relpath if relpath.isascii() else _matchable(relpath)))


def _matchable(relpath: str) -> str:
    """`relpath` with each byte of a name that is not UTF-8 (which os gives as a surrogate, and
    re2 cannot encode) read as U+FFFD: `*` and `?` match it, no pattern can spell it."""
    return relpath.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> PathMatcher:
    return PathMatcher(patterns)


def matcher(patterns: Iterable[str], what: str = "--path") -> PathMatcher | None:
    """The matcher for `patterns`, or None when there are none (everything is selected)."""
    normalized = normalize_all(patterns, what)
    return _compiled(normalized) if normalized else None


def sparse_patterns(patterns: Iterable[str]) -> list[str]:
    """The same patterns for `git sparse-checkout set --no-cone`, which reads them as gitignore
    lines too; every `Chart.yaml` is added (it tells chart templates apart)."""
    normalized = list(normalize_all(patterns))
    return [*normalized, "Chart.yaml"] if normalized else []


def is_hidden(relpath: str) -> bool:
    """Whether a path has a component starting with `.` (`.github/`, `.archive/`, `.gitlab-ci.yml`)."""
    return relpath.startswith(".") or "/." in relpath


def hidden_namer(groups: Iterable[Iterable[str]]) -> Callable[[str], bool]:
    """Whether a path is selected by one group of patterns (the --path list, or one `.bumper.yaml`
    rule's `paths:`) that also names each of its hidden components explicitly: by a segment that
    itself starts with `.` and matches it (`.github/workflows/*.yml` and `.*/**` name `.github`;
    `*.yml` and `**` name no hidden component; a `!pattern` names nothing)."""
    import fnmatch

    named: list[tuple[PathMatcher, frozenset[str]]] = []
    for group in groups:
        patterns = normalize_all(group)
        segments = frozenset(
            segment
            for pattern in patterns
            if not pattern.startswith("!")
            for segment in pattern.split("/")
            if segment.startswith(".")
        )
        if segments:
            named.append((_compiled(patterns), segments))

    def selects(relpath: str) -> bool:
        hidden = [part for part in relpath.split("/") if part.startswith(".")]
        return any(
            all(any(fnmatch.fnmatchcase(part, s) for s in segments) for part in hidden) and matches(relpath)
            for matches, segments in named
        )

    return selects

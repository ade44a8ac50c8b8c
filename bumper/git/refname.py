"""Branch names bumper passes to git: checked in Python before any clone or push."""

from __future__ import annotations

import unicodedata

from bumper.errors import ConfigError

MAX_BRANCH_LEN = 200
_FORBIDDEN_BRANCH_CHARS = set(" ~^:?*[\\")


def validate_branch_name(name: str) -> str:
    """Check `name` as `git check-ref-format --branch` would, plus bumper's own limits.

    Pure Python so `--branch`/`--base` are rejected before any clone. Also refuses a leading
    '-' (it could be read as an option), any whitespace or control character, a full ref name
    ('refs/...'), and names longer than 200 characters. Returns the name unchanged; raises
    ConfigError otherwise.
    """
    problem = _branch_problem(name)
    if problem:
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ConfigError(
            f"invalid branch name {shown!r}: {problem}; use letters, digits and '-', '_', '.', '/'"
        )
    return name


def _branch_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_BRANCH_LEN:
        return f"it is longer than {MAX_BRANCH_LEN} characters"
    if name.startswith("-"):
        return "it starts with '-'"
    for ch in name:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or ord(ch) == 0x7F:
            return "it contains whitespace or a control character"
        if ch in _FORBIDDEN_BRANCH_CHARS:
            return f"it contains {ch!r}"
    if name == "@" or name == "HEAD":
        return f"{name!r} is reserved"
    if name.startswith("refs/"):  # git would make refs/heads/refs/heads/main of it
        return "it starts with 'refs/' (give the branch's own name, e.g. 'main' for refs/heads/main)"
    if "@{" in name:
        return "it contains '@{'"
    if ".." in name:
        return "it contains '..'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it has an empty path component"
    if name.endswith("."):
        return "it ends with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "a path component starts with '.'"
        if part.endswith(".lock"):
            return "a path component ends with '.lock'"
    return None

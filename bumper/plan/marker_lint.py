"""Comments that look like a hold or a marker but are not the canonical spelling, and what to
write instead: a near-miss `# bumper hold` silently holds nothing, a Flux marker that is not
JSON silently marks nothing, so `bumper check` names each one with its line."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bumper.plan.rules import CANONICAL_HOLD, hold_marker
from bumper.shapes.markers import find_markers
from bumper.yaml_edit import Source, parser_lines

# `# bumper hold`, `#bumper-hold`, `# Bumper : Hold`, `# bumper: hold until v2`: the words with
# at most a few other characters between them.
_NEAR_HOLD_RE = re.compile(r"#\s*bumper\W{0,3}hold", re.IGNORECASE)
# `{"$imagepolicy": ns:web}`, `{'$imagepolicy': …}`, `{"imagepolicy": …}`, `# $imagepolicy: …`,
# `{“$ImagePolicy”: …}`: a brace or a `$` before one of the two keys, any case, any quotes.
_NEAR_MARKER_RE = re.compile(r"#\s*(?:\{\s*[\"'“”]?\s*\$?|\$)\s*(bumper|imagepolicy)\b", re.IGNORECASE)
_QUOTES = "\"'“”"


def near_misses(source: Source) -> Iterator[tuple[int, str]]:
    """(1-based line, problem) for each comment that is not what it looks like."""
    text = source.text
    lowered = text.lower()
    if "bumper" not in lowered and "imagepolicy" not in lowered:
        return
    markers = find_markers(source) if "$bumper" in text or "$imagepolicy" in text else {}
    for index, raw in enumerate(parser_lines(text).split("\n")):  # the lines the marks number
        line = raw.rstrip("\r")
        if "bumper" not in line.lower() and "imagepolicy" not in line.lower():
            continue
        problem = _hold_problem(line) or (None if index in markers else _marker_problem(line))
        if problem is not None:
            yield index + 1, problem


def _hold_problem(line: str) -> str | None:
    found = hold_marker(line)
    if found is not None:
        if found == CANONICAL_HOLD:
            return None
        return f"hold marker {found!r} holds this line; write it {CANONICAL_HOLD!r}, the documented spelling"
    near = _NEAR_HOLD_RE.search(line)
    if near is None:
        return None
    written = line[near.start() :].strip()
    return (
        f"{written!r} is not a hold marker, so this line is bumped; write {CANONICAL_HOLD!r} "
        "at the end of the line"
    )


def _marker_problem(line: str) -> str | None:
    near = _NEAR_MARKER_RE.search(line)
    if near is None:
        return None
    kind = near.group(1).lower()
    rest = line[near.end() :].lstrip(_QUOTES + " \t:")
    target = re.split(f"[{_QUOTES}{{}}\\[\\],]", rest, maxsplit=1)[0].strip()
    target = target if target and " " not in target else "..."
    wanted = f'# {{"${kind}": "{target}"}}'
    return f"malformed ${kind} marker (bumper and Flux read only this JSON at the line's end); write {wanted}"

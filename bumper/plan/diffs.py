"""`git diff`-style unified diffs of planned edits, as a dry run prints them.

Nearly every bump rewrites values inside lines and keeps the line count; then the changed lines
are known by comparing line i with line i, and the hunks are written directly in a quarter of
the time difflib's matcher takes (~0.15 ms a file, 15 ms for a 100-file dry run). They are
difflib's bytes, except beside identical lines, which difflib may pair otherwise (both apply;
line i to line i is what happened). Anything else (an inserted key) goes through difflib.
"""

from __future__ import annotations

from collections.abc import Iterator

CONTEXT = 3  # lines around each change, as `git diff` and difflib show
_NO_EOL = "\n\\ No newline at end of file\n"


def file_diff(relpath: str, old_text: str, new_text: str) -> str:
    """The unified diff of one file, `a/` and `b/` prefixed as `git diff` prints it."""
    old = old_text.splitlines(keepends=True)
    new = new_text.splitlines(keepends=True)
    if len(old) == len(new):
        lines: Iterator[str] = _in_place(old, new, relpath)
    else:
        import difflib  # rarely needed, so not at start-up

        lines = difflib.unified_diff(old, new, f"a/{relpath}", f"b/{relpath}")
    return "".join(line if line.endswith("\n") else line + _NO_EOL for line in lines)


def _in_place(old: list[str], new: list[str], relpath: str) -> Iterator[str]:
    """Hunks for a pair of line lists of one length: each run of differing lines is replaced,
    with CONTEXT lines around; changes at most 2 * CONTEXT unchanged lines apart share a hunk."""
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    if not changed:
        return
    yield f"--- a/{relpath}\n"
    yield f"+++ b/{relpath}\n"
    groups: list[list[int]] = [[changed[0]]]
    for i in changed[1:]:
        if i - groups[-1][-1] <= 2 * CONTEXT + 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        start, stop = max(0, group[0] - CONTEXT), min(len(old), group[-1] + 1 + CONTEXT)
        span = _range(start, stop)
        yield f"@@ -{span} +{span} @@\n"
        i = start
        while i < stop:
            if old[i] == new[i]:
                yield " " + old[i]
                i += 1
                continue
            end = i
            while end < stop and old[end] != new[end]:
                end += 1
            yield from ("-" + line for line in old[i:end])
            yield from ("+" + line for line in new[i:end])
            i = end


def _range(start: int, stop: int) -> str:
    """A hunk header's `start,length` (difflib's _format_range_unified)."""
    length = stop - start
    return str(start + 1) if length == 1 else f"{start + 1},{length}"

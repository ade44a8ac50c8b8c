"""Where a CEL expression's text is no code: its string literals and `//` comments, so an
`image: "REF"` written inside one is not read as a field of what a mutation writes."""

from __future__ import annotations

_TRIPLES = ('"""', "'''")
_LINE_ENDS = "\r\n"


def cel_strings_and_comments(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of `text`'s string literals (quoted `"…"`, `'…'`, triple-quoted,
    raw `r"…"` without escapes) and comments (`//` to the line's end), in order. An unterminated
    literal or comment runs to the end of its line (of the text, for a triple-quoted one)."""
    spans: list[tuple[int, int]] = []
    at, size = 0, len(text)
    while at < size:
        if text.startswith("//", at):
            end = _line_end(text, at)
        elif text[at] in "\"'":
            end = _string_end(text, at)
        else:
            at += 1
            continue
        spans.append((at, end))
        at = end
    return spans


def _line_end(text: str, at: int) -> int:
    ends = [found for brk in _LINE_ENDS if (found := text.find(brk, at)) >= 0]
    return min(ends, default=len(text))


def _string_end(text: str, at: int) -> int:
    """Where the literal opening at `at` ends (after its closing quote)."""
    quote = text[at : at + 3] if text[at : at + 3] in _TRIPLES else text[at]
    raw = at > 0 and text[at - 1] in "rR" and (at < 2 or not (text[at - 2].isalnum() or text[at - 2] == "_"))
    pos = at + len(quote)
    while pos < len(text):
        if text.startswith(quote, pos):
            return pos + len(quote)
        if len(quote) == 1 and text[pos] in _LINE_ENDS:
            return pos  # unterminated: CEL refuses it; nothing after it on the line is read
        pos += 2 if text[pos] == "\\" and not raw else 1
    return len(text)

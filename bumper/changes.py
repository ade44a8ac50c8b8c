"""Change and Skip records: what a bump did, rendered into commit messages and PR text."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from bumper.errors import ConfigError


class Change(NamedTuple):
    """One rewritten scalar. `old`/`new` are the values, not the YAML source text."""

    file: str
    line: int
    shape: str
    old: str
    new: str
    # What the change leaves out of the REF (a digest the reference has no field for): said
    # beside it in the text output, the JSON, the commit message and the PR's table.
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        fields = self._asdict()
        if self.note is None:  # only a change with a note carries the key
            del fields["note"]
        return fields


def reason_word(reason: str) -> str:
    """A skip or ignore reason's word (`no-tag`, `range`, `held`): a reason that says what to do
    carries it after `: ` (explained())."""
    return reason.split(":", 1)[0]


def explained(word: str, why: str) -> str:
    """The reason `word` with what it means and what to do; reason_word() reads the word back."""
    return f"{word}: {why}"


class Skip(NamedTuple):
    """A matching reference left alone, with the reason (downgrade, up-to-date, ...) and, for a
    `.bumper.yaml` rule's refusal (`policy`, `held`), which rule (`.bumper.yaml:LINE ...`)."""

    file: str
    line: int | None
    shape: str | None
    value: str | None
    reason: str
    rule: str | None = None

    def as_json(self) -> dict[str, object]:
        fields = self._asdict()
        if self.rule is None:  # only a rule's refusal carries the key
            del fields["rule"]
        return fields


@functools.cache
def _trailer_line() -> re.Pattern[str]:
    """Compiled by the first commit message or PR text made (never in a --dir run)."""
    return re.compile(r"[A-Za-z0-9-]+: \S")


@functools.cache
def _placeholder() -> re.Pattern[str]:
    return re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


MARKER = "<!-- bumper:managed"
DEFAULT_TITLE = "Bump {images}"
DEFAULT_COMMIT = "Bump {images}"
PROMOTE_TITLE = "Promote {images} from {from}"  # the default title and subject of `bumper promote`
# The placeholders of --title, --body and --commit-message (template_values fills them; the
# help lists them from here, and a test keeps both the same).
PLACEHOLDERS = {
    "images": "every REF, comma-separated",
    "image": "the image without tag or digest (one REF), else every REF",
    "new": "the new references (every REF)",
    "old": "the references replaced, comma-separated",
    "files": "how many files change",
    "count": "how many references change",
    "branch": "the bot branch",
    "base": "the base branch",
    "source": "the CI build that pushed the image (a link; empty outside CI)",
    "commit": "the commit that build ran on (empty outside CI)",
    "table": "a Markdown table of the changes",
    "verified": "a line per overlay rendered by --verify",
    "from": "where promote read the version (BRANCH:PATH; empty for bump)",
    "compare": "what's in this deploy: a compare link of the source, or empty",
    "registry": "a line per image --registry checked: its digest and platforms",
}
_SHOWN_ROOTS = 20  # "rendered and checked" lines in a PR body; the JSON lists every root


def template_values(
    refs: list[str],
    changes: list[Change],
    branch: str,
    base: str,
    env: Mapping[str, str],
    verified: Sequence[Any] = (),
    *,
    registry: Sequence[Any] = (),
    promoted_from: str = "",
    compare: str = "",
) -> dict[str, str]:
    """The names a --title/--body/--commit-message template may use."""
    from bumper.ci.provenance import source_build, source_commit  # a --dir run never loads bumper.ci

    olds = sorted({c.old for c in changes})
    return {
        "images": ", ".join(refs),
        "image": refs[0].rsplit("@", 1)[0].rsplit(":", 1)[0] if len(refs) == 1 else ", ".join(refs),
        "new": ", ".join(refs),
        "old": ", ".join(olds),
        "files": str(len({c.file for c in changes})),
        "count": str(len(changes)),
        "branch": branch,
        "base": base,
        "source": source_build(env) or "",
        "commit": source_commit(env) or "",
        "table": changes_table(changes),
        "verified": verified_lines(verified),
        "from": promoted_from,
        "compare": compare,
        "registry": registry_lines(registry),
    }


def registry_lines(images: Sequence[Any]) -> str:
    """A Markdown list, one line per image --registry checked (bumper.registry.RegistryImage)."""
    lines = []
    for image in images:
        lines.append(f"- {md_code(image.ref)}: {md_code(image.digest)} ({image.described})")
    return "\n".join(lines)


def verified_lines(verified: Sequence[Any]) -> str:
    """A Markdown list, one line per root --verify rendered (bumper.verify.run.Verified)."""
    words = {"verified": "rendered and checked", "not-verified": "not verified", "failed": "check failed"}
    lines = [f"- {md_code(v.root)}: {words.get(v.status, v.status)}: {v.detail}" for v in verified]
    if len(lines) > _SHOWN_ROOTS:
        lines[_SHOWN_ROOTS:] = [f"- … and {len(lines) - _SHOWN_ROOTS} more (see the run's output)"]
    return "\n".join(lines)


def render_template(template: str, values: Mapping[str, str], option: str) -> str:
    """Fill `{name}` placeholders (`{{` and `}}` stand for literal braces); values are
    inserted as data, never expanded again.

    A plain regex rather than str.format: format's `{x.__class__}` would let a template
    reach Python objects.
    """

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        if name not in values:
            raise ConfigError(
                f"unknown placeholder {{{name}}} in {option}; available: "
                + ", ".join(f"{{{k}}}" for k in sorted(values))
            )
        return values[name]

    return _placeholder().sub(fill, template)


def changes_table(changes: list[Change], more: int = 0) -> str:
    """The Markdown table of `changes`; `more` rows left out are counted in a last row."""
    return _table([_row(c) for c in changes], more)


def _row(change: Change) -> str:
    note = f" ({_md_text(change.note)})" if change.note else ""
    return f"| {md_code(change.file)} | {change.line} | {md_code(change.old)} | {md_code(change.new)}{note} |"


def _md_text(text: str) -> str:
    """A note in a table cell: one line, its pipes escaped, no code span broken open."""
    return " ".join(text.split()).replace("|", "\\|").replace("`", "")


def _table(rows: list[str], more: int) -> str:
    lines = ["| file | line | old | new |", "|---|---:|---|---|", *rows]
    if more:
        lines.append(f"| … and {more} more | | | |")
    return "\n".join(lines)


def md_code(value: object) -> str:
    """A Markdown code span that survives backticks and pipes inside a table cell."""
    return _md_code("" if value is None else str(value))


@functools.lru_cache(maxsize=4096)  # a big bump repeats the same old and new values on every row
def _md_code(value: str) -> str:
    text = " ".join(value.split()) or " "
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}".replace("|", "\\|")


def default_body(values: Mapping[str, str], changes: list[Change]) -> str:
    if values.get("from"):
        head = f"Promotes {values['images']} from {md_code(values['from'])}, as it runs there."
    else:
        head = f"Bumps {values['images']}."
    lines = [head, "", values["table"], ""]
    if values.get("registry"):
        lines += ["Checked in the registry:", values["registry"], ""]
    if values.get("verified"):
        lines += ["Rendered with kustomize before and after the change:", values["verified"], ""]
    if values["source"]:
        lines.append(f"Source build: {values['source']}")
        lines.append("")
    if values.get("compare"):
        lines.append(f"What's in this deploy: {values['compare']}")
        lines.append("")
    lines.append("Opened by bumper; a newer tag updates this pull request in place.")
    return "\n".join(lines)


def _default_title(values: Mapping[str, str], default: str = DEFAULT_TITLE) -> str:
    return PROMOTE_TITLE if values.get("from") else default


def commit_message(
    template: str | None,
    values: Mapping[str, str],
    changes: list[Change],
    trailers: Sequence[tuple[str, str]] = (),
) -> str:
    """The message: the template (default: subject and one line per change), then the trailers."""
    text = render_template(template or _default_title(values, DEFAULT_COMMIT), values, "--commit-message")
    if template is None:
        lines = [f"- {c.file}:{c.line}: {c.old} -> {c.new}{_noted(c)}" for c in changes]
        text = "\n".join([text, "", *lines])
    return add_trailers(text, trailers)


def _noted(change: Change) -> str:
    return f" ({change.note})" if change.note else ""


def read_trailers(message: str) -> list[tuple[str, str]]:
    """The `Key: value` lines of a message's last paragraph (git's trailer block), in order:
    a key may repeat (one `Bumper-Image` per image)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    found: list[tuple[str, str]] = []
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            found.append((key.strip(), value.strip()))
    return found


def add_trailers(text: str, trailers: Sequence[tuple[str, str]]) -> str:
    """`text` with `trailers` in its last paragraph: joining the trailer block it ends with,
    else as a new paragraph (git reads only the last paragraph as trailers)."""
    if trailers:
        text = text.rstrip("\n")
        last = text.rsplit("\n\n", 1)[-1]
        joins_block = "\n\n" in text and all(_trailer_line().match(line) for line in last.splitlines())
        text += ("\n" if joins_block else "\n\n") + "\n".join(f"{k}: {v}" for k, v in trailers)
    return text.rstrip("\n") + "\n"


def pr_text(
    title: str | None,
    body: str | None,
    values: Mapping[str, str],
    changes: list[Change],
    limits: tuple[int, int | None] = (250, None),
    *,
    utf16: bool = False,
) -> tuple[str, str]:
    """Title and body within the host's `limits` (title, body characters; with `utf16`, UTF-16
    code units as a .NET or Java host counts them); the body always ends with the hidden
    marker naming the PR as bumper's.

    A body too long for the host shows the first rows of the table that fit and ends it with
    "… and N more"; the commit and its trailers still list every change.
    """
    title_limit, body_limit = limits
    size = utf16_length if utf16 else len
    rendered_title = " ".join(render_template(title or _default_title(values), values, "--title").split())
    if size(rendered_title) > title_limit:
        rendered_title = _start(rendered_title, title_limit - 1, size).rstrip() + "…"
    marker = f"{MARKER} images={values['images'].replace('--', '')} -->"

    rows = [_row(c) for c in changes]  # made once: the search below renders the body ~log2(rows) times

    def render(shown: int) -> str:
        table = _table(rows[:shown], len(changes) - shown)
        filled = {**values, "table": table}
        text = render_template(body, filled, "--body") if body else default_body(filled, changes)
        return f"{text}\n\n{marker}"

    full = render(len(changes))
    if body_limit is None or size(full) <= body_limit:
        return rendered_title, full
    low, high = 0, len(changes)  # the most rows that fit: binary search, the text grows with rows
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if size(render(mid)) <= body_limit else (low, mid - 1)
    fitted = render(low)
    if size(fitted) > body_limit:  # a template longer than the host takes without any table
        keep = body_limit - size(marker) - len("\n\n…\n\n")
        fitted = f"{_start(fitted, keep, size)}\n\n…\n\n{marker}"
    return rendered_title, fitted


def utf16_length(text: str) -> int:
    """`text`'s length as .NET and Java count it: UTF-16 code units, two for a character
    outside the Basic Multilingual Plane (an emoji)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _start(text: str, limit: int, size: Callable[[str], int]) -> str:
    """The longest start of `text` whose `size` is at most `limit` (whole characters only)."""
    if limit <= 0:  # a marker naming many images may leave no room at all
        return ""
    cut = text[:limit]
    while size(cut) > limit:  # each character is one or two units: halve the excess each time
        cut = cut[: len(cut) - max(1, (size(cut) - limit) // 2)]
    return cut

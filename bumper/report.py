"""Printing results: the result on stdout (text or one JSON object), messages for people on
stderr at the level (-q, default, -v) and with the colours (--color, NO_COLOR, FORCE_COLOR) asked."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from bumper.errors import (
    BumperError,
    ConfigError,
    ManifestError,
    NotFoundError,
    PolicyError,
    ProviderError,
    RefParseError,
    RegistryError,
    VerifyError,
    WaitTimeout,
    WorkspaceError,
)

if TYPE_CHECKING:
    from bumper.changes import Skip
    from bumper.json_stream import JsonObjectStream
    from bumper.options import BumpOptions, BumpResult, Status

QUIET, NORMAL, VERBOSE = 0, 1, 2


# C0 and C1 controls, DEL, Unicode line separators and lone surrogates (a name's bytes that were
# not UTF-8): what would split a printed line, move the cursor or colour the screen.
# Compiled at the first line that holds a character besides printable ASCII (most runs: none).
@cache
def _unprintable() -> re.Pattern[str]:
    return re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` as one line for a terminal or CI log: each control character (ESC, a line break)
    and each byte of a name that was not UTF-8 written as `\\xNN`, so a file name, a value or a
    commit's author cannot add a line (a forged `bumper: error:`, a runner's `::command::`)."""
    if text.isascii() and text.isprintable():  # no control character: nothing to write
        return text
    return _unprintable().sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        code -= 0xDC00
    elif code > 0xFF:  # a line separator or a lone surrogate
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


class Display:
    """How this run talks: set by cli.py from -q/-v, --color and --output, once per run. (A
    plain class: every command, --version too, builds it at start-up, where a dataclass costs
    half a millisecond.)"""

    __slots__ = ("level", "color", "json", "env_color", "emitted", "stream")
    level: int
    color: str  # auto | always | never
    json: bool  # --output json: every exit prints one JSON object on stdout
    env_color: bool | None  # what NO_COLOR / FORCE_COLOR ask when --color is auto
    emitted: bool  # that object is out already
    stream: JsonObjectStream | None  # that object, while it is being written (scan)

    def __init__(self, *, json: bool = False, env_color: bool | None = None) -> None:
        self.start(json=json, env_color=env_color)

    def start(self, *, json: bool = False, env_color: bool | None = None) -> None:
        """The display of a run that has just started."""
        self.level, self.color, self.json, self.env_color = NORMAL, "auto", json, env_color
        self.emitted, self.stream = False, None


DISPLAY = Display()


def reset(*, json: bool = False, env_color: bool | None = None) -> None:
    """Start a run with the default display (a test may run several in one process); the one
    DISPLAY object is kept, so `from bumper.report import DISPLAY` stays valid."""
    DISPLAY.start(json=json, env_color=env_color)


def colour_asked(env: Mapping[str, str]) -> bool | None:
    """A non-empty NO_COLOR asks for no colour, else a FORCE_COLOR other than '', '0' or
    'false' asks for colour; None: the environment does not say."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return None


def colour_on(stream: TextIO) -> bool:
    """--color always/never decides; with auto, the environment (colour_asked), else whether
    `stream` is a terminal."""
    if DISPLAY.color != "auto":
        return DISPLAY.color == "always"
    if DISPLAY.env_color is not None:
        return DISPLAY.env_color
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


_SGR = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1"}


def paint(text: str, colour: str, stream: TextIO) -> str:
    return f"\033[{_SGR[colour]}m{text}\033[0m" if colour_on(stream) else text


def emit_json(payload: dict[str, Any]) -> None:
    import json  # only a run asked for JSON pays for the module

    DISPLAY.emitted = True
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def open_json_stream() -> JsonObjectStream:
    """The one JSON object of this run, written while it is produced (bumper.json_stream); a
    failure before it is closed ends it with the failure's fields (emit_failure)."""
    from bumper.json_stream import JsonObjectStream

    DISPLAY.emitted = True
    DISPLAY.stream = JsonObjectStream(sys.stdout)
    return DISPLAY.stream


def result_line(text: str) -> None:
    """A line of the result (stdout), whatever the level."""
    sys.stdout.write(printable(text) + "\n")


def info(message: str) -> None:
    """A message for people at the default level, on stderr so stdout stays the result."""
    if DISPLAY.level >= NORMAL:
        sys.stderr.write(printable(message) + "\n")


def detail(message: str) -> None:
    """A message only -v shows."""
    if DISPLAY.level >= VERBOSE:
        sys.stderr.write(printable(message) + "\n")


def warn(message: str) -> None:
    if DISPLAY.level >= NORMAL:
        sys.stderr.write(f"bumper: {paint('warning:', 'yellow', sys.stderr)} {printable(message)}\n")


def error(message: str) -> None:
    """The one line of a failed run; printed at every level."""
    sys.stderr.write(f"bumper: {paint('error:', 'red', sys.stderr)} {printable(message)}\n")


# -- failures as JSON ------------------------------------------------------------------------------

# The `kind` of a failure in JSON, by error class (the first that matches); see README.
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (NotFoundError, "not-found"),
    (RefParseError, "bad-ref"),
    (PolicyError, "policy"),
    (ConfigError, "bad-input"),
    (ManifestError, "manifest"),
    (VerifyError, "verify"),
    (WaitTimeout, "wait-timeout"),
    (WorkspaceError, "git"),
    (ProviderError, "provider"),
    (RegistryError, "registry"),
    (BumperError, "error"),
    (KeyboardInterrupt, "interrupted"),
)


def error_kind(exc: BaseException) -> str:
    return next((kind for cls, kind in _KINDS if isinstance(exc, cls)), "internal")


def error_object(kind: str, message: str, file: str | None = None, line: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "message": message, "file": file, "line": line}


_NO_COMMIT: Any = object()


def emit_failure(code: int, error_json: dict[str, Any], *, commit: Any = _NO_COMMIT) -> None:
    """`{"status": "failed", ...}` on stdout when JSON was asked and nothing was printed yet;
    a `--repo` bump adds `commit`: the direct commit pushed before the failure, or null. An
    object being written (scan) is ended with these fields after what it holds."""
    payload = {"status": "failed", "exit_code": code, "error": error_json}
    if commit is not _NO_COMMIT:
        payload["commit"] = commit
    if DISPLAY.json and DISPLAY.stream is not None and not DISPLAY.stream.closed:
        DISPLAY.stream.fail(payload)
    elif DISPLAY.json and not DISPLAY.emitted:
        emit_json(payload)


# -- bump ------------------------------------------------------------------------------------------

# What a skip reason means and what to do about it, where there is something to say.
_WHY = {
    "downgrade": "a higher version is there; --allow-downgrade applies it anyway",
    "ref-has-no-tag": "the marker takes a tag and the REF has none",
    "variant": "the tag's variant (the words after its version: -alpine, -focal) is not the REF's; "
    "give a REF tagged with the same variant",
}


def skip_line(skip: Skip) -> str:
    from bumper.changes import reason_word  # loaded by the run that made `skip`; never by --version

    where = f"{skip.file}:{skip.line}" if skip.line else skip.file
    value = f" {skip.value}:" if skip.value else ""
    why = f"by {skip.rule}" if skip.rule else _WHY.get(reason_word(skip.reason))
    return f"bumper: skipped {where}:{value} {skip.reason}" + (f" ({why})" if why else "")


def print_diff(diff: str) -> None:
    if not colour_on(sys.stdout):
        sys.stdout.write(diff)
        return
    colours = {"+": "green", "-": "red", "@": "cyan"}
    for line in diff.splitlines(keepends=True):
        colour = "bold" if line.startswith(("+++", "---")) else colours.get(line[:1])
        sys.stdout.write(paint(line.rstrip("\n"), colour, sys.stdout) + "\n" if colour else line)


def render_bump(result: BumpResult, options: BumpOptions) -> None:
    """JSON on stdout, or the diff (dry run) / the changes on stdout and on stderr the skips
    with their reasons, the notes and a summary line; -v adds the files considered and left alone."""
    from bumper.options import Status  # loaded by the run that made `result`
    from bumper.plan.tree import unified_diff

    plan = result.plan
    for missing in plan.not_found:  # found REFs were applied; each missing one is said once
        info(f"bumper: warning: no file references {missing}; it is not applied")
    for line in plan.lock_warnings():  # a Chart.yaml dependency moved: Helm refuses the old lock
        warn(line)
    status = Status(result.status)
    if options.output == "json":
        payload = result.as_json()
        if options.registry != "off":  # what the registry said of each REF (--registry)
            payload["images"] = [image.as_json() for image in options.registry_images]
        if options.dry_run:
            payload["diff"] = unified_diff(plan.edits)
        emit_json(payload)
        for note in result.notes:  # on stderr, so scripts reading stdout still hear them
            # nothing was delivered when blocked: say why; otherwise what the host refused or lacks
            info(f"bumper: warning: {note}" if result.status == Status.BLOCKED else f"bumper: {note}")
        return
    for path in plan.considered:
        detail(f"bumper: considered {path}")
    for skip in plan.ignored:
        detail(ignored_line(skip))
    for glob in plan.unmatched_paths:
        warn(f"{options.paths_flag} {glob!r} matches no file")
    if options.dry_run:
        print_diff(unified_diff(plan.edits))
    elif status not in (Status.UP_TO_DATE, Status.BLOCKED):  # nothing new, or nothing pushed
        for change in plan.changes:
            result_line(f"{change.file}:{change.line}: {change.old} -> {change.new}")
    if status not in (Status.UP_TO_DATE, Status.BLOCKED):  # what a change leaves out of the REF
        for change in plan.changes:
            if change.note:
                info(f"bumper: note {change.file}:{change.line}: {change.note}")
    for skip in plan.skipped:  # references already up to date are news only with -v
        (detail if skip.reason == "up-to-date" else info)(skip_line(skip))
    for marker in plan.unresolved:  # a `$bumper` marker of a REF's image that moved nothing: always
        (info if marker.marker == "$bumper" else detail)(f"bumper: unresolved {marker}")
    verified_lines(plan.verified, warn)
    for image in options.registry_images:  # --registry: what each REF is, as its registry says
        info(f"bumper: {image.ref} is {image.digest} in its registry ({image.described})")
    for note in result.notes:
        if status == Status.BLOCKED:
            warn(note)
        else:
            info(f"bumper: {note}")
    info(f"bumper: {_summary(result, status)}")


def _summary(result: BumpResult, status: Status) -> str:
    """The last line of a bump: what changed or would, what was skipped, where it went."""
    from bumper.changes import reason_word  # loaded by the run that made `result`
    from bumper.options import Status

    plan = result.plan
    files = len({c.file for c in plan.changes})
    verb = {Status.DRY_RUN: "would rewrite", Status.UP_TO_DATE: "up to date:"}.get(status, "rewrote")
    summary = f"{verb} {len(plan.changes)} reference(s) in {files} file(s)"
    reasons = Counter(reason_word(skip.reason) for skip in plan.skipped)
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    if status == Status.UP_TO_DATE:
        # changes of an up-to-date run: what the bot branch holds already (an open PR's)
        held = f"{len(plan.changes)} reference(s) in {files} file(s) already there" if plan.changes else ""
        why = ", ".join(filter(None, (held, skipped))) or "no reference to bump"
        summary = f"up to date: nothing to change ({why})"
    elif skipped:
        summary += f"; skipped {skipped}"
    if status == Status.BLOCKED:
        summary = "blocked: nothing pushed"
    if result.branch:
        summary += f"; branch {result.branch}"
    if result.pull_request:
        summary += f"; {status} {result.pull_request['url']}"
    if result.merge_commit:
        summary += f" as {result.merge_commit[:12]}"
    if result.promoted:
        summary = f"promoted {result.promoted['ref']} from {result.promoted['from']}: {summary}"
    return summary


def verified_lines(verified: list[Any], say_problem: Callable[[str], None]) -> None:
    """One line per rendered root: verified, not verified (why), or each problem found."""
    for v in verified:
        if v.status == "verified":
            info(f"bumper: {v.root}: rendered and checked: {v.detail}")
        elif v.status == "not-verified":
            info(f"bumper: {v.root}: not verified: {v.detail}")
        else:
            for problem in v.problems:
                say_problem(f"{v.root}: {problem}")


def render_verify_failure(exc: VerifyError, options: BumpOptions) -> None:
    """A failed render check: every root's verdict (text), or the failure JSON with `verified`."""
    if options.output == "json":
        payload = {"status": "failed", "exit_code": int(exc.exit_code)}
        payload["error"] = error_object(error_kind(exc), exc.message)
        payload["verified"] = [v.as_json() for v in exc.verified]
        if options.repo is not None:
            payload["commit"] = exc.commit
        emit_json(payload)
        return
    verified_lines(exc.verified, lambda line: info(f"bumper: {line}"))


def ignored_line(skip: Skip) -> str:
    """`bumper: ignored FILE[:LINE]:[ VALUE:] REASON` for a file or value left alone."""
    where = f"{skip.file}:{skip.line}" if skip.line else skip.file
    value = f" {skip.value}:" if skip.value else ""
    return f"bumper: ignored {where}:{value} {skip.reason}"

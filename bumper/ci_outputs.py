"""Turn `bumper bump --output json` into GitHub step outputs and summary, or a GitLab dotenv."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from bumper.changes import md_code
from bumper.errors import ExitCode
from bumper.options import Status

# Status used when bumper printed no (valid) JSON, i.e. it failed before producing a result.
FAILED = "failed"
NOT_FOUND = Status.NOT_FOUND.value

# GitLab rejects a dotenv report over 5 KB (and then drops every variable), so keep well under it.
DOTENV_MAX_BYTES = 4096
DOTENV_KEY = re.compile(r"\A[A-Za-z0-9_]+\Z")
# Characters that cannot stand in a single-line, whitespace-separated dotenv value.
_UNSAFE = re.compile(r"[%\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# Characters that cannot stand in one line of GitHub's newline-separated `changed-files`.
_LINE_UNSAFE = re.compile(r"[%\x00-\x1f\x7f\x85\u2028\u2029]")

# GitHub caps a step summary at 1 MiB; a table this long is unreadable long before that.
SUMMARY_MAX_ROWS = 200
SUMMARY_MAX_DIFF = 60_000


class Result(NamedTuple):
    """The fields of a bump result that CI cares about, as strings ready for outputs."""

    status: str
    pr_url: str
    pr_number: str
    branch: str
    changed_files: tuple[str, ...]
    changes: tuple[dict[str, Any], ...]
    skipped: tuple[dict[str, Any], ...]
    diff: str = ""

    @classmethod
    def from_json_text(cls, text: str, exit_code: int | None = None) -> Result:
        """Parse bumper's JSON; without one, the status is `not-found` for exit 3, else `failed`."""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(NOT_FOUND if exit_code == ExitCode.NOT_FOUND else FAILED, "", "", "", (), (), ())
        changes = tuple(c for c in data.get("changes") or () if isinstance(c, dict))
        skipped = tuple(s for s in data.get("skipped") or () if isinstance(s, dict))
        pr = data.get("pull_request")
        pr = pr if isinstance(pr, dict) else {}
        files = dict.fromkeys(str(c["file"]) for c in changes if c.get("file") is not None)
        return cls(
            status=str(data.get("status") or FAILED),
            pr_url=_text(pr.get("url")),
            pr_number=_text(pr.get("number")),
            branch=_text(data.get("branch")),
            changed_files=tuple(files),
            changes=changes,
            skipped=skipped,
            diff=data["diff"] if isinstance(data.get("diff"), str) else "",
        )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _percent_encode(unsafe: re.Pattern[str], value: str) -> str:
    """Each character `unsafe` matches as its UTF-8 bytes, `%XX` each (urllib's unquote reverses it)."""
    return unsafe.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value)


# --- GitHub -------------------------------------------------------------------------------------


def github_outputs(result: Result) -> dict[str, str]:
    """The step outputs; `changed-files` is one file per line (a name's line breaks, other control
    characters and `%` percent-encoded, so a name never reads as two)."""
    return {
        "status": result.status,
        "pr-url": result.pr_url,
        "pr-number": result.pr_number,
        "branch": result.branch,
        "changed-files": "\n".join(_percent_encode(_LINE_UNSAFE, name) for name in result.changed_files),
    }


def github_output_text(outputs: dict[str, str]) -> str:
    """Render outputs in $GITHUB_OUTPUT's heredoc syntax, with a delimiter no value contains."""
    parts = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in name or delimiter in value:  # as actions/toolkit: never guess, refuse
            raise ValueError(f"output {name!r} contains the delimiter {delimiter!r}")
        parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(parts)


def github_summary(result: Result) -> str:
    """A Markdown job summary: status, PR link, a table of the changes and of skipped references."""
    lines = [f"### bumper: {result.status}", ""]
    if result.status == FAILED:
        lines += ["bumper produced no result; see the step log for the error.", ""]
    elif result.status == NOT_FOUND:
        lines += ["No file under the selected paths references the image.", ""]
    if result.pr_url:
        number = f" #{result.pr_number}" if result.pr_number else ""
        lines += [f"Pull request{number}: {result.pr_url}", ""]
    if result.branch:
        lines += [f"Branch: {md_code(result.branch)}", ""]
    if result.changes:
        lines += _table(
            ("file", "line", "change"),
            [
                (
                    md_code(c.get("file")),
                    _text(c.get("line")),
                    f"{md_code(c.get('old'))} → {md_code(c.get('new'))}",
                )
                for c in result.changes[:SUMMARY_MAX_ROWS]
            ],
        )
        if len(result.changes) > SUMMARY_MAX_ROWS:
            lines += [f"… and {len(result.changes) - SUMMARY_MAX_ROWS} more changes.", ""]
    elif result.status not in (FAILED, NOT_FOUND):
        lines += ["No file changed.", ""]
    if result.skipped:
        lines += _table(
            ("skipped", "line", "value", "reason"),
            [
                (
                    md_code(s.get("file")),
                    _text(s.get("line")),
                    md_code(s.get("value")),
                    md_code(s.get("reason")),
                )
                for s in result.skipped[:SUMMARY_MAX_ROWS]
            ],
        )
    if result.diff:
        diff = result.diff[:SUMMARY_MAX_DIFF]
        fence = "`" * max(3, max((len(r) for r in re.findall("`+", diff)), default=0) + 1)
        cut = "\n(diff truncated)" if len(result.diff) > SUMMARY_MAX_DIFF else ""
        lines += [
            "<details><summary>diff</summary>",
            "",
            f"{fence}diff",
            diff.rstrip("\n"),
            fence + cut,
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines) + "\n"


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A Markdown table (the `line` column right-aligned) and the blank line after it."""
    align = ["---:" if h == "line" else "---" for h in headers]
    return [f"| {' | '.join(r)} |" for r in (headers, tuple(align), *rows)] + [""]


# --- GitLab -------------------------------------------------------------------------------------


def _dotenv_escape(value: str) -> str:
    """Percent-encode `%`, whitespace and control characters so a value is one space-free token."""
    return _percent_encode(_UNSAFE, value)


def _join_within(files: Sequence[str], budget: int) -> str:
    """Space-separate escaped names; past `budget` bytes, end with the token `...+N-more`."""
    out: list[str] = []
    used = 0
    for index, name in enumerate(files):
        token = _dotenv_escape(name)
        rest = len(files) - index - 1  # names after this one; room stays for their marker
        reserve = len(f"...+{rest}-more") if rest else 0
        if used + len(token.encode()) + 1 + reserve > budget:
            out.append(f"...+{len(files) - index}-more")
            break
        out.append(token)
        used += len(token.encode()) + 1
    return " ".join(out)


def gitlab_dotenv(result: Result) -> str:
    """The dotenv report: one `KEY=value` per line, single-line values, under GitLab's size cap."""
    scalars = {
        "BUMPER_STATUS": result.status,
        "BUMPER_PR_URL": result.pr_url,
        "BUMPER_PR_NUMBER": result.pr_number,
        "BUMPER_BRANCH": result.branch,
    }
    lines = [f"{key}={_dotenv_escape(value)}" for key, value in scalars.items()]
    used = sum(len(line.encode()) + 1 for line in lines)
    prefix = "BUMPER_CHANGED_FILES="
    lines.append(prefix + _join_within(result.changed_files, DOTENV_MAX_BYTES - used - len(prefix)))
    for line in lines:
        key, _, value = line.partition("=")
        if not DOTENV_KEY.match(key) or _CONTROL.search(value) or value != value.strip():
            raise ValueError(f"unsafe dotenv line for {key!r}")
    return "\n".join(lines) + "\n"


# --- entry point --------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """The program: reads the process's environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) only here."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(
        prog="python -m bumper.ci_outputs",
        description="Publish a `bumper bump --output json` result to the CI system.",
    )
    parser.add_argument("ci", choices=("github", "gitlab"))
    parser.add_argument("result_json", metavar="RESULT_JSON", help="file holding bumper's JSON")
    parser.add_argument(
        "--dotenv", default="bumper.env", help="gitlab: dotenv report to write (default bumper.env)"
    )
    parser.add_argument(
        "--exit-code", type=int, help="bumper's exit code, to name the status when it printed no JSON"
    )
    args = parser.parse_args(argv)

    result = Result.from_json_text(_read(args.result_json), args.exit_code)
    if args.ci == "gitlab":
        with open(args.dotenv, "w", encoding="utf-8", newline="\n") as f:
            f.write(gitlab_dotenv(result))
        return 0

    output_path = env.get("GITHUB_OUTPUT")
    if not output_path:
        print("bumper.ci_outputs: error: GITHUB_OUTPUT is not set", file=sys.stderr)
        return 2
    with open(output_path, "a", encoding="utf-8", newline="\n") as f:
        f.write(github_output_text(github_outputs(result)))
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8", newline="\n") as f:
            f.write(github_summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

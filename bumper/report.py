"""Printing results: one JSON object on stdout, or text for people (colour only on a TTY)."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from bumper.options import Status

if TYPE_CHECKING:
    from bumper.changes import Skip
    from bumper.options import BumpOptions, BumpResult


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def info(message: str) -> None:
    """A line for people, on stderr so stdout stays the diff or the JSON."""
    sys.stderr.write(message + "\n")


def use_colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def print_diff(diff: str) -> None:
    if not use_colour():
        sys.stdout.write(diff)
        return
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    for line in diff.splitlines(keepends=True):
        colour = "" if line.startswith(("+++", "---")) else colours.get(line[:1], "")
        sys.stdout.write(f"{colour}{line.rstrip(chr(10))}\033[0m\n" if colour else line)


def render_bump(result: BumpResult, options: BumpOptions) -> None:
    """JSON on stdout, or the diff (dry run) / the changes (otherwise) with a summary line."""
    from bumper.rewrite import unified_diff

    plan = result.plan
    if options.output == "json":
        payload = result.as_json()
        if options.dry_run:
            payload["diff"] = unified_diff(plan.edits)
        emit_json(payload)
        if result.status == Status.BLOCKED:  # nothing was delivered: say why even to scripts
            for note in result.notes:
                info(f"bumper: warning: {note}")
        return
    if options.dry_run:
        print_diff(unified_diff(plan.edits))
    else:
        for change in plan.changes:
            print(f"{change.file}:{change.line}: {change.old} -> {change.new}")
    if options.verbose:
        for skip in plan.skipped:
            info(f"bumper: skipped {skip.file}:{skip.line}: {skip.value}: {skip.reason}")
        for skip in plan.ignored:
            info(ignored_line(skip))
        for marker in plan.unresolved:
            info(f"bumper: unresolved {marker}")
    status = Status(result.status)
    for note in result.notes:
        info(f"bumper: {'warning: ' if status == Status.BLOCKED else ''}{note}")
    files = len({c.file for c in plan.changes})
    verb = {Status.DRY_RUN: "would rewrite", Status.UP_TO_DATE: "up to date:"}.get(status, "rewrote")
    summary = f"{verb} {len(plan.changes)} reference(s) in {files} file(s)"
    if status == Status.UP_TO_DATE:
        summary = f"up to date: nothing to change ({len(plan.skipped)} reference(s) skipped)"
    if status == Status.BLOCKED:
        summary = "blocked: nothing pushed"
    if result.branch:
        summary += f"; branch {result.branch}"
    if result.pull_request:
        summary += f"; {status} {result.pull_request['url']}"
    info(f"bumper: {summary}")


def ignored_line(skip: Skip) -> str:
    """`bumper: ignored FILE[:LINE]:[ VALUE:] REASON` for a file or value left alone."""
    where = f"{skip.file}:{skip.line}" if skip.line else skip.file
    value = f" {skip.value}:" if skip.value else ""
    return f"bumper: ignored {where}:{value} {skip.reason}"

"""The command lines of running processes, read from /proc: what a test checks a run left
behind (no git, renderer or helper may outlive bumper)."""

from __future__ import annotations

from pathlib import Path


def running_command_lines(containing: str) -> list[str]:
    """Command lines (arguments joined by spaces) of the running processes holding `containing`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if containing in cmdline:
            found.append(cmdline)
    return found

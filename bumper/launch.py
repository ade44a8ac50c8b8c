"""The `bumper` console script and `python -m bumper`: the command line, and nothing before it.

A `bump --dir` run starts its grep in bumper.local, before it imports the planner, so the search
and those imports still overlap; what a command may import is pinned by
tests/import_budget_test.py.
"""

from __future__ import annotations


def main() -> None:
    """Run the CLI."""
    import gc

    _open_closed_streams()

    # Start-up allocates tens of thousands of objects that live as long as the process (click,
    # the command tree): no collection while they are made, then none ever walks them again.
    gc.disable()
    try:
        from bumper.cli import main as cli
    finally:
        gc.freeze()
        gc.enable()
    try:
        cli()
    finally:
        # The interpreter's exit runs full collections over every object: 30-60 ms once a
        # host's SDK is loaded. Frozen, they are skipped: what only a collection would free
        # (reference cycles) goes with the process; atexit handlers and the flush still run.
        gc.freeze()


def _open_closed_streams() -> None:
    """A stream the caller closed (`>&-`, `2>&-`) is None in Python: what would go there goes to
    the null device instead, as click does for its own output, so the run ends with its own exit
    code rather than an internal error at its first line."""
    import sys

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            import os

            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process

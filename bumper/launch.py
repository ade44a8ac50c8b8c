"""The `bumper` console script and `python -m bumper`: the command line, and nothing before it.

A `bump --dir` run starts its grep in bumper.local, before it imports the planner, so the search
and those imports still overlap; what a command may import is pinned by
tests/import_budget_test.py.
"""

from __future__ import annotations


def main() -> None:
    """Run the CLI."""
    import gc

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

"""The `bumper` console script and `python -m bumper`: the command line, and nothing before it.

A `bump --dir` run starts its grep in bumper.local, before it imports the planner, so the search
and those imports still overlap; what a command may import is pinned by
tests/import_budget_test.py.
"""

from __future__ import annotations


def main() -> None:
    """Run the CLI."""
    from bumper.cli import main as cli

    cli()

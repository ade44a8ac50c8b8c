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
    code rather than an internal error at its first line. A stream whose reader goes away
    during the run (`| head -1`) is the null device from then on (_ReaderMayGo)."""
    import sys

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            import os

            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process
        else:
            setattr(sys, name, _ReaderMayGo(getattr(sys, name)))


class _ReaderMayGo:
    """sys.stdout or sys.stderr, whose write that finds the reader gone (EPIPE: `| head -1`,
    a closed pager) points the stream's file descriptor at the null device and goes on. Without
    it the write's BrokenPipeError ended the run wherever it came, with exit 1 and no word (the
    handler of click's main): a scan cut short, a `bump -v 2>&1 | head` that had written its
    files or pushed, a --repo run stopped between its push and its PR. The run ends with its
    own exit code, as with a stream closed before it started."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))  # type: ignore[attr-defined]
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def writelines(self, lines: object) -> None:
        for line in lines:  # type: ignore[attr-defined]
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()  # type: ignore[attr-defined]
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        """The file descriptor is the null device from now on: what the buffer holds goes
        there, and so does the interpreter's last flush (else exit 120)."""
        import os

        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._stream.fileno())  # type: ignore[attr-defined]
        finally:
            os.close(null)
        try:
            self._stream.flush()  # type: ignore[attr-defined]
        except OSError:
            pass

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)

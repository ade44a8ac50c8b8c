"""Renderer processes end with everything they started: each runs in a process group of its
own, ended as a whole when it finishes, times out or fails, and when bumper is interrupted
(Ctrl-C, SIGTERM) while renderers run in worker threads."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

from bumper.git.children import stop_group


class Stopped(Exception):  # noqa: N818 - a state, not a failure of the renderer
    """bumper is being interrupted: no renderer starts any more."""


class Renderers:
    """The renderer processes of one --verify check, so that the thread bumper's signals
    reach can end every one of them (stop_all) while worker threads wait on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self._stopping = False

    def run(
        self, argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float
    ) -> tuple[int, bytes, bytes]:
        """Run `argv` to its end: (exit status, stdout, stderr). Raises subprocess.TimeoutExpired
        (the group is ended first), OSError, or Stopped."""
        with self._lock:  # stop_all either sees this process or prevents it
            if self._stopping:
                raise Stopped
            proc = subprocess.Popen(  # noqa: S603 - argv is kustomize/kubectl and a path
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own group: ended as a whole, children too
            )
            self._live.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            stop_group(proc)  # what it left running (a background child) ends with it
            with self._lock:
                self._live.discard(proc)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        return proc.returncode, out, err

    def stop_all(self) -> None:
        """End every renderer group now and start none after: bumper is being interrupted."""
        with self._lock:
            self._stopping = True
            live = list(self._live)
        for proc in live:
            stop_group(proc)

"""A Chart.yaml whose dependency versions a bump moves leaves its Chart.lock beside it stale:
Helm's `helm dependency build` (Argo CD runs it) refuses a lock whose digest no longer matches
Chart.yaml, so the run says which locks to regenerate."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from bumper.changes import Change

_CHART_FILES = frozenset({"Chart.yaml", "Chart.yml"})


def stale_locks(root: Path, changes: Iterable[Change]) -> list[str]:
    """The `Chart.lock` files (tree paths) beside a Chart.yaml whose dependency version changes."""
    folders = {
        PurePosixPath(c.file).parent
        for c in changes
        if c.shape == "chart" and PurePosixPath(c.file).name in _CHART_FILES
    }
    locks = (str(folder / "Chart.lock") for folder in sorted(folders))
    return [lock for lock in locks if (root / lock).is_file()]


def stale_lock_warning(lock: str) -> str:
    """The one warning line of a stale lock: what Helm does with it, and what to run."""
    folder = str(PurePosixPath(lock).parent)
    return (
        f"{lock} still locks the old dependency versions: `helm dependency build` (Argo CD runs it) "
        f"refuses it as out of sync with Chart.yaml; run `helm dependency update {folder}` and commit "
        "Chart.lock"
    )

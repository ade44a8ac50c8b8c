"""A Chart.yaml whose dependency versions a bump moves leaves its Chart.lock beside it stale:
Helm's `helm dependency build` (Argo CD runs it) refuses a lock whose digest no longer matches
Chart.yaml, so the run says which locks to regenerate."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from bumper.changes import Change

# The lock `helm dependency update` writes beside each file listing dependencies (Helm 2's too).
_LOCKS = {"Chart.yaml": "Chart.lock", "Chart.yml": "Chart.lock", "requirements.yaml": "requirements.lock"}


def stale_locks(root: Path, changes: Iterable[Change]) -> list[str]:
    """The `Chart.lock` files (tree paths) beside a Chart.yaml whose dependency version changes
    (`requirements.lock` beside a Helm 2 `requirements.yaml`)."""
    paths = (PurePosixPath(c.file) for c in changes if c.shape == "chart")
    locks = sorted({str(path.parent / _LOCKS[path.name]) for path in paths if path.name in _LOCKS})
    return [lock for lock in locks if (root / lock).is_file()]


def stale_lock_warning(lock: str) -> str:
    """The one warning line of a stale lock: what Helm does with it, and what to run."""
    path = PurePosixPath(lock)
    listed = "requirements.yaml" if path.name == "requirements.lock" else "Chart.yaml"
    return (
        f"{lock} still locks the old dependency versions: `helm dependency build` (Argo CD runs it) "
        f"refuses it as out of sync with {listed}; run `helm dependency update {path.parent}` and commit "
        f"{path.name}"
    )

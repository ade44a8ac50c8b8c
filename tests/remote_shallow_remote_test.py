"""End to end: `--repo` names a repository that is itself a shallow clone (a CI checkout made
with `--depth 1`). After its main moved, the next run must tell whether the bot branch's parent
is a commit of main: a deepen by date stops at the remote's own shallow boundary ("bad pack
header"), so bumper fetches all the remote has instead. Its own branch is rebuilt on the new
main; a person's commit on it stays (docs/reliability.md, "A person's work, stale branches and
big bumps")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from testing import repos

DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n"
    "    spec:\n      containers:\n        - name: a\n          image: ghcr.io/acme/app:v1.0.0\n"
)
BRANCH = "bumper/ghcr.io-acme-app"


def bump(remote: Path, tag: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", "bump", f"ghcr.io/acme/app:{tag}", "--repo", str(remote)]
        + ["--provider", "none", "--output", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, **repos.git_env()},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def shallow_remote(tmp_path: Path) -> Path:
    src = repos.make_bare_repo(tmp_path / "src.git", {"app/d.yaml": DEPLOY.encode()})
    for n in range(3):
        repos.add_commit(src, "main", {f"notes/{n}.md": b"x\n"}, message=f"change {n}")
    remote = tmp_path / "shallow.git"
    repos.git("clone", "--quiet", "--bare", "--depth", "1", f"file://{src}", remote)
    assert repos.git("rev-parse", "--is-shallow-repository", cwd=remote).strip() == b"true"
    return remote


def test_a_shallow_remote_whose_main_moved_keeps_bumpers_branch_bumpers(tmp_path: Path) -> None:
    remote = shallow_remote(tmp_path)
    assert bump(remote, "v1.1.0")["status"] == "written"
    main = repos.add_commit(remote, "main", {"notes/later.md": b"y\n"}, message="main moved")

    again = bump(remote, "v1.2.0")  # before: exit 1, "network error ... bad pack header"
    assert again["status"] == "written" and again["branch"] == BRANCH
    assert repos.git("rev-parse", f"{BRANCH}^", cwd=remote).decode().strip() == main
    assert b"ghcr.io/acme/app:v1.2.0" in (repos.read_file(remote, BRANCH, "app/d.yaml") or b"")


def test_a_persons_commit_on_a_shallow_remotes_branch_stays(tmp_path: Path) -> None:
    remote = shallow_remote(tmp_path)
    bump(remote, "v1.1.0")
    repos.add_commit(remote, "main", {"notes/later.md": b"y\n"}, message="main moved")
    theirs = repos.add_commit(remote, BRANCH, {"notes/review.md": b"mine\n"}, message="review")
    assert bump(remote, "v1.2.0")["status"] == "blocked"
    assert repos.branch_sha(remote, BRANCH) == theirs

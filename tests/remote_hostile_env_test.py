"""End to end through `--repo`: what the user's environment holds for git when bumper runs.

bumper runs inside git hooks (pre-commit exports GIT_INDEX_FILE, every hook GIT_DIR) and git
aliases, and under a user's GIT_TRACE. Its clone must never read or write the user's own
repository, and git's tracing must not reach bumper's output or show the token.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import repos
from testing.runs import run_bump
from testing.world import make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
DEPLOYMENT = b"image: ghcr.io/acme/app:v1.2.0\n"


def _user_repo(tmp_path: Path) -> Path:
    """The user's own repository, with work staged in its index and nothing committed."""
    user = tmp_path / "user"
    repos.git("init", "-q", str(user), cwd=tmp_path)
    (user / "staged.txt").write_text("my work\n")
    repos.git("add", "staged.txt", cwd=user)
    return user


def _state(user: Path) -> tuple[bytes, bytes, list[str]]:
    """The user's index, its status and every object file of its repository."""
    objects = sorted(str(p.relative_to(user)) for p in (user / ".git" / "objects").rglob("*") if p.is_file())
    status = repos.git("status", "--porcelain", cwd=user)
    return (user / ".git" / "index").read_bytes(), status, objects


@pytest.mark.parametrize(
    "variables",
    [
        ("GIT_INDEX_FILE",),  # a pre-commit hook
        ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"),  # any hook, an alias run from the top
        ("GIT_OBJECT_DIRECTORY",),
        ("GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_INDEX_FILE"),
    ],
)
def test_a_run_inside_a_git_hook_leaves_the_users_repository_alone(
    tmp_path: Path, variables: tuple[str, ...]
) -> None:
    user = _user_repo(tmp_path)
    where = {
        "GIT_DIR": user / ".git",
        "GIT_COMMON_DIR": user / ".git",
        "GIT_WORK_TREE": user,
        "GIT_INDEX_FILE": user / ".git" / "index",
        "GIT_OBJECT_DIRECTORY": user / ".git" / "objects",
    }
    before = _state(user)
    with make_world(tmp_path, "github", {"apps/web.yaml": DEPLOYMENT}) as world:
        proc = run_bump(world, f"{IMAGE}:v1.2.3", **{name: str(where[name]) for name in variables})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "opened"
        assert world.read(BRANCH, "apps/web.yaml") == DEPLOYMENT.replace(b"v1.2.0", b"v1.2.3")
    assert _state(user) == before


def test_git_tracing_in_the_users_environment_stays_out_of_the_output(tmp_path: Path) -> None:
    tracing = {"GIT_TRACE": "1", "GIT_CURL_VERBOSE": "1", "GIT_TRACE_PACKET": "1", "GIT_TRACE_CURL": "1"}
    with make_world(tmp_path, "github", {"apps/web.yaml": DEPLOYMENT}) as world:
        proc = run_bump(world, f"{IMAGE}:v1.2.3", **tracing)  # run_bump greps every output for the token
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        assert json.loads(proc.stdout)["status"] == "opened"
        # a failing clone, whose error line is made from git's stderr: one line, no trace
        missing = world.repo_url.replace("manifests", "nothing")
        failed = run_bump(world, f"{IMAGE}:v1.2.4", "--repo", missing, **tracing)
        assert failed.returncode == 1
        assert len(failed.stderr.splitlines()) == 1, failed.stderr
        assert "trace:" not in failed.stderr and "packet:" not in failed.stderr, failed.stderr

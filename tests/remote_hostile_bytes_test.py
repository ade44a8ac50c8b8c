"""End to end through `--repo`: bytes that are not UTF-8, in a file name of the repository or in
an option, as a careless user or an odd repository gives them.

A file name is data: its own bytes reach the commit (message and tree) as git keeps them. An
option's text reaches a commit or the host's API, so bytes that are not UTF-8 there are bad
input (exit 2), said before anything is cloned or pushed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing import repos
from testing.runs import run_bump
from testing.world import World, make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
DEPLOYMENT = b"image: ghcr.io/acme/app:v1.2.0\n"
LATIN1_NAME = b"apps/caf\xe9.yaml"  # a file named on a Latin-1 machine


def _replace_base(world: World, tmp_path: Path, files: dict[bytes, bytes]) -> None:
    """Force the world's main branch to one commit holding `files`, named by their raw bytes."""
    src = tmp_path / "src"
    repos.git("init", "-q", "-b", "main", str(src), cwd=tmp_path)
    for name, data in files.items():
        path = src / os.fsdecode(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    repos.git("add", "-A", cwd=src)
    repos.git("-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-qm", "base", cwd=src)
    repos.git("push", "-qf", str(world.bare), "main", cwd=src)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_file_name_that_is_not_utf8_is_bumped_with_its_own_bytes(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider, {"other.yaml": b"a: 1\n"}) as world:
        _replace_base(world, tmp_path, {LATIN1_NAME: DEPLOYMENT, b"apps/web.yaml": DEPLOYMENT})
        proc = run_bump(world, f"{IMAGE}:v1.2.3")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert sorted(c["file"] for c in result["changes"]) == [os.fsdecode(LATIN1_NAME), "apps/web.yaml"]
        tree = repos.git("ls-tree", "-r", "-z", "--name-only", BRANCH, cwd=world.bare).split(b"\0")
        assert LATIN1_NAME in tree
        message = repos.git("log", "-1", "--format=%B", BRANCH, cwd=world.bare)
        assert b"- " + LATIN1_NAME + b":1: " in message  # the name's own bytes, as git shows it
        bumped = repos.git("show", f"{BRANCH}:{os.fsdecode(LATIN1_NAME)}", cwd=world.bare)
        assert bumped == DEPLOYMENT.replace(b"v1.2.0", b"v1.2.3")
        # the commit is recognised as bumper's own on the next run: nothing to do
        again = run_bump(world, f"{IMAGE}:v1.2.3")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "up-to-date"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--author", "Caf\udce9 Bot <bot@example.com>"),  # argv bytes b"Caf\xe9 ...", as Python reads them
        ("--commit-message", "bump \udcff {images}"),
        ("--title", "bump \udcff"),
        ("--label", "l\udcffabel"),
    ],
)
def test_an_option_that_is_not_utf8_is_refused_before_anything_is_pushed(
    tmp_path: Path, option: str, value: str
) -> None:
    with make_world(tmp_path, "github", {"apps/web.yaml": DEPLOYMENT}) as world:
        proc = run_bump(world, f"{IMAGE}:v1.2.3", option, value)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"bumper: error: invalid {option} "), proc.stderr
        assert "not UTF-8" in proc.stderr and "internal error" not in proc.stderr
        assert json.loads(proc.stdout)["error"]["kind"] == "bad-input"
        assert world.pushes() == [] and world.writes() == []
        assert world.branch_sha(BRANCH) is None


def test_a_real_process_reads_an_argv_byte_that_is_not_utf8_the_same_way(tmp_path: Path) -> None:
    """The forked runs above pass Python's reading of the bytes; here a real interpreter reads them."""
    with make_world(tmp_path, "github", {"apps/web.yaml": DEPLOYMENT}) as world:
        env = {k.encode(): v.encode() for k, v in world.env().items()}
        argv = [os.fsencode(sys.executable), b"-m", b"bumper", b"bump", f"{IMAGE}:v1.2.3".encode()]
        proc = subprocess.run(  # noqa: S603 - our own argv
            [*argv, b"--author", b"Caf\xe9 <a@b.c>"],
            env=env,
            capture_output=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=120,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(b"bumper: error: invalid --author 'Caf\\xe9 <a@b.c>': not UTF-8")
        assert world.pushes() == []


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_commit_via_api_refuses_a_file_name_that_is_not_utf8_before_any_write(
    tmp_path: Path, provider: str
) -> None:
    """The hosts' commit APIs take file names as JSON strings: such a name cannot be sent."""
    with make_world(tmp_path, provider, {"other.yaml": b"a: 1\n"}) as world:
        _replace_base(world, tmp_path, {LATIN1_NAME: DEPLOYMENT, b"apps/web.yaml": DEPLOYMENT})
        proc = run_bump(world, f"{IMAGE}:v1.2.3", "--commit-via", "api")
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            "bumper: error: --commit-via api cannot commit 'apps/caf\\xe9.yaml': the host's API takes "
            "only UTF-8 file names; rename the file or use --commit-via git\n"
        )
        assert world.writes() == [] and world.pushes() == []
        assert world.branch_sha(BRANCH) is None


def test_commit_via_api_refuses_such_a_name_in_the_pr_half_before_the_direct_commit(tmp_path: Path) -> None:
    """A run that commits staging straight to main and sends prod through a PR: the name under
    prod was refused only after the direct commit to main had landed (exit 2, main changed)."""
    policy = b"version: 1\nrules:\n  - paths: [staging]\n    mode: commit\n"
    files = {b".bumper.yaml": policy, b"staging/web.yaml": DEPLOYMENT, b"prod/caf\xe9.yaml": DEPLOYMENT}
    with make_world(tmp_path, "github", {"other.yaml": b"a: 1\n"}) as world:
        _replace_base(world, tmp_path, files)
        main = world.branch_sha("main")
        proc = run_bump(world, f"{IMAGE}:v1.2.3", "--commit-via", "api")
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("bumper: error: --commit-via api cannot commit 'prod/caf\\xe9.yaml'")
        assert "already pushed" not in proc.stderr
        assert world.branch_sha("main") == main and world.writes() == [] and world.pushes() == []

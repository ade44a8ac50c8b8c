"""End to end, both hosts: odd file names, missing REFs and big bumps through `--repo`.

File names that are glob or pattern syntax, several REFs of which some are referenced nowhere,
an image in ~1,500 files (a commit message above the 128 KiB argv limit, a PR body above
GitHub's 65,536 characters): each once failed or went wrong silently.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.canary import assert_no_canary
from testing.world import World, make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
DEPLOYMENT = (
    b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
    b"      containers:\n        - name: web\n          image: ghcr.io/acme/app:v1.2.0\n"
)
ODD_NAMES = [
    "apps/[prod]/deploy.yaml",  # a glob character class
    "apps/back\\slash.yaml",  # an escape in patterns
    "apps/new\nline.yaml",  # a line break in a pattern file
    "apps/star*.yaml",
    "apps/what?.yaml",
    "!bang.yaml",  # negation at the start of a pattern
    "#hash.yaml",  # a comment at the start of a pattern
    "apps/trailing space .yaml",
]


def world_with(tmp_path: Path, provider: str, tree: dict[str, bytes]) -> Any:
    return make_world(tmp_path, provider, tree)


def run(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    proc = world.run("bump", *args, "--output", "json", timeout=300)
    assert "Traceback" not in proc.stderr
    assert_no_canary(world, proc)
    return proc


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_file_names_that_are_pattern_syntax_are_bumped(tmp_path: Path, provider: str) -> None:
    # the decoy is what the glob `apps/[prod]/deploy.yaml` matches; it does not mention the image
    tree = {name: DEPLOYMENT for name in ODD_NAMES} | {"apps/p/deploy.yaml": b"a: 1\n"}
    with world_with(tmp_path, provider, tree) as world:
        proc = run(world, f"{IMAGE}:v1.2.3")
        assert proc.returncode == 0, proc.stderr
        assert sorted(c["file"] for c in json.loads(proc.stdout)["changes"]) == sorted(ODD_NAMES)
        out = repos.git("diff-tree", "-r", "-z", "--name-only", "main", BRANCH, cwd=world.bare)
        assert sorted(out.decode().split("\0")[:-1]) == sorted(ODD_NAMES)
        for name in ODD_NAMES:
            assert world.read(BRANCH, name) == DEPLOYMENT.replace(b"v1.2.0", b"v1.2.3"), name


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_ref_referenced_nowhere_is_named_and_left_out_of_the_pr(tmp_path: Path, provider: str) -> None:
    missing = "ghcr.io/acme/nowhere:v9.9.9"
    with world_with(tmp_path, provider, {"apps/web.yaml": DEPLOYMENT}) as world:
        proc = run(world, f"{IMAGE}:v1.2.3", missing)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened" and result["not_found"] == [missing]
        assert result["branch"] == BRANCH  # named after the applied image only
        assert (
            proc.stderr.splitlines()[0] == f"bumper: warning: no file references {missing}; it is not applied"
        )
        [pr] = world.open_pulls()
        assert f"{IMAGE}:v1.2.3" in pr.title and "nowhere" not in pr.title + pr.body
        assert "nowhere" not in repos.commit_info(world.bare, result["branch"])["message"]

        none = run(world, "ghcr.io/acme/other:v1", missing)
        assert none.returncode == 3  # exit 3 only when no REF is found


def big_tree(files: int) -> dict[str, bytes]:
    return {
        f"apps/team-{i:04d}/service-with-a-rather-long-name-{i:04d}/deployment.yaml": DEPLOYMENT
        for i in range(files)
    }


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_an_image_in_1500_files_fits_the_commit_and_the_pr(tmp_path: Path, provider: str) -> None:
    files = 1500
    with world_with(tmp_path, provider, big_tree(files)) as world:
        proc = run(world, f"{IMAGE}:v1.2.3")
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)["changes"]) == files
        message = repos.commit_info(world.bare, BRANCH)["message"]
        assert len(message.encode()) > 128 * 1024 and message.count(" -> ") >= files
        [pr] = world.open_pulls()
        limit = 65_536 if provider == "github" else 1_048_576
        assert len(pr.body) <= limit and len(pr.title) <= (256 if provider == "github" else 255)
        assert pr.body.rstrip().endswith("-->")  # the hidden marker survives the cut
        if provider == "github":
            shown = pr.body.count("| `apps/team-")
            assert 0 < shown < files and f"… and {files - shown} more" in pr.body
        else:
            assert pr.body.count("| `apps/team-") == files and "more" not in pr.body

        # the rerun finds the PR text it wrote (cut included) and writes nothing
        api = world.host.mark()
        assert json.loads(run(world, f"{IMAGE}:v1.2.3").stdout)["status"] == "up-to-date"
        assert world.writes(api) == []

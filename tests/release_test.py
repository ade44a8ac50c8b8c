"""The GitHub workflows: CI runs .ci/run; a version tag tests, publishes, pushes the image, moves v1."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing.ci_schemas import load_yaml, schema_errors
from testing.composite_action import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTION_VALIDATOR = ROOT / "node_modules" / ".bin" / "action-validator"


def load(name: str) -> dict[str, Any]:
    data = load_yaml((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow["on"]


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_workflow_validates_against_the_workflow_schema(name: str) -> None:
    assert schema_errors(load(name), "github-workflows.json") == []


@pytest.mark.skipif(
    not ACTION_VALIDATOR.exists(), reason="needs `npm ci` (node_modules/.bin/action-validator)"
)
@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_action_validator_accepts_the_workflow(name: str) -> None:
    proc = subprocess.run([str(ACTION_VALIDATOR), str(WORKFLOWS / name)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_workflow_pins_actions_and_keeps_expressions_out_of_scripts(name: str) -> None:
    for job_name, job in load(name)["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (job_name, step["uses"])
            assert "${{" not in step.get("run", ""), (job_name, step.get("name"))


def test_ci_runs_the_ci_script_on_pushes_pull_requests_and_for_the_release() -> None:
    ci = load("ci.yml")
    assert set(triggers(ci)) == {"push", "pull_request", "workflow_call"}
    [job] = ci["jobs"].values()
    assert job["steps"][-1]["run"] == "bash .ci/run"
    assert ci["permissions"] == {"contents": "read"}


def test_release_runs_on_version_tags_after_the_tests() -> None:
    release = load("release.yml")
    assert triggers(release) == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    jobs = release["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["dist"]["needs"] == "test" and jobs["image"]["needs"] == "test"
    assert sorted(jobs["major-tag"]["needs"]) == ["dist", "image"], "v1 moves only after both published"
    assert release["permissions"] == {"contents": "read"}, "jobs widen permissions one by one"


def test_release_checks_the_tag_builds_and_publishes_the_distributions() -> None:
    steps = load("release.yml")["jobs"]["dist"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert '"v$version" != "$GITHUB_REF_NAME"' in script
    assert "-r .ci/uv.txt" in script and "uv build" in script
    assert "uv publish --trusted-publishing always" in script
    assert load("release.yml")["jobs"]["dist"]["permissions"]["id-token"] == "write"


def test_release_pushes_a_labelled_image_built_from_the_dockerfile() -> None:
    job = load("release.yml")["jobs"]["image"]
    [build] = [step for step in job["steps"] if step.get("uses", "").startswith("docker/build-push-action@")]
    assert build["with"]["push"] is True and build["with"]["context"] == "."
    labels = build["with"]["labels"]
    for key in ("source", "created", "version", "revision"):
        assert f"org.opencontainers.image.{key}=" in labels, key
    assert "REVISION=${{ github.sha }}" in build["with"]["build-args"]
    assert job["permissions"]["packages"] == "write"


def test_release_moves_the_major_tag(tmp_path: Path) -> None:
    """Run the major-tag script against a real repository: v1 moves to the released commit."""
    [step] = [s for s in load("release.yml")["jobs"]["major-tag"]["steps"] if "run" in s]
    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("clone", "-q", str(origin), str(work), cwd=tmp_path)
    for n in (1, 2):
        git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e.invalid",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            f"c{n}",
        )
        if n == 1:
            git("tag", "v1")
            git("push", "-q", "origin", "HEAD:refs/heads/main", "refs/tags/v1")
    head = git("rev-parse", "HEAD").strip()
    git("tag", "v1.4.0")
    git("push", "-q", "origin", "HEAD:refs/heads/main", "refs/tags/v1.4.0")
    subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]],
        cwd=work,
        env={**env, "GITHUB_REF_NAME": "v1.4.0", "GITHUB_SHA": head},
        check=True,
        capture_output=True,
    )
    assert git("rev-parse", "refs/tags/v1^{commit}", cwd=origin).strip() == head

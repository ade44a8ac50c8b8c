"""The test fork server's runs are indistinguishable from `python -m bumper` in a new process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing import forkserver

DEPLOYMENT = b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: ghcr.io/acme/app:v1.0.0 # pinned\n"  # noqa: E501


@pytest.fixture(autouse=True)
def _forks_even_when_the_suite_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the fork server: BUMPER_TEST_FORKSERVER=0 must not turn them off."""
    monkeypatch.delenv("BUMPER_TEST_FORKSERVER", raising=False)


def _real(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bumper", *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version"],
        ["bump", "--help"],
        ["bump", "v1.2.3", "--dir", "."],
        ["bump", "ghcr.io/acme/app:v1.2.3", "--dir", ".", "--dry-run"],
        ["bump", "ghcr.io/acme/app:v1.2.3", "--dir", "missing", "--output", "json"],
        ["scan", "--dir", ".", "--output", "json"],
        ["bump", "ghcr.io/acme/app:v1.2.3", "--repo", "https://example.invalid/a/b.git"],
    ],
    ids=["alone", "version", "help", "a-tag-only", "dry-run", "missing-dir", "scan-json", "no-token"],
)
def test_a_forked_run_prints_and_exits_as_a_new_process(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_bytes(DEPLOYMENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")} | {"NO_COLOR": "1"}
    forked = forkserver.run(args, env=env, cwd=tmp_path)
    real = _real(args, env, tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)


def test_each_run_has_its_own_environment_and_directory(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "deploy.yaml").write_bytes(DEPLOYMENT)
    (tmp_path / "empty").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    as_json = forkserver.run(
        ["scan", "--dir", "."], env=env | {"BUMPER_OUTPUT": "json"}, cwd=tmp_path / "tree"
    )
    as_text = forkserver.run(["scan", "--dir", "."], env=env, cwd=tmp_path / "tree")
    elsewhere = forkserver.run(["scan", "--dir", "."], env=env, cwd=tmp_path / "empty")
    assert as_json.stdout.startswith("{") and "deploy.yaml" in as_json.stdout
    assert as_text.stdout.startswith("deploy.yaml:7:")
    assert "deploy.yaml" not in elsewhere.stdout + elsewhere.stderr


def test_a_run_that_needs_a_new_interpreter_gets_one(tmp_path: Path) -> None:
    env = dict(os.environ) | {"PYTHONPATH": str(tmp_path)}
    assert isinstance(forkserver.start(["--version"], env=env), subprocess.Popen)
    env = dict(os.environ)
    forked = forkserver.start(["--version"], env=env)
    assert isinstance(forked, forkserver.ForkedRun)
    assert forked.communicate(timeout=60) == ("bumper 0.1.0\n", "") and forked.returncode == 0


def test_a_killed_run_ends_by_the_signal_as_a_popen_does() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/acme/manifests.git"
        env = dict(os.environ) | {"BUMPER_TOKEN": "t", "BUMPER_PROVIDER": "none", "BUMPER_REPO": url}
        args = ["bump", "ghcr.io/acme/app:v1.2.3"]
        runs = [forkserver.start(args, env=env), subprocess.Popen([sys.executable, "-m", "bumper", *args],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]  # fmt: skip
        time.sleep(1)
        for proc in runs:
            proc.kill()
            proc.communicate(timeout=60)
        assert [proc.returncode for proc in runs] == [-signal.SIGKILL, -signal.SIGKILL]


def test_a_run_past_its_timeout_is_killed_and_raises() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        forkserver.run(["--version"], timeout=0)


def test_killing_a_run_that_already_ended_is_no_error() -> None:
    """A run whose process ended and was reaped by the server before the test's kill (a
    `timeout=0` run of `--version` on a loaded machine): killing it is a no-op, as
    Popen.send_signal makes it, not ProcessLookupError (seen once in a whole-suite run)."""
    proc = forkserver.start(["--version"])
    if not isinstance(proc, forkserver.ForkedRun):
        pytest.skip("runs are not forked here")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    proc.kill()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.startswith("bumper")

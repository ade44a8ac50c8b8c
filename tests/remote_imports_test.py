"""A `--repo` run imports the SDK of the provider that runs and no other, and of PyGithub not what
only a GitHub App or a secret needs (issue 30: start-up); `--dir` runs import none
(tests/cli_test.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.world import make_world

# What each host's SDK pulls in at import; the other host's run must load none of it.
SDK = {"github": {"github", "jwt", "cryptography"}, "gitlab": {"gitlab", "requests_toolbelt"}}
# What PyGithub imports for a GitHub App's JWT and for encrypting secrets: bound, never run, in a
# token run (bumper/providers/deferred.py; tests/github_app_test.py runs the App's way).
NOT_RUN = {"github": {"cryptography", "nacl.bindings", "_sodium"}, "gitlab": set()}
# No run imports a git library: bumper starts git itself (GitPython cost ~0.1 s of every run).
NEVER = {"git", "gitdb", "smmap"}


@pytest.mark.skipif(shutil.which("bumper") is None, reason="the bumper console script is not installed")
@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_remote_run_imports_only_its_providers_sdk(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        script = str(shutil.which("bumper"))
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", script, "bump", "ghcr.io/acme/app:v9.9.9"],
            capture_output=True,
            text=True,
            timeout=120,
            env=world.env(),
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert world.open_pulls(), "the run opened no pull request"
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    names = {m.split(".")[0] for m in modules}
    other = "gitlab" if provider == "github" else "github"
    assert provider in names, sorted(names)
    assert not (SDK[other] & names), f"a {provider} run imported {sorted(SDK[other] & names)}"
    assert not (NEVER & names), f"a {provider} run imported {sorted(NEVER & names)}"
    ran = NOT_RUN[provider] & (names | modules)
    assert not ran, f"a {provider} run with a token loaded {sorted(ran)}"

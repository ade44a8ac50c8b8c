"""Fixtures of the git layer's tests: an isolated git configuration and a loopback git server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper.git import runner
from testing import repos
from testing.clones import MANIFESTS, TOKEN
from testing.git_server import GitServer, serve_git


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user/system git config leaks in; tests write to this global config when they need to."""
    cfg = tmp_path / "gitconfig"
    cfg.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in list(os.environ):
        if key.startswith("GIT_CONFIG_") and key not in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
            monkeypatch.delenv(key)
    monkeypatch.setattr(runner, "BACKOFF_SECONDS", 0.01)
    return cfg


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with serve_git(tmp_path / "srv", TOKEN) as gs:
        yield gs


@pytest.fixture
def origin(server: GitServer) -> Path:
    """`m.git` on the server: one commit of MANIFESTS on main."""
    return repos.make_bare_repo(server.path_for("m"), MANIFESTS)

"""Shared pytest options."""

from __future__ import annotations

import pytest

# Reliability totals gathered across pytest-xdist workers; the loopback servers' fixtures
# (fake_github, fake_gitlab, git_server) for every test module without importing them.
pytest_plugins = ["testing.summaries", "testing.fake_github", "testing.fake_gitlab", "testing.git_server"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected/ from the actual output (review the diff)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Put test trees in tmpfs when there is one: creating files on / is slow (FACTS.md)."""
    import os
    import tempfile

    if config.option.basetemp is None and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        config.option.basetemp = tempfile.mkdtemp(prefix="bumper-tests-", dir="/dev/shm")
        config._bumper_tmp = config.option.basetemp  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    tmp = getattr(config, "_bumper_tmp", None)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)

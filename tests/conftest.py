"""Shared pytest options."""

from __future__ import annotations

import pytest

# Reliability totals gathered across pytest-xdist workers; the loopback servers' fixtures
# (fake_github, fake_gitlab, git_server) for every test module without importing them.
pytest_plugins = [
    "testing.summaries",
    "testing.fake_github",
    "testing.fake_gitlab",
    "testing.git_server",
    "testing.fake_gitea",
    "testing.fake_bitbucket",
    "testing.fake_azure_devops",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected/ from the actual output (review the diff)",
    )


# Every server a test starts listens on loopback.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _bypass_proxies_for_loopback() -> None:
    """A CI job that reaches its package registries through a proxy (HTTP(S)_PROXY set) would
    send git's and the SDKs' requests to the tests' loopback servers through it too, and every
    remote test would fail to connect: loopback goes direct (NO_PROXY, which git, curl and
    requests all read), whatever else the job's NO_PROXY names."""
    import os

    for name in ("NO_PROXY", "no_proxy"):
        names = [n for n in os.environ.get(name, "").split(",") if n.strip()]
        os.environ[name] = ",".join([*names, *(host for host in _LOOPBACK if host not in names)])


def pytest_configure(config: pytest.Config) -> None:
    """Put test trees in tmpfs when there is one: creating files on / is slow on this kind of machine. So are
    the clones every bumper run makes in TMPDIR: without a TMPDIR of the caller's, the session
    (and the xdist workers and runs it starts, which inherit it) gets one in tmpfs too."""
    import os
    import tempfile

    _bypass_proxies_for_loopback()
    if not (os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)):
        return
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="bumper-tests-", dir="/dev/shm")
        config._bumper_tmp = config.option.basetemp  # type: ignore[attr-defined]
    if "TMPDIR" not in os.environ and not hasattr(config, "workerinput"):
        tmpdir = tempfile.mkdtemp(prefix="bumper-tmp-", dir="/dev/shm")
        os.environ["TMPDIR"] = config._bumper_tmpdir = tmpdir  # type: ignore[attr-defined]
        tempfile.tempdir = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile bumper's and the fakes' bytecode once, before the workers start.

    Most tests run `python -m bumper` or a fake server in a subprocess. Where the environment
    sets PYTHONDONTWRITEBYTECODE (as this machine does), each of those would otherwise compile
    every module from source again: about 100 ms per process, minutes over the suite."""
    import compileall
    from pathlib import Path

    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller compiled before it started
    root = Path(__file__).resolve().parent.parent
    for package in ("bumper", "testing"):
        compileall.compile_dir(root / package, quiet=1)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    for tmp in (getattr(config, "_bumper_tmp", None), getattr(config, "_bumper_tmpdir", None)):
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core. A test spends much of its time waiting (on git, the
    loopback servers, retry back-offs, a signal's grace period); a second worker per core keeps
    the cores busy meanwhile. On 2 cores the suite takes about 2.5 minutes instead of 3."""
    import os

    return 2 * len(os.sched_getaffinity(0))


# Modules whose tests take longest (each several seconds of many runs): started first, so the
# last minute of a run is not one worker finishing them while the other cores sit idle.
_SLOW_FIRST = (
    "reliability_faults_test",
    "reliability_concurrency_test",
    "bench_smoke_test",
    "remote_signals_test",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.stem
        return _SLOW_FIRST.index(name) if name in _SLOW_FIRST else len(_SLOW_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its place


@pytest.fixture
def grep_spawns(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every grep the test's in-process runs start (NeedleSearch._spawn), in order."""
    from bumper.plan.search import NeedleSearch

    started: list[object] = []
    spawn = NeedleSearch._spawn.__func__  # type: ignore[attr-defined]

    def counted(cls: type[NeedleSearch], *args: object) -> NeedleSearch:
        started.append(spawn(cls, *args))
        return started[-1]  # type: ignore[no-any-return]

    monkeypatch.setattr(NeedleSearch, "_spawn", classmethod(counted))
    return started

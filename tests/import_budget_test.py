"""What `bumper --version`, `scan --dir` and `bump --dir` may import: the start-up budget, kept by
this test instead of a comment beside each late import. A new import at start-up, or an SDK
reached from the wrong module, fails here with the modules that came in."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from testing.probe import run_probed
from testing.world import EXAMPLE_IMAGE, make_world

# Run as `python -m bumper` would, then list every module loaded at exit.
PROBE = """
import atexit, sys
out = sys.argv[1]
sys.argv = ["bumper", *sys.argv[2:]]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
from bumper.launch import main
main()
"""
SITE_HOOKS = {"setuptools"}  # a .pth file of the environment may load its own hook; not bumper's

# Distributions each command may import; none of them needs a host SDK, HTTP or git.
BUDGET = {
    "--version": {"click"},
    "scan": {"click", "PyYAML"},
    "bump --dir": {"click", "PyYAML"},
    "bump --dir, nothing found": {"click", "PyYAML"},
    "bump --repo": {"click", "PyYAML"},  # a local repository: no host, so no SDK and no HTTP
}
# bumper's own modules each command never loads (prefixes): --version loads only what
# EXACTLY names; no --dir run loads a host, the git layer, a registry client or the
# render-verify, nor what only a failure (redaction) or a delivery (the CI build) reads.
_NO_DIR_RUN = (
    "bumper.remote",
    "bumper.git",
    "bumper.providers",
    "bumper.verify",
    "bumper.registry",
    "bumper.secrets",
    "bumper.ci",
)
NOT_LOADED = {
    "--version": ("bumper.",),
    "scan": (*_NO_DIR_RUN, "bumper.local", "bumper.options"),
    "bump --dir": (*_NO_DIR_RUN, "bumper.plan.anchor_uses"),  # read for a hold only
    # exit 3: its one error line is scrubbed (bumper.secrets), but holds no variable's value, so
    # the providers' registrations (entry points, importlib.metadata) are never read for it
    "bump --dir, nothing found": (*(p for p in _NO_DIR_RUN if p != "bumper.secrets"), "importlib.metadata"),
    # without --verify, --registry or --wait; no host's module, no git library (git runs as is)
    "bump --repo": (
        "bumper.local",
        "bumper.verify",
        "bumper.registry",
        "bumper.delivery.wait",
        *(f"bumper.providers.{host}" for host in ("github", "gitlab", "gitea", "bitbucket", "azure_devops")),
    ),
}
# `--version` loads the command line, its printing and its error boundary, and nothing else of
# bumper: no options, change texts or image parsing (each costs start-up; issue 30).
EXACTLY = {
    "--version": {"bumper.cli", "bumper.errors", "bumper.launch", "bumper.report", "bumper.termination"},
}
# Standard-library modules `--version` has no use for (click itself loads inspect, datetime):
# each was once loaded at start-up by a bumper module that a version string never needs.
VERSION_NEVER = {"json", "pathlib", "subprocess", "urllib.parse", "fnmatch", "shlex", "dataclasses"}
# Standard-library modules a plain `bump --dir --dry-run` (no .bumper.yaml, no marker, text
# output) has no use for: JSON is read for a policy's schema or a marker comment, written for
# --output json; a dry run writes no temporary file; no socket, no TLS; pickle carries only a
# forked planner's answers (a tree of megabytes), shlex quotes only a failing file's path; tarfile
# and gzip read only a packaged subchart (`charts/foo-1.2.3.tgz`).
DIR_RUN_NEVER = {
    "json",
    "tempfile",
    "importlib.metadata",
    "jsonschema",
    "pathspec",
    "socket",
    "ssl",
    "pickle",
    "shlex",
    "tarfile",
    "gzip",
}
ARGS = {
    "--version": ["--version"],
    "scan": ["scan", "--dir", "tree"],
    "bump --dir": ["bump", "ghcr.io/acme/app:v2.0.0", "--dir", "tree", "--dry-run"],
    "bump --dir, nothing found": ["bump", "ghcr.io/acme/other:v2.0.0", "--dir", "tree", "--dry-run"],
    "bump --repo": ["bump", "ghcr.io/acme/app:v2.0.0", "--repo", "tree", "--author", "A <a@example.com>"],
}


def _loaded(
    tmp_path: Path, args: list[str], exit_code: int = 0, env: dict[str, str] | None = None
) -> list[str]:
    (tmp_path / "tree" / "apps").mkdir(parents=True)
    (tmp_path / "tree" / "apps" / "deploy.yaml").write_text("image: ghcr.io/acme/app:v1.0.0 # {}\n")
    if "--repo" in args:  # the tree as a repository of its own, which the run clones and pushes to
        for git in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
            ident = ["-c", "user.name=A", "-c", "user.email=a@example.com"]
            subprocess.run(["git", *ident, *git], cwd=tmp_path / "tree", check=True, capture_output=True)
    return run_probed(
        PROBE, tmp_path / "modules.txt", tuple(args), tmp_path, env, exit_code=exit_code
    ).split()


def _distributions(modules: list[str]) -> set[str]:
    owners = packages_distributions()
    return {dist for name in modules for dist in owners.get(name.partition(".")[0], [])} - {"bumper-gitops"}


@pytest.mark.parametrize("command", sorted(BUDGET))
def test_a_command_imports_only_its_budget(tmp_path: Path, command: str) -> None:
    nothing_found = "nothing found" in command
    # a variable holding a glob (as tox's settings do) is no token a mask could complete
    env = {**os.environ, "TOX_TESTENV_PASSENV": "OPENBLAS_*"} if nothing_found else None
    modules = _loaded(tmp_path, ARGS[command], 3 if nothing_found else 0, env)
    assert "bumper.cli" in modules, "the probe ran bumper"
    extra = _distributions(modules) - BUDGET[command] - SITE_HOOKS
    assert not extra, f"`bumper {command}` imports {sorted(extra)}"
    own = [m for m in modules if m.startswith(NOT_LOADED[command]) and m not in EXACTLY.get(command, ())]
    assert not own, f"`bumper {command}` imports {own}"


def test_version_loads_no_stdlib_module_it_does_not_need(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, ARGS["--version"])
    assert not VERSION_NEVER & set(modules), sorted(VERSION_NEVER & set(modules))


def test_the_budget_sees_an_sdk(tmp_path: Path) -> None:
    """The same reading of a run that loads a host SDK names it (the test can fail)."""
    assert "requests" in _distributions(["requests.adapters", "yaml"])
    assert "PyYAML" in _distributions(["yaml"])


def test_a_dir_dry_run_loads_no_stdlib_module_it_does_not_need(tmp_path: Path) -> None:
    modules = set(_loaded(tmp_path, ARGS["bump --dir"]))
    assert "yaml" in modules, "the probe planned the tree"
    assert not DIR_RUN_NEVER & modules, sorted(DIR_RUN_NEVER & modules)


# Records every read of the installed distributions' entry points (importlib.metadata's
# entry_points), then runs bumper; writes one line per read, naming the group asked for.
ENTRY_POINT_PROBE = """
import atexit, sys
import importlib.metadata as metadata
out = sys.argv[1]
sys.argv = ["bumper", *sys.argv[2:]]
reads = []
scan = metadata.entry_points
def recorded(*args, **kwargs):
    reads.append(str(kwargs.get("group")))
    return scan(*args, **kwargs)
metadata.entry_points = recorded
atexit.register(lambda: open(out, "w").write("\\n".join(reads)))
from bumper.launch import main
main()
"""


@pytest.mark.parametrize("provider", ["github", "gitlab", "gitea"])
def test_a_run_naming_a_built_in_provider_reads_no_entry_point(tmp_path: Path, provider: str) -> None:
    """A --repo run through a built-in host takes its registration from bumper itself: the
    entry-point scan (~20 ms of metadata reading at every start) happens only where every
    provider must be known (issue 30)."""
    with make_world(tmp_path, provider) as world:
        args = ("bump", f"{EXAMPLE_IMAGE}:v9.9.9", "--label", "deps")
        reads = run_probed(ENTRY_POINT_PROBE, tmp_path / "reads.txt", args, tmp_path, world.env())
        assert len(world.open_pulls()) == 1, "the probe ran the whole flow: PR opened"
    assert reads == ""


@pytest.mark.parametrize(
    "args,exit_code",
    [
        (("--provider", "gogs"), 2),  # an unknown name lists every registered provider
        (("--provider", "auto"), 0),  # auto asks every provider whether the host is its own
    ],
)
def test_what_must_know_every_provider_reads_the_entry_points(
    tmp_path: Path, args: tuple[str, ...], exit_code: int
) -> None:
    """The probe sees a scan where one is needed (so the test above can fail)."""
    with make_world(tmp_path, "github") as world:
        run_args = ("bump", f"{EXAMPLE_IMAGE}:v9.9.9", "--dry-run", *args)
        env = world.env()  # auto: the fake's API URL (/api/v3) tells it is a GitHub
        reads = run_probed(
            ENTRY_POINT_PROBE, tmp_path / "reads.txt", run_args, tmp_path, env, exit_code=exit_code
        )
    assert "bumper.providers.v1" in reads.splitlines()

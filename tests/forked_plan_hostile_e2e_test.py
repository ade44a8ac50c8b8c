"""End to end, `bumper bump` run as CI runs it: where files are planned in forked children
(bumper.plan.forked), what a hostile environment does to the run (odd BUMPER_JOBS values, few
file descriptors, bumper killed) ends it as a run planning every file in one process ends, and
no child outlives it; a `--repo` run commits, pushes and opens what the one-process run does."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver, repos
from testing.runs import run_bump
from testing.world import make_world

REF = "docker.io/bitnami/os-shell:12-debian-12-r99"
# A values file as charts have them: the image, then ~30 KB of settings; 60 of them hold 1.8
# million characters, work for four processes (bumper.plan.forked.MIN_CHARS).
VALUES = (
    "image:\n  registry: docker.io\n  repository: bitnami/os-shell\n  tag: 12-debian-12-r4{n}\n"
    + "".join(
        f"## @param setting{k} a setting, as charts document each one\nsetting{k}: value-{k}\n"
        for k in range(500)
    )
)


def _tree(root: Path, charts: int = 60) -> Path:
    for n in range(charts):
        chart = root / "charts" / f"chart-{n:02d}"
        chart.mkdir(parents=True)
        (chart / "values.yaml").write_text(VALUES.replace("{n}", str(n % 3)))
    return root


def _real_run(
    tree: Path, jobs: str, *args: str, files: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bumper bump REF --dir TREE ARGS` in a new interpreter; `files`: at most that
    many open file descriptors (RLIMIT_NOFILE), as `ulimit -n` sets."""

    def limited() -> None:  # in the child, before it runs Python
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    env = {**os.environ, "BUMPER_JOBS": jobs}
    argv = [sys.executable, "-m", "bumper", "bump", REF, "--dir", str(tree), *args]
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, preexec_fn=limited, check=False, timeout=120
    )


@pytest.mark.parametrize("jobs", ["²", "１", "٣"])
def test_jobs_in_other_digits_than_ascii_are_a_usage_error(jobs: str, tmp_path: Path) -> None:
    """`²` is a digit to str.isdigit() but no number to int(): a usage error, never an internal one."""
    (tmp_path / "values.yaml").write_text("image: docker.io/bitnami/os-shell:12-debian-12-r40\n")
    env = {**os.environ, "BUMPER_JOBS": jobs}
    proc = forkserver.run(["bump", REF, "--dir", str(tmp_path)], env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"bumper: error: BUMPER_JOBS must be a whole number from 1 to 64, not {jobs!r}\n"
    assert "r40" in (tmp_path / "values.yaml").read_text()


def test_a_run_with_few_file_descriptors_plans_here_what_no_child_can_be_given_a_memory_file_for(
    tmp_path: Path,
) -> None:
    """With the fewest descriptors a one-process run needs, BUMPER_JOBS=4 has no memory file for
    its third child (each child's answers hold one open): that part is planned in bumper's own
    process, and the run prints what the one-process run prints, never an internal error."""
    tree = _tree(tmp_path)
    limit = next(n for n in range(4, 64) if _real_run(tree, "1", "--dry-run", files=n).returncode == 0)
    one = _real_run(tree, "1", "--dry-run", files=limit)
    four = _real_run(tree, "4", "--dry-run", files=limit)
    assert (four.returncode, four.stdout, four.stderr) == (one.returncode, one.stdout, one.stderr)
    assert "would rewrite 60 reference(s) in 60 file(s)" in one.stderr


def _state(pid: int, argv: list[bytes]) -> str:
    """The process's state letter (R, S, T stopped, Z ended), or "" when it is gone (or the pid
    is another process's by now)."""
    try:
        if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1] != argv:
            return ""
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def _planning_child(proc: subprocess.Popen[bytes]) -> tuple[int, list[bytes]] | None:
    """The first child bumper forks to plan files (its argv is bumper's; grep's is not), once it
    has spent 0.1 s of CPU (set itself up, and planning), or None when bumper ended first."""
    argv = [os.fsencode(arg) for arg in proc.args]  # type: ignore[union-attr]
    ticks = os.sysconf("SC_CLK_TCK") // 10
    while proc.poll() is None:
        for pid in _children(proc.pid):
            if _state(pid, argv) and _cpu(pid) >= ticks:
                return pid, argv
        time.sleep(0.001)
    return None


def _children(pid: int) -> list[int]:
    """The process's children (its threads' too); none once it has ended."""
    try:
        return [
            int(c)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()
        ]
    except OSError:
        return []


def _cpu(pid: int) -> int:
    """The process's CPU time so far (user and system), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(sys.platform != "linux", reason="files are planned in forked children only on Linux")
def test_a_child_planning_files_ends_with_bumper_however_bumper_ends(tmp_path: Path) -> None:
    """bumper killed (SIGKILL, the OOM killer) while a child plans files: the child ends with it,
    instead of planning on with no one to read its answer, holding bumper's stdout and stderr
    open (a CI step that reads them would wait for it). The child is stopped once it plans, so
    it is still there, whatever this machine's speed, when bumper is killed."""
    tree = _tree(tmp_path, charts=300)
    argv = [sys.executable, "-m", "bumper", "bump", REF, "--dir", str(tree), "--dry-run"]
    env = {**os.environ, "BUMPER_JOBS": "2"}
    out = tmp_path / "out"
    with out.open("wb") as sink:
        proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=sink, start_new_session=True)
    child = None
    try:
        child = _planning_child(proc)
        assert child is not None, "bumper planned the tree without forking a child"
        os.kill(child[0], signal.SIGSTOP)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while _state(*child) not in ("", "Z") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(*child) in ("", "Z"), "the child outlived bumper"
    finally:
        proc.kill()
        proc.wait()
        if child is not None and _state(*child) not in ("", "Z"):
            os.kill(child[0], signal.SIGKILL)


# Counts, in the bumper process, each child bumper.plan.forked forks (a new interpreter imports
# this at start-up from PYTHONPATH).
# Counts the forks; and imports the host's SDK before bumper starts: a planner forks only while
# no other thread runs, and a `--repo` run imports the SDK in a thread beside the clone, which
# on a loaded machine was still importing when a plan began (that plan then ran in one process,
# with the same output, and the fork count below came out short). Imported here, that thread
# finds the module loaded and ends at once, during the clone: every plan that pays forks.
COUNT_FORKS = """
import os
import bumper.plan.forked as forked
import bumper.providers.github  # noqa: F401 - what import_ahead would import beside the clone

_fork = forked._fork


def _counted(*args):
    with open(os.environ["FORKS_LOG"], "a") as log:
        log.write("fork\\n")
    _fork(*args)


forked._fork = _counted
"""
# A repository of charts whose `.bumper.yaml` commits some straight to main, holds others, and
# opens a PR for the rest; a kustomize entry without newTag (last in file order, so in the
# child's part) runs the tag the held charts keep.
POLICY = (
    b"version: 1\nrules:\n"
    b"  - paths: [apps/app3*]\n    mode: commit\n"
    b"  - paths: [apps/app1*]\n    hold: true\n"
)


def _repo_tree() -> dict[str, bytes]:
    tree = {
        ".bumper.yaml": POLICY,
        "overlays/prod/kustomization.yaml": b"images:\n  - name: ghcr.io/acme/app\n",
    }
    for n in range(40):
        values = VALUES.replace("docker.io", "ghcr.io").replace("bitnami/os-shell", "acme/app")
        tree[f"apps/app{n:02d}/values.yaml"] = values.replace("{n}", str(n % 3)).encode()
    return tree


def _repo_run(
    tmp_path: Path, jobs: str, *args: str
) -> tuple[int, str, str, dict[str, dict[str, bytes | None]], list[Any], int]:
    """Exit, stdout and stderr (commit ids and ports left out), every branch's files, the open
    PRs, and the children forked, of one `bump --repo` run."""
    tree = _repo_tree()
    inject = tmp_path / "inject"
    inject.mkdir(parents=True)
    (inject / "sitecustomize.py").write_text(COUNT_FORKS)
    log = tmp_path / "forks"
    with make_world(tmp_path, "github", tree) as world:
        env = {"BUMPER_JOBS": jobs, "PYTHONPATH": str(inject), "FORKS_LOG": str(log)}
        proc = run_bump(world, "ghcr.io/acme/app:12-debian-12-r99", *args, **env)
        files = {b: {p: world.read(b, p) for p in tree} for b in repos.list_branches(world.bare)}
        pulls = [(p.title, p.body, p.head, p.base) for p in world.open_pulls()]

    def plain(text: str) -> str:
        return re.sub(r"\b[0-9a-f]{7,40}\b", "SHA", re.sub(r"127\.0\.0\.1:\d+", "HOST", text))

    forks = len(log.read_text().splitlines()) if log.exists() else 0
    return proc.returncode, plain(proc.stdout), plain(proc.stderr), files, pulls, forks


@pytest.mark.parametrize("args", [(), ("--dry-run",)])
def test_a_repo_run_planned_in_children_commits_pushes_and_opens_what_one_process_does(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    """`bump --repo` with a direct commit and a PR (two plans of megabytes each), some charts
    held: forked children plan, and main, the bot branch, the PR and the output are the serial
    run's."""
    one = _repo_run(tmp_path / "one", "1", *args)
    two = _repo_run(tmp_path / "two", "2", *args)
    assert one[-1] == 0 and two[-1] >= 2, "each plan of the run (commit, then PR) forked a child"
    assert one[:-1] == two[:-1]
    assert one[0] == 0, one[2]
    if not args:
        assert len(one[4]) == 1 and '"reason": "held"' in one[1]
        committed = one[3]["main"]["apps/app35/values.yaml"] or b""
        assert b"tag: 12-debian-12-r99\n" in committed

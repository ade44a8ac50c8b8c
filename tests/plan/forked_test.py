"""bumper.plan.forked: files planned in forked children give the serial answer, in order, and the
serial error; no child outlives the call, and none is forked where it is not safe or not worth it."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper.plan import forked
from bumper.plan.forked import cgroup_quota, map_in_order
from testing.forking import fork_beside_the_suites_threads

ITEMS = [f"file-{n:02d}" for n in range(12)]


@pytest.fixture(autouse=True)
def _two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's work is worth a fork, on two cores, whatever this machine has."""
    monkeypatch.setattr(forked, "MIN_CHARS", 1)
    monkeypatch.setenv(forked.JOBS_VARIABLE, "2")
    fork_beside_the_suites_threads(monkeypatch)


def _children() -> set[str]:
    """This process's children (its threads' too), from /proc; a thread that ended while it was
    read (an earlier test's server thread) has none."""
    pids: set[str] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids.update((task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return pids


@pytest.fixture(autouse=True)
def _no_child_outlives_the_call() -> Iterator[None]:
    """Whatever a test does, it leaves no child behind (the suite's own servers were there before)."""
    before = _children()
    yield
    assert _children() <= before


def _where(item: str) -> tuple[int, str]:
    return os.getpid(), item.upper()


def test_the_answer_is_the_serial_answer_in_order_and_a_child_made_part_of_it() -> None:
    answer = map_in_order(_where, ITEMS, len)
    assert [upper for _, upper in answer] == [item.upper() for item in ITEMS]
    pids = [pid for pid, _ in answer]
    assert pids[0] == os.getpid() and pids[-1] != os.getpid(), "the later part is planned by a child"
    assert pids == sorted(pids, key=lambda pid: pid != os.getpid()), "this process plans the first part"


def test_parts_are_consecutive_and_of_about_equal_size() -> None:
    sizes = [10, 10, 10, 10, 40, 10, 10]
    assert forked._parts(list(range(7)), sizes, 2) == [[0, 1, 2, 3], [4, 5, 6]]
    assert [len(p) for p in forked._parts(list(range(9)), [1] * 9, 3)] == [3, 3, 3]


def test_a_failure_in_the_childs_part_raises_the_error_the_serial_loop_raises() -> None:
    def plan(item: str) -> str:
        if item in ("file-09", "file-11"):
            raise ValueError(f"{item}:3: duplicate key")
        return item

    with pytest.raises(ValueError, match=r"^file-09:3: duplicate key$"):
        map_in_order(plan, ITEMS, len)


def test_the_first_failure_in_file_order_wins_when_both_parts_fail() -> None:
    def plan(item: str) -> str:
        if item in ("file-02", "file-10"):
            raise ValueError(item)
        return item

    with pytest.raises(ValueError, match="^file-02$"):
        map_in_order(plan, ITEMS, len)


def test_a_child_killed_meanwhile_has_its_part_planned_here() -> None:
    parent = os.getpid()

    def plan(item: str) -> tuple[int, str]:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return _where(item)

    assert map_in_order(plan, ITEMS, len) == [(parent, item.upper()) for item in ITEMS]


def test_an_answer_that_does_not_pickle_is_planned_here() -> None:
    parent = os.getpid()

    def plan(item: str) -> object:
        return (lambda: item) if os.getpid() != parent else item

    assert map_in_order(plan, ITEMS, len) == ITEMS


def test_an_interruption_here_ends_the_child_at_once() -> None:
    parent = os.getpid()

    def plan(item: str) -> str:
        if os.getpid() != parent:
            time.sleep(60)
        if item == "file-01":
            raise KeyboardInterrupt
        return item

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        map_in_order(plan, ITEMS, len)
    assert time.monotonic() - started < 10


def test_no_fork_while_another_thread_runs() -> None:
    """A fork copies the locks other threads hold (an import, a logging handler): never then."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        answer = map_in_order(_where, ITEMS, len)
    finally:
        stop.set()
        other.join()
    assert {pid for pid, _ in answer} == {os.getpid()}


@pytest.mark.parametrize(("jobs", "min_chars"), [("1", 1), ("2", 10_000)])
def test_one_job_or_little_work_plans_everything_here(
    jobs: str, min_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(forked.JOBS_VARIABLE, jobs)
    monkeypatch.setattr(forked, "MIN_CHARS", min_chars)
    assert {pid for pid, _ in map_in_order(_where, ITEMS, len)} == {os.getpid()}


def test_a_fork_that_fails_leaves_the_part_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert map_in_order(_where, ITEMS, len) == [(os.getpid(), item.upper()) for item in ITEMS]


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu.max": "garbage\n"}, None),
        ({}, None),
    ],
)
def test_a_containers_cpu_quota_is_read_from_its_cgroup(
    files: dict[str, str], quota: float | None, tmp_path: Path
) -> None:
    _write(tmp_path, files)
    assert cgroup_quota(tmp_path, tmp_path / "no-membership") == quota


V2 = {"cgroup.controllers": "cpu io memory\n"}


@pytest.mark.parametrize(
    ("files", "membership", "quota"),
    [
        # a systemd CPUQuota=50% on the service's own cgroup, none above it
        ({**V2, "system.slice/ci.service/cpu.max": "50000 100000\n"}, "0::/system.slice/ci.service\n", 0.5),
        # the least quota on the way up wins: the slice's 1 CPU caps the service's 2
        (
            {**V2, "ci.slice/cpu.max": "100000 100000\n", "ci.slice/job.scope/cpu.max": "200000 100000\n"},
            "0::/ci.slice/job.scope\n",
            1.0,
        ),
        (
            {**V2, "ci.slice/cpu.max": "100000 100000\n", "ci.slice/job.scope/cpu.max": "max 100000\n"},
            "0::/ci.slice/job.scope\n",
            1.0,
        ),  # fmt: skip
        # v1: the cpu controller's line names the cgroup under cpu/
        (
            {"cpu/user.slice/cpu.cfs_quota_us": "150000\n", "cpu/user.slice/cpu.cfs_period_us": "100000\n"},
            "5:memory:/elsewhere\n4:cpu,cpuacct:/user.slice\n0::/user.slice\n",
            1.5,
        ),
        # a cgroup above this namespace's root: only the root is read
        ({**V2, "cpu.max": "300000 100000\n", "x/cpu.max": "10000 100000\n"}, "0::/../x\n", 3.0),
        ({**V2, "a/cpu.max": "10000 100000\n"}, "garbage\n", None),
    ],
)
def test_a_quota_on_a_nested_cgroup_is_read_through_proc_self_cgroup(
    files: dict[str, str], membership: str, quota: float | None, tmp_path: Path
) -> None:
    _write(tmp_path / "fs", files)
    (tmp_path / "cgroup").write_text(membership)
    assert cgroup_quota(tmp_path / "fs", tmp_path / "cgroup") == quota


def _write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_quota_of_one_cpu_forks_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(forked.JOBS_VARIABLE)
    monkeypatch.setattr(forked, "cgroup_quota", lambda: 1.0)
    assert {pid for pid, _ in map_in_order(_where, ITEMS, len)} == {os.getpid()}


def test_signals_a_caller_held_back_stay_held_back() -> None:
    """The signals blocked around each fork are given back as they were, not unblocked: a caller
    holding SIGTERM back (as bumper.json_stream does around a write) still holds it after."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        answer = map_in_order(_where, ITEMS, len)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    assert {pid for pid, _ in answer} != {os.getpid()}, "a child planned a part"
    assert signal.SIGTERM in held


def test_an_interruption_right_after_a_child_is_reaped_still_interrupts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C landing just after the child's answer was read and the child reaped (before the
    status is kept): the run is interrupted, not ended by a failed second wait for that child."""
    real_waitpid = os.waitpid
    interrupted: list[int] = []

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        reaped = real_waitpid(pid, options)
        if not interrupted:
            interrupted.append(pid)
            raise KeyboardInterrupt
        return reaped

    monkeypatch.setattr(os, "waitpid", waitpid)
    with pytest.raises(KeyboardInterrupt):
        map_in_order(_where, ITEMS, len)
    assert interrupted


def test_a_python_without_ctypes_still_plans_in_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """ctypes (which sets the child to end with this process) missing from a Python build: the
    child plans all the same."""
    monkeypatch.setitem(sys.modules, "ctypes", None)  # `import ctypes` raises ImportError
    answer = map_in_order(_where, ITEMS, len)
    assert [upper for _, upper in answer] == [item.upper() for item in ITEMS]
    assert answer[-1][0] != os.getpid(), "a child planned the later part"


def test_a_childs_answers_are_packed_there_and_made_whole_here() -> None:
    """`pack` runs in the child only, on each answer it sends; `unpack` makes it whole here from
    the item (a chart repository's child sends its edits without the bytes this process holds)."""
    parent = os.getpid()

    def pack(answer: tuple[int, str]) -> tuple[int, str]:
        assert os.getpid() != parent, "packed here"
        return answer[0], ""

    def unpack(item: str, packed: tuple[int, str]) -> tuple[int, str]:
        assert packed[1] == "", "not packed in the child"
        return packed[0], item.upper()

    answer = map_in_order(_where, ITEMS, len, pack, unpack)
    assert [upper for _, upper in answer] == [item.upper() for item in ITEMS]
    assert answer[-1][0] != parent, "the later part is planned by a child"

"""Plan files on every core: the files plan independently (bumper.plan.file), so a forked child
plans the later part of the list while this process plans the earlier part.

Only a speed-up, never a second behaviour: the answer is the list `[plan(item) for item in
items]` would give, in order, and a child that fails in any way (an unsafe file, an exception that
does not pickle, a crash, a signal) has its part planned again here, so the error raised is the one
the serial loop raises first, with the same text. A child is forked only when this process runs
no other thread (a fork copies their locks held), only where there are memory files (Linux's
memfd_create) for the answers, and only for work big enough to repay the fork; it never
outlives the call.
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

from bumper.errors import ConfigError

Item = TypeVar("Item")
Result = TypeVar("Result")

# Each process plans at least this many characters: below, a fork and its pickled answer cost
# more than they save (bench/real.py's chart tree: 3.4 MB, 232 -> 174 ms with two processes).
MIN_CHARS = 400_000
MAX_CHILDREN = 3  # four processes at most: more were never measured (this project's machines have two cores)
# BUMPER_JOBS=N: N processes at most; 1 plans every file in this process (the answer is the same).
JOBS_VARIABLE = "BUMPER_JOBS"
MAX_JOBS = 64
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>: the signal this process gets when its parent ends
ENDING_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE}


def map_in_order(
    plan: Callable[[Item], Result],
    items: Sequence[Item],
    size: Callable[[Item], int],
    pack: Callable[[Result], Result] | None = None,
    unpack: Callable[[Item, Result], Result] | None = None,
) -> list[Result]:
    """`[plan(item) for item in items]`, the later parts planned by forked children when it pays.
    `pack`: what a child sends of a result (less what this process can make again from the item
    alone, such as bytes it already holds); `unpack(item, packed)`: the result made whole here."""
    jobs = jobs_asked()
    sizes = [size(item) for item in items]
    processes = min(len(items), sum(sizes) // MIN_CHARS)
    if processes >= 2:
        processes = min(processes, _children(jobs) + 1)
    if processes < 2:
        return [plan(item) for item in items]
    try:  # loaded here, before a child is, so that neither reads a file for it once planning
        import pickle  # noqa: F401 - (a run short of file descriptors); only a forking run needs it
    except (ImportError, OSError):  # no descriptor left to read it with: every part planned here
        return [plan(item) for item in items]
    first, *later = _parts(items, sizes, processes)
    children: list[_Child] = []
    sent = plan if pack is None else lambda item: pack(plan(item))
    try:
        for part in later:
            _fork(sent, part, children)
        planned = [plan(item) for item in first]  # raises first: its items come first
        for child, part in zip(children, later):
            answer: list[Result] | None = _answer(child, len(part))
            if answer is None:
                planned += [plan(item) for item in part]
            else:
                planned += answer if unpack is None else [unpack(i, r) for i, r in zip(part, answer)]
    finally:
        for child in children:
            child.end()
    return planned


def jobs_asked() -> int | None:
    """BUMPER_JOBS: the processes that may plan files; None: one per core this process may use."""
    text = os.environ.get(JOBS_VARIABLE, "").strip()
    if not text:
        return None
    # ASCII digits only: str.isdigit() also takes `²`, which int() refuses
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_JOBS):
        raise ConfigError(f"{JOBS_VARIABLE} must be a whole number from 1 to {MAX_JOBS}, not {text!r}")
    return int(text)


def _children(jobs: int | None) -> int:
    """How many children may run beside this process: one per further core it may use."""
    if not hasattr(os, "memfd_create") or threading.active_count() > 1:
        return 0
    return min((jobs or _cores()) - 1, MAX_CHILDREN)


def _cores() -> int:
    """The cores this process may run on, and no more than its cgroup's CPU quota grants (a
    container limited to one CPU on a 16-core host gains nothing from a fork)."""
    cores = len(os.sched_getaffinity(0))
    quota = cgroup_quota()
    return cores if quota is None else max(1, min(cores, math.ceil(quota)))


def cgroup_quota(
    root: Path = Path("/sys/fs/cgroup"), membership: Path = Path("/proc/self/cgroup")
) -> float | None:
    """CPUs this process may use by the least quota of its cgroup and every cgroup above it
    (v2 `cpu.max`, v1 `cpu.cfs_quota_us`); None: no limit. A container sees its own cgroup as
    the root; a systemd `CPUQuota=` sits on a nested one that only /proc/self/cgroup names."""
    quotas = [quota for folder in _cgroup_folders(root, membership) if (quota := _quota(folder)) is not None]
    return min(quotas, default=None)


def _cgroup_folders(root: Path, membership: Path) -> list[Path]:
    """The folders of this process's CPU cgroup, from its own up to the root of the hierarchy."""
    v2 = (root / "cgroup.controllers").is_file() or (root / "cpu.max").is_file()
    top = root if v2 else root / "cpu"
    wanted = "" if v2 else "cpu"  # v2's one hierarchy has no controller names on its line
    parts: list[str] = []
    try:
        for line in membership.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if wanted in controllers.split(","):
                parts = [part for part in path.split("/") if part]
    except (OSError, ValueError):
        pass
    if ".." in parts:  # a cgroup outside this namespace's view: only the root is seen
        parts = []
    return [top.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _quota(folder: Path) -> float | None:
    """One cgroup's CPU quota; None: none set, or none readable."""
    try:
        if (folder / "cpu.max").is_file():
            quota, period = (folder / "cpu.max").read_text().split()[:2]
        else:
            quota = (folder / "cpu.cfs_quota_us").read_text().strip()
            period = (folder / "cpu.cfs_period_us").read_text().strip()
        if quota in ("max", "-1") or int(period) <= 0:
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        return None


def _parts(items: Sequence[Item], sizes: list[int], count: int) -> list[list[Item]]:
    """`items` cut into at most `count` consecutive parts of about equal size (this process's
    first): each item goes to the part its middle falls in."""
    total, done = max(1, sum(sizes)), 0
    parts: list[list[Item]] = [[] for _ in range(count)]
    for item, size in zip(items, sizes):
        parts[min(count - 1, (2 * done + size) * count // (2 * total))].append(item)
        done += size
    return [part for part in parts if part]


class _Child:
    """A forked child planning one part, and the memory file its pickled answers go to (none:
    the memory file or the fork failed, and this process plans the part)."""

    def __init__(self, pid: int = -1, answers: int = -1) -> None:
        self.pid, self.answers = pid, answers
        self.status: int | None = None if pid > 0 else 1

    def close(self) -> None:
        """Free the answers, once: marked closed first, so a signal landing meanwhile never has
        `end` close the number again (by then maybe another file's) and fail."""
        answers, self.answers = self.answers, -1
        if answers >= 0:
            os.close(answers)

    def end(self) -> None:
        """Stop the child if it still runs, reap it, and free its answers."""
        self.close()
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                _, self.status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped by `_answer` just before a signal cut it short
                self.status = 1


def _fork(plan: Callable[[Item], Result], part: Sequence[Item], children: list[_Child]) -> None:
    """Add a child planning `part` to `children`; it pickles each answer into a memory file as it
    goes (a pipe would hold it until this process reads). The signals that end a run are blocked
    until the child is in `children`: else one arriving before the child resets them would run
    this process's handler, and its clean-up, in the child, or leave the child unknown to the
    caller's clean-up (one that came before the fork is cleared in the child by Python itself)."""
    try:
        answers = os.memfd_create("bumper-plan", os.MFD_CLOEXEC)
    except OSError:  # no file descriptor left for it (each child's answers hold one): planned here
        children.append(_Child())
        return
    parent = os.getpid()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ENDING_SIGNALS)
    try:
        try:
            pid = os.fork()
        except OSError:  # no memory or process left for it: this process plans the part
            os.close(answers)
            children.append(_Child())
            return
        if pid == 0:
            _plan_in_child(plan, part, answers, parent)
        children.append(_Child(pid, answers))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # those a caller held back stay held back


def _plan_in_child(
    plan: Callable[[Item], Result], part: Sequence[Item], answers: int, parent: int
) -> NoReturn:
    """In the child: plan `part`, pickling each answer as it is made; leave at once, running none
    of bumper's clean-up (the parent's temporary clone, its atexit), with status 0 only when every
    answer is written (any other: the parent plans the part again and raises)."""
    try:
        import pickle  # loaded by map_in_order before the fork

        _end_with(parent)
        for number in ENDING_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, ENDING_SIGNALS)
        with os.fdopen(answers, "wb") as out:
            for item in part:
                pickle.dump(plan(item), out, pickle.HIGHEST_PROTOCOL)
        os._exit(0)
    finally:
        os._exit(1)


def _end_with(parent: int) -> None:
    """Have the kernel kill this child when `parent` ends, however it ends (SIGKILL, the OOM
    killer, a SIGHUP it does not catch): else the child plans on, its answer unread, holding
    bumper's stdout and stderr open (a CI step reading them waits for it)."""
    try:
        import ctypes  # only ever in a child: bumper itself never needs it

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (ImportError, OSError, AttributeError):  # a Python without ctypes, a C library without
        pass  # prctl: the check below still runs
    if os.getppid() != parent:  # it ended before that: no one is left to read the answer
        os._exit(0)


def _answer(child: _Child, count: int) -> list[Result] | None:
    """The child's `count` results, or None when it failed (then its part is planned here again)."""
    if child.status is not None:
        return None
    _, child.status = os.waitpid(child.pid, 0)
    if child.status != 0:
        return None
    import pickle  # loaded by map_in_order before the fork

    os.lseek(child.answers, 0, os.SEEK_SET)
    with os.fdopen(child.answers, "rb", closefd=False) as answers:
        try:
            return [pickle.load(answers) for _ in range(count)]  # noqa: S301 - our own child's bytes
        except Exception:  # noqa: BLE001 - planned here again
            return None

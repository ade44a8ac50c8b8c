"""Faults injected per request into the loopback git server and the fake GitHub/GitLab.

Every scenario runs `bumper bump --repo` as CI does (a subprocess with the canary token) while
one fault kind hits one request position (counted per server from the start of the run), then
checks, whatever happened:

- the run either succeeded, or failed with exit 1 and exactly one `bumper: error:` line;
- at most one open PR for the bot branch;
- the bot branch, if it exists, is one commit on a commit of main whose changed lines are only
  the image lines, all holding one intended tag;
- a successful run left the PR describing the branch (its title names the branch's tag);
- the canary token shows nowhere (outputs, PR text, commits, tree, recorded requests);
- a failed run is followed by a clean rerun that converges to the same end state.

Transient kinds (5xx, 429, secondary rate limits, resets, truncated responses, lost responses)
must be survived; fatal kinds (401, a token revoked mid-run) must fail cleanly. Scenarios run
several at a time in threads (each in its own world) to keep the module fast on 2 cores.

The totals land in `reliability_faults.json` in the pytest base temp directory (and in
`$BUMPER_RELIABILITY_DIR` when set) and are printed at the end (testing/summaries.py, also across
pytest-xdist workers); docs/reliability.md quotes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testing import fake_github, fake_gitlab, repos, summaries
from testing.canary import assert_no_canary
from testing.fake_provider import AfterApply, PullRecord
from testing.git_server import RequestInfo
from testing.invariants import assert_at_most_one_pr, assert_bot_branch_sane, assert_one_stderr_line
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, REPO_PATH, World, make_world

IMAGE = EXAMPLE_IMAGE
BRANCH = EXAMPLE_BRANCH
FIRST, SECOND, HIGHER = "v1.2.3", "v1.3.0", "v1.4.0"
EXPECTED_LINES = EXAMPLE_LINES
ROTATED = "ghp_ROTATEDrotated0123456789abcdefROTATED7"  # noqa: S105 - the token after "rotation"
WORKERS = int(os.environ.get("BUMPER_FAULT_WORKERS", "8"))

# Fault kinds. Git: an HTTP status, "reset" (RST, no answer) or "truncate" (served, body cut
# halfway: for a push, the push is applied and the answer lost). API: see _api_answer.
GIT_TRANSIENT = ("500", "502", "503", "429", "reset", "truncate")
API_TRANSIENT_COMMON = ("500", "502", "503", "429", "429-retry-after", "reset", "lost-reset", "lost-502")
API_TRANSIENT_GITHUB = ("secondary", "secondary-retry-after")
FATAL = ("401", "token-revoked")
EVENTS = (
    "bot-moved-foreign",
    "bot-moved-higher",
    "base-moved",
    "bot-deleted-pr-merged",
    "bot-moves-every-push",
)


# -- bookkeeping ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One bumper run with faults."""

    scenario: str
    provider: str
    kind: str
    target: str
    injected: int
    exit_code: int
    rerun: bool = False
    problems: list[str] = field(default_factory=list)


# -- fault hooks ------------------------------------------------------------------------------


class Injector:
    """Installs one fault kind at one position of one server and counts what it injected.

    Positions count that server's requests from the start of the run. The "moving" kinds
    (EVENTS) instead act on the Nth push (its `info/refs?service=git-receive-pack`), as another
    run or a person pushing at that moment would.
    """

    def __init__(self, world: World, target: str, kind: str, position: int, times: int = 1) -> None:
        self.world, self.target, self.kind = world, target, kind
        self.position, self.times = position, times
        self.injected = 0
        self.seen = 0
        self.moved: str | None = None  # the person's commit of "bot-moved-foreign"
        self.lock = threading.Lock()
        if target == "git":
            world.git.fault = self._git
        else:
            world.host.fault = self._api

    def _hit(self) -> bool:
        with self.lock:
            n = self.seen
            self.seen += 1
            if self.position <= n < self.position + self.times:
                self.injected += 1
                return True
            return False

    def _revoke(self) -> None:
        self.world.git.token = ROTATED
        self.world.host.token = ROTATED

    def _git(self, info: RequestInfo) -> Any:
        if self.kind in EVENTS:
            if info.method == "GET" and info.query == "service=git-receive-pack" and self._hit():
                self._move()
            return None
        if not self._hit():
            return None
        if self.kind == "token-revoked":
            self._revoke()
            return None  # served with the old token, now refused: a genuine 401
        if self.kind in ("reset", "truncate"):
            return self.kind
        return int(self.kind)

    def _move(self) -> None:
        world, bare = self.world, self.world.bare
        main = world.branch_sha("main")
        if self.kind == "bot-moved-foreign":  # a person pushed a fixup onto the bot branch
            parent = world.branch_sha(BRANCH) or main
            note = f"a person's fixup {self.injected}\n".encode()
            self.moved = repos.add_commit(bare, BRANCH, {"NOTES.md": note}, message="fixup", parent=parent)
        elif self.kind in ("bot-moved-higher", "bot-moves-every-push"):  # another run won the race
            # the every-push mover races with tags below the run's own, so it never adopts them
            tag = HIGHER if self.kind == "bot-moved-higher" else f"v1.2.{10 + self.injected}"
            files = {
                p: (world.read("main", p) or b"").replace(b"v1.2.0", tag.encode()) for p, _ in EXPECTED_LINES
            }
            repos.add_bot_commit(bare, BRANCH, files, message=f"Bump {IMAGE}:{tag}", parent=main)
        elif self.kind == "base-moved":  # someone merged something else into main
            repos.add_commit(bare, "main", {"README.md": b"unrelated change\n"}, message="docs")
        elif self.kind == "bot-deleted-pr-merged":  # the PR was merged and its branch deleted
            repos.git("update-ref", "-d", f"refs/heads/{BRANCH}", cwd=bare)
            with world.host.lock:
                for rec in world.host.pulls:
                    if rec.head == BRANCH and rec.state == "open":
                        rec.state = "merged" if world.provider == "gitlab" else "closed"
        else:
            raise AssertionError(self.kind)

    def _api(self, req: Any) -> Any:
        if not self._hit():
            return None
        if self.kind == "token-revoked":
            self._revoke()
            return None
        return _api_answer(self.world.provider, self.kind)


def _api_answer(provider: str, kind: str) -> Any:
    host = fake_github if provider == "github" else fake_gitlab
    if kind in ("500", "502", "503"):
        return host.server_error(int(kind))
    if kind == "429":
        return host.too_many_requests(None)
    if kind == "429-retry-after":
        return host.too_many_requests(1)
    if kind == "secondary":
        return fake_github.secondary_rate_limit(None)
    if kind == "secondary-retry-after":
        return fake_github.secondary_rate_limit(1)
    if kind == "reset":
        return "reset"
    if kind == "lost-reset":
        return AfterApply("reset")
    if kind == "lost-502":
        return AfterApply(host.server_error(502))
    if kind == "401":
        return 401, {}, {"message": "Bad credentials" if provider == "github" else "401 Unauthorized"}
    raise AssertionError(kind)


# -- one scenario -----------------------------------------------------------------------------


def _bump(world: World, tag: str, **env: str) -> subprocess.CompletedProcess[str]:
    return world.run(
        "bump",
        f"{IMAGE}:{tag}",
        "--output",
        "json",
        "--label",
        "deps",
        "--reviewer",
        "alice",
        timeout=180,
        **env,
    )


def seed_bot_branch(world: World, tag: str, *, pr: bool = True) -> str:
    """What an earlier run bumping to `tag` left: the bot branch (one commit on main) and,
    with `pr`, its open PR. Built directly, so an `update` scenario costs one bumper run."""
    main = world.branch_sha("main")
    files = {p: (world.read("main", p) or b"").replace(b"v1.2.0", tag.encode()) for p, _ in EXPECTED_LINES}
    sha = repos.add_bot_commit(world.bare, BRANCH, files, message=f"Bump {IMAGE}:{tag}", parent=main)
    if pr:
        numbers = [p.number for p in world.host.pulls]
        record = PullRecord(
            REPO_PATH,
            max(numbers, default=0) + 1,
            f"Bump {IMAGE}:{tag}",
            f"Bumps {IMAGE}:{tag}.\n\n<!-- bumper:managed images={IMAGE}:{tag} -->",
            BRANCH,
            "main",
            labels=["deps"],
            reviewers=["alice"],
        )
        with world.host.lock:
            world.host.pulls.append(record)
    return sha


def _prepare(world: World, phase: str) -> None:
    """`open`: nothing exists yet. `update`: an earlier run opened the PR at FIRST."""
    if phase == "update":
        seed_bot_branch(world, FIRST)


def check_end_state(
    world: World,
    proc: subprocess.CompletedProcess[str],
    want: str,
    allowed: set[str],
    extra_secrets: tuple[str, ...] = (),
) -> list[str]:
    """Every invariant of the module docstring; returns the problems found (empty: fine)."""
    problems: list[str] = []

    def check(what: str, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except AssertionError as exc:
            problems.append(f"{what}: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported, not raised, so all scenarios report
            problems.append(f"{what}: {type(exc).__name__}: {exc}")
        return None

    if proc.returncode != 0:
        check("one stderr line", lambda: assert_one_stderr_line(proc))
    elif proc.stderr.strip() and "Traceback" in proc.stderr:
        problems.append(f"traceback on success: {proc.stderr[-300:]}")
    pr = check("at most one PR", lambda: assert_at_most_one_pr(world, BRANCH))
    held = check(
        "bot branch",
        lambda: assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags=allowed),
    )
    if proc.returncode == 0 and not problems:
        if held != want:
            problems.append(f"success, but the branch holds {held}, want {want}")
        if pr is None:
            problems.append("success, but no open PR")
        elif want not in pr.title:  # type: ignore[attr-defined]
            problems.append(f"success, but the PR title {pr.title!r} does not name {want}")  # type: ignore[attr-defined]
    check("canary", lambda: assert_no_canary(world, proc, extra=(ROTATED, *extra_secrets)))
    return problems


def check_blocked(
    world: World, proc: subprocess.CompletedProcess[str], moved: str | None, waiting: str | None
) -> list[str]:
    """A person's commit on the bot branch: left exactly as it is, status `blocked`, one warning
    line, and (with an open PR) one comment naming the image that waits."""
    problems = []
    if proc.returncode != 0:
        return [f"exit {proc.returncode}: {proc.stderr.strip()}"]
    if json.loads(proc.stdout)["status"] != "blocked":
        problems.append(f"status {json.loads(proc.stdout)['status']}, want blocked")
    lines = proc.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("bumper: warning: ") or BRANCH not in lines[0]:
        problems.append(f"want one warning line naming {BRANCH}, got {proc.stderr!r}")
    if moved is None or world.branch_sha(BRANCH) != moved:
        problems.append("the person's commit is no longer the tip of the bot branch")
    pr = assert_at_most_one_pr(world, BRANCH)
    comments = list(pr.comments) if pr is not None else []  # type: ignore[attr-defined]
    if waiting is None and comments:
        problems.append(f"a comment without a PR to wait on: {comments}")
    if waiting is not None and (len(comments) != 1 or f"{IMAGE}:{waiting}" not in comments[0]):
        problems.append(f"want one PR comment naming {IMAGE}:{waiting}, got {comments}")
    try:
        assert_no_canary(world, proc, extra=(ROTATED,))
    except AssertionError as exc:
        problems.append(f"canary: {exc}")
    return problems


def run_scenario(
    root: Path, provider: str, phase: str, target: str, kind: str, position: int, times: int = 1
) -> Outcome:
    name = f"{provider}-{phase}-{target}-{kind}-at{position}x{times}"
    started = time.time()
    asked = FIRST if phase == "open" else SECOND
    want = HIGHER if kind == "bot-moved-higher" else asked
    allowed = {FIRST, want} if phase == "update" else {want}
    must_fail = times >= 3 or kind == "bot-moves-every-push"
    try:
        with make_world(root / name, provider) as world:
            _prepare(world, phase)
            inj = Injector(world, target, kind, position, times)
            proc = _bump(world, asked)
            world.git.fault = None
            world.host.fault = None
            outcome = Outcome(name, provider, kind, target, inj.injected, proc.returncode)
            if kind == "bot-moves-every-push":  # the branch is the mover's; only the line counts
                try:
                    assert_one_stderr_line(proc)
                except AssertionError as exc:
                    outcome.problems.append(f"one stderr line: {exc}")
            elif kind == "bot-moved-foreign":
                waiting = asked if phase == "update" else None
                outcome.problems += check_blocked(world, proc, inj.moved, waiting)
            else:
                outcome.problems += check_end_state(world, proc, want, allowed)
            if kind in FATAL or must_fail:
                pass
            elif proc.returncode != 0:
                outcome.problems.append(f"a transient fault was not survived: {proc.stderr.strip()}")
            if must_fail and proc.returncode == 0:
                outcome.problems.append("a fault that never clears ended in success")
            if (proc.returncode != 0 or kind == "base-moved") and kind != "bot-moved-foreign":
                # The next CI run (with a valid token, the fault gone) converges.
                outcome.rerun = True
                token = ROTATED if world.git.token == ROTATED else CANARY
                again = _bump(world, want, BUMPER_TOKEN=token)
                if again.returncode != 0:
                    outcome.problems.append(f"the rerun failed: {again.stderr.strip()}")
                outcome.problems += [f"rerun: {p}" for p in check_end_state(world, again, want, {want})]
                if kind == "base-moved" and repos.commit_info(world.bare, BRANCH)["parents"] != (
                    world.branch_sha("main")
                ):
                    outcome.problems.append("rerun: the bot branch was not rebuilt on the new main")
            if inj.injected == 0:
                outcome.problems.append("no fault was injected (position past the end of the run)")
    except Exception:  # noqa: BLE001
        outcome = Outcome(name, provider, kind, target, 0, -1, problems=[traceback.format_exc()])
    summaries.record("reliability_faults", {**asdict(outcome), "started": started, "ended": time.time()})
    return outcome


def run_all(root: Path, jobs: list[tuple[Any, ...]]) -> None:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(lambda job: run_scenario(root, *job), jobs))
    bad = [o for o in outcomes if o.problems]
    assert not bad, f"{len(bad)} of {len(outcomes)} scenarios broke an invariant:\n" + "\n".join(
        f"- {o.scenario} (exit {o.exit_code}): " + " | ".join(o.problems) for o in bad
    )


# Request positions of a fault-free run (per server, counted from 0), measured on the
# loopback world: "open" = clone (3) and the bot branch's ls-remote (2), which runs beside it,
# 0-4 in either order, push 5-6, API, post-check 7-8;
# "update" adds the bot branch fetch (5-7), push 8-9, post-check 10-11.
GIT_POSITIONS = {"open": range(9), "update": range(12)}
API_POSITIONS = {
    ("github", "open"): range(4),  # find, create, labels, reviewers
    ("gitlab", "open"): range(3),  # find, user lookup, create
    ("github", "update"): range(2),  # find, PATCH
    ("gitlab", "update"): range(2),  # find, PUT
}
PROVIDERS = ("github", "gitlab")


def test_git_faults_at_every_request(tmp_path: Path) -> None:
    """An HTTP error, a reset and a response cut halfway at every git request of a first run
    (clone, ls-remote, push, post-check) and of an update run (also the bot branch fetch, the
    leased push over the old commit): survived. 500/502/429 at the clone and at the push.

    On one host: the git requests, their order and bumper's git code are the same whatever the
    host (the token goes to git the same way for GitHub and GitLab), and each host's API after a
    survived git fault is the undisturbed run's. The git faults that meet the host's API (x2,
    x99, a token revoked or a branch moved at the push) run on both hosts below."""
    provider = "github"
    jobs: list[tuple[Any, ...]] = [
        (provider, "open", "git", k, p) for k in ("503", "reset", "truncate") for p in GIT_POSITIONS["open"]
    ]
    # The update run's own requests: bot branch fetch 5-7, push over the old commit 8-9, check 10-11.
    jobs += [(provider, "update", "git", k, p) for k in ("reset", "truncate") for p in range(5, 12)]
    jobs += [(provider, "update", "git", "503", 5)]
    jobs += [(provider, "open", "git", k, p) for k in ("500", "502", "429") for p in (0, 5)]
    run_all(tmp_path, jobs)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_api_faults_at_every_request(tmp_path: Path, provider: str) -> None:
    """Each transient API fault kind (5xx, 429 with/without Retry-After, GitHub secondary rate
    limits, resets, an applied request whose answer is lost) at each API request of a first
    run and of an update run: survived, one PR."""
    kinds = ("502", "429", "429-retry-after", "reset", "lost-reset", "lost-502")
    kinds += API_TRANSIENT_GITHUB if provider == "github" else ()
    jobs: list[tuple[Any, ...]] = []
    for phase in ("open", "update"):
        jobs += [(provider, phase, "api", k, p) for k in kinds for p in API_POSITIONS[(provider, phase)]]
    jobs += [(provider, "open", "api", k, p) for k in ("500", "503") for p in (0, 1)]
    run_all(tmp_path, jobs)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_two_faults_in_a_row_are_still_within_the_retries(tmp_path: Path, provider: str) -> None:
    """The retry of a failed request fails too: still survived (the retries are bounded, > 2)."""
    jobs: list[tuple[Any, ...]] = [
        (provider, "open", "git", k, p, 2) for k in ("503", "reset") for p in (0, 5)
    ]
    jobs += [(provider, "open", "api", k, p, 2) for k in ("502", "lost-reset") for p in (0, 1)]
    run_all(tmp_path, jobs)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_expired_or_revoked_token_fails_in_one_line_and_a_rerun_converges(
    tmp_path: Path, provider: str
) -> None:
    """A 401 answer, or the token rotated mid-run (every later request refused): exit 1 with
    one line (or success when only a cosmetic extra was refused), never half-done."""
    jobs: list[tuple[Any, ...]] = [(provider, "open", "git", "token-revoked", p) for p in (0, 3, 5, 7)]
    jobs += [(provider, "update", "git", "token-revoked", p) for p in (5, 8)]
    jobs += [(provider, "open", "git", "401", p) for p in (0, 5)]
    for phase in ("open", "update"):
        jobs += [(provider, phase, "api", k, p) for k in FATAL for p in API_POSITIONS[(provider, phase)]]
    run_all(tmp_path, jobs)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_branches_moving_under_the_run(tmp_path: Path, provider: str) -> None:
    """At the moment of the push: a person pushed to the bot branch (lease fails, the attempt
    restarts, finds a commit bumper did not make and leaves the branch alone: `blocked`);
    another run pushed a newer tag (never backwards: the result holds it); main moved (the push
    stands on the old main, the next run rebuilds on the new one); the PR was merged and its
    branch deleted (a new branch and PR). A branch other runs move at every push ends in one
    error line after the bounded attempts."""
    jobs: list[tuple[Any, ...]] = [
        (provider, phase, "git", kind, 0)
        for phase in ("open", "update")
        for kind in ("bot-moved-foreign", "bot-moved-higher", "base-moved")
    ]
    jobs += [(provider, "update", "git", "bot-deleted-pr-merged", 0)]
    if provider == "github":
        jobs += [(provider, "update", "git", "bot-moves-every-push", 0, 99)]
    run_all(tmp_path, jobs)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_persistent_faults_end_in_one_line_within_bounded_retries(tmp_path: Path, provider: str) -> None:
    """A fault that never clears: bounded retries, then exit 1 with one line, nothing half-done."""
    jobs: list[tuple[Any, ...]] = [
        (provider, "open", "git", "503", 0, 99),  # the clone never works
        (provider, "open", "git", "reset", 5, 99),  # the push never gets through
        (provider, "open", "api", "502", 1, 99),  # the create never answers
        (provider, "update", "api", "429", 0, 99),  # rate-limited for good
    ]
    if provider == "github":
        jobs.append((provider, "open", "api", "secondary", 0, 99))
    started = time.monotonic()
    run_all(tmp_path, jobs)
    assert time.monotonic() - started < 120


def test_the_checks_catch_what_they_guard_against(tmp_path: Path) -> None:
    """The invariants and the canary scan fail on a broken end state (so a pass means something)."""
    with make_world(tmp_path / "w", "github") as world:
        main = world.branch_sha("main")
        seed_bot_branch(world, FIRST)
        assert assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={FIRST}) == FIRST
        with pytest.raises(AssertionError, match="holds tags"):
            assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={SECOND})
        repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"x\n"})  # two commits above main
        with pytest.raises(AssertionError):
            assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={FIRST})
        values = world.read("main", "charts/api/values.yaml") or b""
        wrong = values.replace(b"replicaCount: 1", b"replicaCount: 9")
        repos.add_commit(world.bare, BRANCH, {"charts/api/values.yaml": wrong}, parent=main)
        with pytest.raises(AssertionError, match="changes lines"):
            assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={FIRST})
        right = {
            p: (world.read("main", p) or b"").replace(b"v1.2.0", FIRST.encode()) for p, _ in EXPECTED_LINES
        }
        repos.add_commit(world.bare, BRANCH, right, parent=main)  # right lines, not bumper's commit
        with pytest.raises(AssertionError, match="trailers"):
            assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={FIRST})
        seed_bot_branch(world, FIRST)  # a second open PR for the branch
        with pytest.raises(AssertionError, match="2 open PRs"):
            assert_at_most_one_pr(world, BRANCH)
        assert_no_canary(world)
        world.host.pulls[0].body += f"\n{CANARY}"
        with pytest.raises(AssertionError, match="PR #1 body"):
            assert_no_canary(world)
        world.host.pulls[0].body = ""
        repos.git("update-ref", f"refs/heads/x-{CANARY}", "main", cwd=world.bare)
        repos.git("pack-refs", "--all", cwd=world.bare)  # a packed ref name is read too
        with pytest.raises(AssertionError, match="ref names"):
            assert_no_canary(world)
        repos.git("update-ref", "-d", f"refs/heads/x-{CANARY}", cwd=world.bare)
        repos.add_commit(world.bare, "gone", {"leak.txt": CANARY.encode()})
        repos.git("update-ref", "-d", "refs/heads/gone", cwd=world.bare)  # an object a push left behind
        with pytest.raises(AssertionError, match="served repository"):
            assert_no_canary(world)
        repos.git("prune", "--expire=now", cwd=world.bare)
        assert_no_canary(world)
        repos.add_commit(world.bare, "main", {"leak.txt": CANARY.encode()})
        with pytest.raises(AssertionError, match="served repository"):
            assert_no_canary(world)

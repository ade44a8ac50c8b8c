"""The remote flow: clone, rewrite, commit on the bot branch, push, open or update the PR.

Every run converges: the bot branch ends as exactly one commit on the current base holding,
per image, the highest version any run asked for, and the PR text describes that commit.
A push races other runs through --force-with-lease; a lost race restarts the attempt.

One attempt is four steps, each in a module of this package: clone (clone.py: the base,
narrowed to the files that mention an image), plan (planning.py: the edits), never backwards
(branch.py: hold to what the bot branch already has), deliver (push.py: one commit on the
remote; direct.py: the commit-mode references straight onto the base), then the pull request.
This module runs the attempts and is the one place their BumpResult is built.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bumper.changes import commit_message, pr_text, read_trailers, template_values
from bumper.ci.provenance import TRAILER_BUILD, TRAILER_SOURCE_COMMIT, provenance_trailers
from bumper.delivery.background import Started
from bumper.delivery.bot_branch import (
    BotBranch,
    Obstacle,
    blocked,
    foreign_commits,
    left_empty,
    not_own,
    other_images,
    retargeted,
    retargeted_from,
)
from bumper.delivery.deploy_link import deploy_compare
from bumper.delivery.pull_request import put_back_text, shared_head_note, sync_pull_request
from bumper.delivery.signing import signing_config
from bumper.errors import BumperError, ConfigError, VerifyError, WorkspaceError
from bumper.git.clone import drop_work_tree
from bumper.git.errors import PushRejected
from bumper.git.ownership import PROMOTE_TO_TRAILER, images_trailer
from bumper.git.read import commit_shape, start_branch_read
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions, BumpResult, Status
from bumper.plan.tree import TreePlan
from bumper.preflight import RemoteSetup, check_remote
from bumper.providers import registry
from bumper.providers.api import FollowsPullRequests, PullRequestSpec, text_limits
from bumper.remote.branch import (
    branch_image_keys,
    expected_bot_branches,
    find_bot_branch,
    never_backwards,
    promote_target,
    refuse_if_base_moved,
)
from bumper.remote.clone import Base, clone_base, repo_git
from bumper.remote.direct import PUSHED_COMMIT, after_push, commit_to_base
from bumper.remote.naming import commit_images
from bumper.remote.planning import plan_clone, planned_images, verify
from bumper.remote.push import PUSHED_BRANCH, check_still_current, deliver, dry_run_note, pushed_branch_note
from bumper.remote.run import RemoteRun, provider_of
from bumper.retry import retry

MAX_ATTEMPTS = 6
UP_TO_DATE_NOTE = "the base branch already has these versions"


def bump_repo(options: BumpOptions, env: Mapping[str, str], setup: RemoteSetup | None = None) -> BumpResult:
    """Run the remote flow, retrying when another run moved the bot branch meanwhile; `setup`:
    check_remote's answer when the caller already asked it."""
    provider_name, token, settings = setup or check_remote(options, env)
    # The host's SDK is imported beside the clone, not after it.
    loading = (
        Started(registry.spec_for(provider_name).import_ahead) if provider_name != "none" and token else None
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bumper-") as tmp, signing_config(env) as signing:
            # With --commit-via api the host signs what its API makes; the local commit stays here.
            run = RemoteRun(
                options, provider_name, token, settings, env, signing if options.commit_via == "git" else []
            )
            _refuse_base_as_branch(options, None)
            carried: list[tuple[TreePlan, dict[str, str]]] = []  # a direct commit already pushed
            try:
                result = retry(
                    lambda n: _attempt(run, Path(tmp) / str(n), carried),
                    attempts=MAX_ATTEMPTS,
                    retry_on=lambda exc: isinstance(exc, PushRejected),
                    wait=lambda n: random.uniform(0.05, 0.3) * (n + 1),  # noqa: S311 - jitter only
                )
            except PushRejected as exc:
                raise after_push(_kept_moving(exc), carried[0][1] if carried else None) from None
            return _follow(run, result) if options.wait == "merged" else result
    finally:
        if loading is not None:
            loading.settle(None)  # a failure before the SDK was needed must not exit mid-import


def _follow(run: RemoteRun, result: BumpResult) -> BumpResult:
    """--wait merged: the PR this run opened or updated, followed to its end (bumper.delivery.wait)."""
    from bumper.delivery.wait import follow

    if result.pull_request is None or run.options.dry_run:
        return result
    provider = provider_of(run)
    assert isinstance(provider, FollowsPullRequests)  # check_remote refused any other
    return follow(provider, result, run.options.wait_timeout, scale=run.settings.backoff)


def _kept_moving(exc: PushRejected) -> WorkspaceError:
    """Every attempt lost its race: say which branch kept moving, and what to do."""
    if exc.base is not None:
        return WorkspaceError(
            f"the base branch {exc.base} kept moving during {MAX_ATTEMPTS} attempts: each time, "
            "someone pushed to it between bumper's read and its push of the direct commit "
            "(mode: commit), which never force-pushes; rerun when pushes to "
            f"{exc.base} are quieter, or let these paths go through a pull request (mode: pr)"
        )
    return WorkspaceError(
        f"the bot branch kept moving during {MAX_ATTEMPTS} attempts; other runs are pushing to it, try again"
    )


def _refuse_base_as_branch(options: BumpOptions, base: str | None) -> None:
    """`--branch` naming the base branch is refused before anything is written: with --base,
    before any network request; else right after the clone, which names the default branch
    (a separate `ls-remote` before it would cost every --branch run a round trip)."""
    if options.branch is not None and options.branch == (options.base or base):
        raise ConfigError(
            f"--branch {options.branch!r} is the base branch; bumper pushes only to a branch of its own"
        )


def _attempt(run: RemoteRun, dest: Path, carried: list[tuple[TreePlan, dict[str, str]]]) -> BumpResult:
    """One try from a fresh clone (_attempt_on). When the bot branch's name is known before the
    clone, git asks the remote for that branch while the clone runs (one round trip less on
    the way; not over SSH); that ls-remote never outlives the try."""
    names, git = expected_bot_branches(run.options), repo_git(run)
    # Not over SSH: ssh may ask the terminal for a passphrase or a host key, one at a time.
    early = None if not names or git.scheme == "ssh" else (names, start_branch_read(git, names, dest.parent))
    try:
        base = clone_base(run, dest)
        base.early_read = early
        return _attempt_on(base, run, carried)
    finally:
        if early is not None:
            early[1].stop()  # ended already when its answer was read; else it is not needed


def _attempt_on(base: Base, run: RemoteRun, carried: list[tuple[TreePlan, dict[str, str]]]) -> BumpResult:
    """The commit-mode references go straight to the base, the pr-mode ones through the bot
    branch and its PR. A PushRejected anywhere restarts the try."""
    _refuse_base_as_branch(run.options, base.cloned.base)
    direct, commit = commit_to_base(base, run)
    if commit is not None:
        carried[:] = [(direct, commit)]
    elif carried and not direct.changes:
        direct, commit = carried[0]  # pushed by an earlier try of this run, then a retry
    try:
        plan = plan_clone(base, run, list(run.options.refs), dict(run.options.image_policies), mode="pr")
        if plan.edits:
            result = _through_pull_request(base, run, plan)
        else:
            result = BumpResult(Status.UP_TO_DATE, plan, branch=None, notes=[UP_TO_DATE_NOTE])
    except VerifyError as exc:
        if commit is None:
            raise
        # The commit-mode half passed its own check and is on the base: say so.
        pushed = f"the direct commit {commit['sha'][:12]} to {commit['branch']}"
        raise after_push(VerifyError(exc.problem, verified=exc.verified, pushed=pushed), commit) from None
    except PushRejected:
        raise  # the attempt starts again; the pushed commit is carried
    except BumperError as exc:
        raise after_push(exc, commit) from None
    except BaseException as exc:  # Ctrl-C, SIGTERM: the CLI's line names the commit too
        if commit is not None:
            setattr(exc, PUSHED_COMMIT, commit)  # noqa: B010 - KeyboardInterrupt has no such field
        raise
    return _with_commit(result, direct, commit, run.options.dry_run)


def _through_pull_request(base: Base, run: RemoteRun, plan: TreePlan) -> BumpResult:
    """The pr-mode half: find the bot branch, leave it alone when its PR now targets another
    base or the branch is not bumper's, hold to the versions it has, then deliver."""
    bot = find_bot_branch(base, run, plan)
    if bot.pull_request is not None and retargeted_from(bot.pull_request, base.cloned.base):
        return _left_alone(base, run, bot, plan, retargeted(bot.pull_request, base.cloned.base))
    # A branch of bumper's own naming left at a commit of the base holds nobody's work: fill it.
    empty = bot.sha is not None and run.options.branch is None and left_empty(base.cloned, bot.sha)
    if bot.sha is not None and not empty:
        problem = not_own(base.cloned, bot.sha, bot.name, _named_after(run, plan))
        if problem is not None:
            refuse_if_base_moved(base.cloned)  # judged against a base that is still current
            return _left_alone(base, run, bot, plan, foreign_commits(problem))
        pending = _pending_elsewhere(base, run, bot)
        if pending is not None:
            return _left_alone(base, run, bot, plan, pending)
    plan, images, raised = never_backwards(base, run, bot, plan)
    plan = plan.verified_by(verify(base, run, plan, images))
    return _deliver_pull_request(base, run, bot, plan, images, raised)


def _left_alone(base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan, why: Obstacle) -> BumpResult:
    """`blocked`: nothing pushed, no PR opened; said in one line and, once, on the PR."""
    options = run.options
    images = planned_images(list(options.refs), dict(options.image_policies), plan)
    named = options.branch is not None
    left = blocked(base.cloned, bot, plan, images, why, named=named, dry_run=options.dry_run)
    return BumpResult(
        Status.BLOCKED, left.plan, branch=bot.name, pull_request=left.pull_request, notes=left.notes
    )


def _pending_elsewhere(base: Base, run: RemoteRun, bot: BotBranch) -> Obstacle | None:
    """A --branch several image sets share, whose open PR holds another set's bump (images
    this run does not name): this run's commit, made from the base, would drop it. A run naming
    them all (found in the tree or not any more), or a branch whose PR is closed (stale), goes on."""
    if run.options.branch is None or bot.pull_request is None or bot.sha is None:
        return None
    message = commit_shape(base.cloned, bot.sha)[0]
    others = commit_images(message) - {r.key for r in run.options.images}
    return other_images(bot.pull_request, others) if others else None


def _named_after(run: RemoteRun, plan: TreePlan) -> frozenset[str] | None:
    """The image set a bot branch of bumper's naming is for; None: --branch named it."""
    return None if run.options.branch is not None else branch_image_keys(run.options, plan)


def _deliver_pull_request(
    base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan, images: list[ImageRef], raised: bool
) -> BumpResult:
    """Deliver the plan to the bot branch, then open or update its PR; a dry run says what it
    would do. The branch is checked once more after the PR step: a newer run that moved it
    meanwhile restarts this one, so the PR text follows the branch."""
    options, cloned, provider = run.options, base.cloned, bot.provider
    kept = _kept_build(base, run, bot, images)  # every version the branch's: its build's
    values = template_values(
        [str(r) for r in images],
        plan.changes,
        bot.name,
        cloned.base,
        run.env,
        plan.verified,
        promoted_from=options.promoted_from or "",
        compare="" if options.dry_run else deploy_compare(cloned, plan.changes, run.env, kept),
        registry=options.registry_images,
    )
    if kept is not None:  # the PR names the build that brought the versions, as the commit does
        values["source"] = next((v for k, v in kept if k == TRAILER_BUILD), "")
        values["commit"] = next((v for k, v in kept if k == TRAILER_SOURCE_COMMIT), "")
    limits = text_limits(provider)
    title, body = pr_text(
        options.title, options.body, values, plan.changes, (limits.title, limits.body), utf16=limits.utf16
    )
    existing = bot.pull_request

    if options.dry_run:
        would = {"url": existing.url, "number": existing.number} if existing else None
        note = dry_run_note(base, run, bot, plan, title, body)
        return BumpResult(Status.DRY_RUN, plan, branch=bot.name, pull_request=would, notes=[note])

    # The image set the branch is for: a run of another set whose name reads alike keeps off it.
    named = images_trailer(branch_image_keys(options, plan))
    target = promote_target(options)  # a promotion's target: one whose branch reads alike keeps off
    promotes = [(PROMOTE_TO_TRAILER, target)] if target is not None else []
    trailers = [*provenance_trailers(images, plan.changes, run.env, kept), *promotes, named]
    message = commit_message(options.commit_message, values, plan.changes, trailers)
    # Once the commit exists nothing reads the checked-out files: they go during the push.
    clearing: list[Started[None]] = []
    try:
        commit, pushed = deliver(
            cloned,
            run,
            bot.name,
            plan,
            message,
            lease=bot.sha,
            provider=provider,
            committed=lambda: clearing.append(Started(lambda: drop_work_tree(cloned))),
        )
        try:
            return _after_push(base, run, bot, plan, (title, body), (commit, pushed), raised)
        except (BumperError, PushRejected):
            raise  # _after_push said what was pushed; a lost race starts the attempt again
        except BaseException as exc:  # Ctrl-C, SIGTERM: the CLI's line names the pushed branch
            if pushed:
                setattr(exc, PUSHED_BRANCH, _pushed_branch(bot, commit))
            raise
    finally:
        for started in clearing:
            started.settle(None)


def _after_push(
    base: Base,
    run: RemoteRun,
    bot: BotBranch,
    plan: TreePlan,
    text: tuple[str, str],
    pushed_commit: tuple[str, bool],
    raised: bool,
) -> BumpResult:
    """Open or update the PR once the branch holds the commit, then check the branch again."""
    options, cloned, provider = run.options, base.cloned, bot.provider
    commit, pushed = pushed_commit
    if provider is None:
        return BumpResult(Status.WRITTEN if pushed else Status.UP_TO_DATE, plan, branch=bot.name)
    try:
        wanted = _pull_request_spec(options, bot.name, cloned.base, *text)
        status, pr = sync_pull_request(
            provider, wanted, bot.pull_request, pushed=pushed, rules=base.rules, governing=plan.rules
        )
        if not pr.open:  # closed or merged after the lookup: the commit needs an open PR
            if bot.pull_request is not None and pr is not bot.pull_request:
                put_back_text(provider, pr, bot.pull_request)
            raise PushRejected(f"pull request #{pr.number} was closed while bumper pushed to {bot.name}")
        if retargeted_from(pr, cloned.base):  # retargeted meanwhile: its text follows the push that
            # landed; the next attempt leaves it alone (blocked)
            raise PushRejected(f"pull request #{pr.number} was retargeted while bumper pushed to {bot.name}")
        if pushed or status != "up-to-date":
            # An open PR not answered for since the push (its text needed no update): asked again.
            unasked = pushed and pr is bot.pull_request
            check_still_current(base, bot, commit if pushed else bot.sha, provider if unasked else None)
    except PushRejected:
        raise
    except BumperError as exc:
        if pushed:  # the branch holds the commit: say so, the rerun only does the PR step
            exc.message += f"; {pushed_branch_note(_pushed_branch(bot, commit))}"
        raise
    if raised and status == "up-to-date":
        plan = plan.without_changes()
    # What the host refused after the PR existed (e.g. a reviewer); and, after a push, the other
    # open PRs from the branch (a person's, into another base) that show it too.
    shared = shared_head_note(bot.pull_request) if pushed and bot.pull_request is not None else None
    return BumpResult(
        status,
        plan,
        branch=bot.name,
        pull_request={"url": pr.url, "number": pr.number},
        notes=[*pr.warnings, *([shared] if shared else [])],
        base=cloned.base,
    )


def _kept_build(
    base: Base, run: RemoteRun, bot: BotBranch, images: list[ImageRef]
) -> list[tuple[str, str]] | None:
    """The bot branch tip's trailers when this commit keeps the branch's versions of every
    image (never backwards: a later build pushed them first), so its build trailers name that
    build; None when the run brings a version of its own."""
    if bot.sha is None or not images or {str(r) for r in images} & {str(r) for r in run.options.images}:
        return None
    return read_trailers(commit_shape(base.cloned, bot.sha)[0])


def _pushed_branch(bot: BotBranch, commit: str) -> dict[str, str]:
    then = "updates" if bot.pull_request is not None else "opens"
    return {"branch": bot.name, "sha": commit, "then": then}


def _pull_request_spec(
    options: BumpOptions, branch: str, base: str, title: str, body: str
) -> PullRequestSpec:
    """The PR this run wants from `branch` into `base`: its text and what the command line adds."""
    return PullRequestSpec(
        head_branch=branch,
        base_branch=base,
        title=title,
        body=body,
        labels=options.labels,
        reviewers=options.reviewers,
        assignees=options.assignees,
        draft=options.draft,
        automerge=options.automerge,
    )


def _with_commit(
    result: BumpResult, direct: TreePlan, commit: dict[str, str] | None, dry_run: bool
) -> BumpResult:
    """One answer for both halves: the direct commit's changes first, `commit` set, and status
    `committed` when nothing went through a pull request."""
    # The direct half's skips (e.g. "downgrade": the base already holds a newer one) come first.
    changes = bool(direct.changes) or commit is not None
    plan = result.plan.after(direct, changes=changes)
    if not changes:
        return replace(result, plan=plan)
    status, notes = Status(result.status), list(result.notes)
    if commit is not None:
        notes.insert(0, f"committed {commit['sha'][:12]} to {commit['branch']}")
    if dry_run:
        status = Status.DRY_RUN
        notes.insert(0, f"would commit {len(direct.changes)} change(s) straight to the base")
    elif commit is not None and status == Status.UP_TO_DATE:
        status = Status.COMMITTED
        notes = [n for n in notes if n != UP_TO_DATE_NOTE]
    return replace(result, status=status, plan=plan, commit=commit, notes=notes)

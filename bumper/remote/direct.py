"""The direct-commit path (`mode: commit`): one commit pushed onto the base, without force."""

from __future__ import annotations

from bumper.changes import commit_message, template_values
from bumper.ci.provenance import provenance_trailers
from bumper.delivery.api_commit import refuse_names_not_utf8
from bumper.delivery.bot_branch import BotBranch, foreign_commits, not_own, not_owned_named
from bumper.errors import BumperError, VerifyError
from bumper.git.clone import Clone, fetch_objects
from bumper.git.errors import PushRejected
from bumper.git.read import remote_branch_sha, same_content
from bumper.plan.tree import TreePlan
from bumper.plan.write import write_all
from bumper.providers.api import ChecksAccess
from bumper.remote.branch import bot_branch_name, claim_bot_branch, refuse_if_base_moved
from bumper.remote.clone import Base
from bumper.remote.planning import plan_clone, planned_images, verify
from bumper.remote.push import deliver
from bumper.remote.run import RemoteRun, provider_of

PUSHED_COMMIT = "bumper_pushed_commit"  # on an interruption after the direct commit landed


def _check_before_direct_push(base: Base, run: RemoteRun) -> None:
    """Before the direct commit reaches the base, ask everything the pull-request half will need
    that can be asked without writing: the bot branch's name and whether a branch is in its way
    (ls-remote), its open PR (which checks the API URL and the token), whether a branch without
    one is stale (its closed PRs, read over many pages) or, named by --branch, not bumper's
    (exit 2), whether --commit-via api can send its files' names, what the token may do
    (bumper.providers.api.ChecksAccess), and, last (it renders),
    --verify on the PR half's edits, which the run after the push reuses. A run that fails here
    has pushed nothing."""
    options = run.options
    pr_half = plan_clone(base, run, list(options.refs), dict(options.image_policies), mode="pr")
    if not pr_half.edits:
        return
    if options.commit_via == "api":
        refuse_names_not_utf8(edit.relpath for edit in pr_half.edits)
    name, sha = claim_bot_branch(base, run, pr_half, bot_branch_name(run, base.cloned, pr_half))
    provider = None if run.provider_name == "none" else provider_of(run)
    pull = None if provider is None else provider.find_pull_request(name, base.cloned.base)
    BotBranch(name, sha, provider, pull).stale(base.cloned.base)
    if run.options.branch is not None and sha is not None and pull is None:
        _refuse_named_if_not_own(base, name, sha)
    if isinstance(provider, ChecksAccess):
        provider.check_access()
    verify(base, run, pr_half, planned_images(list(options.refs), dict(options.image_policies), pr_half))


def _refuse_named_if_not_own(base: Base, name: str, sha: str) -> None:
    """--branch naming a branch bumper does not own and no PR from it: the pull-request half
    would refuse it (exit 2), so it is refused before the direct commit, as it would be after."""
    problem = not_own(base.cloned, sha, name)
    if problem is not None:
        refuse_if_base_moved(base.cloned)  # judged against a base that is still current
        raise not_owned_named(name, foreign_commits(problem))


def commit_to_base(base: Base, run: RemoteRun) -> tuple[TreePlan, dict[str, str] | None]:
    """Plan and deliver the commit-mode references: one commit on the base, pushed without force.

    The plan reads the base as cloned, so a version the base already holds higher is skipped
    ("downgrade"): re-planned on every attempt, that is "never backwards" against the base. A
    base that moved since the clone rejects the push (PushRejected), and the caller starts the
    attempt again from a fresh clone. On a dry run the edits reach only the temporary clone, so
    the pull-request half plans on top of them as it would after the push.
    """
    options, cloned = run.options, base.cloned
    if not base.rules.may_commit():
        return TreePlan(), None  # planning would read and parse every file again for nothing
    plan = plan_clone(base, run, list(options.refs), dict(options.image_policies), mode="commit")
    if not plan.edits:
        return plan, None
    images = [*options.refs, *(r for r in options.images if r not in options.refs)]
    plan = plan.verified_by(verify(base, run, plan, images))
    if not options.dry_run:
        _check_before_direct_push(base, run)
    write_all(plan.edits)  # the pull-request half plans on top of these edits
    if options.dry_run:
        return plan, None
    values = template_values(
        [str(r) for r in images],
        plan.changes,
        cloned.base,
        cloned.base,
        run.env,
        promoted_from=options.promoted_from or "",
    )
    message = commit_message(
        options.commit_message, values, plan.changes, provenance_trailers(images, plan.changes, run.env)
    )
    provider = provider_of(run) if options.commit_via == "api" else None
    try:
        sha, _ = deliver(
            cloned, run, cloned.base, plan, message, lease=cloned.base_sha, onto_base=True, provider=provider
        )
    except PushRejected as exc:
        exc.base = cloned.base  # the base moved since the clone: the attempt starts again
        raise
    except BumperError as exc:
        raise after_push(exc, _made_anyway(cloned)) from None
    if options.commit_via == "api":
        fetch_objects(cloned, [sha])  # the host made it: the bot branch's commit builds on it here
    cloned.base_sha = sha  # the bot branch, if any, builds on this commit
    return plan, {"branch": cloned.base, "sha": sha}


def _made_anyway(cloned: Clone) -> dict[str, str] | None:
    """The direct commit, when the base holds it though its delivery failed: a host that made
    it and then answered 502 (GitHub's createCommitOnBranch behind a proxy), a push whose answer
    was lost. It is the base's new tip if that holds this run's tree on this run's parent."""
    try:
        local = cloned.git.out(
            ["rev-parse", "--verify", f"refs/heads/{cloned.base}^{{commit}}"], action="read"
        )
        tip = remote_branch_sha(cloned, cloned.base)
        if tip is None or tip == cloned.base_sha:
            return None
        if tip != local.strip():
            fetch_objects(cloned, [tip])
            if not same_content(cloned, local.strip(), tip):
                return None  # someone else's commit
    except BumperError:
        return None  # the failure's own line says enough
    return {"branch": cloned.base, "sha": tip}


def after_push(exc: BumperError, commit: dict[str, str] | None) -> BumperError:
    """`exc`, told as a failure after the direct commit `commit` reached the base: the line
    names that commit (it stays there) and JSON carries it as `commit`."""
    if commit is None or exc.commit is not None:
        return exc
    exc.commit = commit
    if not isinstance(exc, VerifyError):  # its own line already says what was pushed
        exc.message += f"; {pushed_note(commit)}"
    return exc


def pushed_note(commit: dict[str, str]) -> str:
    return (
        f"the direct commit {commit['sha'][:12]} was already pushed to {commit['branch']} and "
        "stays there (a rerun finds it and only does the rest)"
    )

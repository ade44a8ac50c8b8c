"""Where a --repo run's commit leaves this machine, and the checks around that push."""

from __future__ import annotations

from collections.abc import Callable

from bumper.delivery.api_commit import deliver_through_api
from bumper.delivery.background import Started
from bumper.delivery.bot_branch import BotBranch, retargeted_from
from bumper.delivery.pull_request import rewrites_text
from bumper.git.clone import Clone
from bumper.git.commit import commit_all
from bumper.git.errors import PushRejected
from bumper.git.push import push
from bumper.git.read import remote_branch_sha, same_content
from bumper.plan.tree import TreePlan
from bumper.preflight import no_pull_request
from bumper.providers.api import CommitsThroughApi, Provider
from bumper.remote.clone import Base
from bumper.remote.run import LOOKUP_SETTLE_SECONDS, RemoteRun


def deliver(
    cloned: Clone,
    run: RemoteRun,
    branch: str,
    plan: TreePlan,
    message: str,
    *,
    lease: str | None,
    onto_base: bool = False,
    provider: Provider | None = None,
    committed: Callable[[], object] | None = None,
) -> tuple[str, bool]:
    """Put the edits of `plan` on the remote `branch` as one commit on top of the base (made from
    the planned bytes; the work tree is not read): the one place a commit leaves this machine.
    Returns the commit's sha (on the remote) and whether the remote changed.

    Git commits locally and pushes, leased on `lease` (the tip this run fetched; None: the branch
    must not exist yet), or with `onto_base` without any force on top of the base. With
    --commit-via api, `provider`'s host makes that same commit instead (bumper/delivery/api_commit.py),
    each step conditional on the tip this run read. A branch that already holds exactly this
    tree on this parent is left as it is. `committed` is called once the local commit exists.
    """
    sha = commit_all(
        cloned,
        branch,
        message,
        *run.options.author,
        signing=run.signing,
        contents={e.relpath: e.new for e in plan.edits},
    )
    if committed is not None:
        committed()
    if not onto_base and lease is not None and same_content(cloned, sha, lease):
        return sha, False
    if run.options.commit_via == "api":
        assert isinstance(provider, CommitsThroughApi)  # check_remote refused any other
        author = run.options.author
        return deliver_through_api(cloned, provider, branch, sha, lease, author, direct=onto_base), True
    if onto_base:
        push(cloned, branch, cloned.base_sha, fast_forward_only=True, local_sha=sha)
        return sha, True
    push(cloned, branch, lease, local_sha=sha)
    return sha, True


PUSHED_BRANCH = "bumper_pushed_branch"  # on an interruption after the bot branch was pushed


def pushed_branch_note(pushed: dict[str, str]) -> str:
    """What a failure or an interruption after the bot branch's push says of it: it stays, and
    the rerun only does the pull request step."""
    return (
        f"branch {pushed['branch']} was already pushed with commit {pushed['sha'][:12]} and stays "
        f"there (a rerun finds it and {pushed['then']} the pull request)"
    )


def dry_run_note(base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan, title: str, body: str) -> str:
    """What the run would do to the bot branch and its PR. A branch already holding this commit
    (and a PR whose text needs no update) is left as it is, as the real run leaves it: the
    commit is made in the temporary clone only, unsigned, to compare its tree and parent."""
    options, cloned, existing = run.options, base.cloned, bot.pull_request
    edits = {e.relpath: e.new for e in plan.edits}
    holds = bool(edits) and bot.sha is not None
    if holds:
        assert bot.sha is not None
        holds = same_content(
            cloned, commit_all(cloned, bot.name, "dry run", *options.author, contents=edits), bot.sha
        )
    if bot.provider is None:
        if holds:
            return f"would leave {bot.name} as it is: it holds these changes"
        return f"would push {bot.name} (on {cloned.base}); {no_pull_request(options.provider)}"
    if existing is None:
        return f"would open a pull request from {bot.name} into {cloned.base}"
    if holds and not rewrites_text(existing, title, body, pushed=False):
        return (
            f"would leave {bot.name} and pull request #{existing.number} as they are: they hold these changes"
        )
    return f"would update a pull request from {bot.name} into {cloned.base}"


def check_still_current(base: Base, bot: BotBranch, sha: str | None, provider: Provider | None) -> None:
    """After the PR step, the branch still at `sha` and, asked of `provider` at the same time,
    the PR the lookup found still open; else the attempt starts again (PushRejected). A newer
    run that moved the branch: so the PR text follows it. A PR closed or merged between the
    lookup and the push: so the commit gets an open PR, not a closed one."""
    name, target = bot.name, base.cloned.base
    lookup = None
    if provider is not None and bot.pull_request is not None:
        lookup = Started(lambda: provider.find_pull_request(name, target))
    try:
        moved = remote_branch_sha(base.cloned, name) != sha
    except BaseException:
        if lookup is not None:
            lookup.settle(LOOKUP_SETTLE_SECONDS)
        raise
    if moved:
        if lookup is not None:
            lookup.settle(LOOKUP_SETTLE_SECONDS)
        raise PushRejected("the bot branch moved while the pull request was being updated")
    if lookup is not None and bot.pull_request is not None:
        now = lookup.answer()  # retargeted meanwhile: the next attempt leaves it alone
        if now is None or now.number != bot.pull_request.number or retargeted_from(now, target):
            raise PushRejected(
                f"pull request #{bot.pull_request.number} was closed while bumper pushed to {name}"
            )

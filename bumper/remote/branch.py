"""The bot branch of a --repo run: its name, tip and open PR, never moved backwards."""

from __future__ import annotations

import hashlib

from bumper.delivery.background import Started
from bumper.delivery.bot_branch import BotBranch, raised_to_branch
from bumper.errors import BumperError, ConfigError
from bumper.git.clone import Clone
from bumper.git.errors import GitError, PushRejected
from bumper.git.ownership import promote_to_key
from bumper.git.read import fetch_branch, remote_branch_sha, remote_default_branch, remote_heads
from bumper.git.refname import validate_branch_name
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions
from bumper.plan.promote import promote_branch
from bumper.plan.tree import TreePlan
from bumper.providers.api import Provider, PullRequest
from bumper.remote.clone import Base
from bumper.remote.naming import held_by_another_set, twin_name
from bumper.remote.planning import plan_clone, planned_images
from bumper.remote.run import LOOKUP_SETTLE_SECONDS, RemoteRun, provider_of


def expected_bot_branches(options: BumpOptions) -> tuple[str, ...]:
    """The names the bot branch may take when they can be known without the clone: --branch,
    else the default name of every image and its twin (bumper/remote/naming.py); a REF found
    nowhere changes them: then they are asked again. () when not known."""
    if options.branch is not None:
        return (options.branch,)
    if options.base is not None or options.promoted_from is not None:
        return ()  # named after the remote's default branch, or after the plan's images
    images = list({r.key: r for r in options.images}.values())
    name = default_bot_branch(images, None)
    names = (name, twin_name(name, (r.key for r in images)))
    try:
        for each in names:
            validate_branch_name(each)
    except BumperError:
        return ()
    return names


def find_bot_branch(base: Base, run: RemoteRun, plan: TreePlan) -> BotBranch:
    """Name the bot branch, fetch its tip if it exists, and look up its open PR.

    The PR lookup comes before any push: it checks the token and the API URL, and whether
    the bot branch is still under review (an open PR) or stale (closed or merged). It runs
    while git asks the remote for the branch (both are reads, one round trip each); a git
    failure is said first, as when they ran one after the other. A run that takes the default
    name's twin (claim_bot_branch) then looks up the twin's PR instead.
    """
    cloned = base.cloned
    name = bot_branch_name(run, cloned, plan)
    lookup = None
    if run.provider_name != "none":
        lookup = Started(lambda: _look_up_pull_request(run, name, cloned.base))
    try:
        used, sha = claim_bot_branch(base, run, plan, name)
    except BaseException:
        if lookup is not None:
            lookup.settle(LOOKUP_SETTLE_SECONDS)
        raise
    if lookup is not None and used != name:  # the default name's twin: its own PR
        lookup.settle(LOOKUP_SETTLE_SECONDS)
        lookup = Started(lambda: _look_up_pull_request(run, used, cloned.base))
    provider, existing = lookup.answer() if lookup is not None else (None, None)
    return BotBranch(used, sha, provider, existing)


def claim_bot_branch(base: Base, run: RemoteRun, plan: TreePlan, name: str) -> tuple[str, str | None]:
    """The branch this run delivers to and its tip as fetched (None: not on the remote).

    --branch is used as named. A name of bumper's own gives way to its twin when that twin
    exists, or when the branch of that name bumps another image set (bumper/remote/naming.py);
    both are asked in one ls-remote. Read, compare and lease against the commit actually
    fetched: a concurrent run may have moved the branch since ls-remote.
    """
    cloned = base.cloned
    if run.options.branch is not None:
        sha = bot_branch_sha(base, name, chosen=True)
        return name, None if sha is None else _fetch_bot_branch(cloned, name)
    keys = branch_image_keys(run.options, plan)
    target = promote_target(run.options)
    twin = twin_name(name, keys)
    heads = remote_heads(cloned, [name, twin], base.early_read_of((name, twin)))
    if heads[twin].sha is not None:
        twin_sha = _fetch_bot_branch(cloned, twin)
        # A promotion's twin may be another target's (--to spelled alike): then the name is asked.
        if target is None or not held_by_another_set(cloned, twin_sha, twin, keys, target):
            return twin, twin_sha
    if heads[name].checked() is None:
        return name, None
    sha = _fetch_bot_branch(cloned, name)
    if held_by_another_set(cloned, sha, name, keys, target):
        return twin, heads[twin].checked()  # None, or the branch in the twin's way is said
    return name, sha


def _look_up_pull_request(run: RemoteRun, branch: str, base: str) -> tuple[Provider, PullRequest | None]:
    provider = provider_of(run)
    return provider, provider.find_pull_request(branch, base)


def bot_branch_name(run: RemoteRun, cloned: Clone, plan: TreePlan) -> str:
    """--branch, else `bumper/<images>` named after the images `plan` found."""
    options = run.options
    name = options.branch
    if name is None:  # named after the images applied (a REF referenced nowhere is not)
        images = _named_images(options, plan)
        non_default = options.base and options.base != remote_default_branch(cloned)
        explicit_base = options.base if non_default else None
        if options.promoted_from is not None:  # a promotion never shares the bump runs' branch
            name = promote_branch(images[0], options.paths, explicit_base)
            name = _earlier_promote_branch(run, cloned, name, images[0]) if explicit_base else name
        else:
            name = default_bot_branch(images, explicit_base)
    validate_branch_name(name)
    if name == cloned.base:
        raise ConfigError(f"--branch {name!r} is the base branch; bumper pushes only to a branch of its own")
    return name


def promote_target(options: BumpOptions) -> str | None:
    """A promotion's Bumper-Promote-To value (its --to); None for a bump."""
    return promote_to_key(options.paths) if options.promoted_from is not None else None


def _earlier_promote_branch(run: RemoteRun, cloned: Clone, name: str, image: ImageRef) -> str:
    """`name`, or for a promotion into a non-default base whose PR an older bumper opened from
    the name without the base (`bumper/promote/<target>/<image>`), that branch while its PR is
    open into this base: updated in place, never opened twice. One more PR lookup, for such a
    promotion only."""
    if run.provider_name == "none":
        return name
    earlier = promote_branch(image, run.options.paths)
    found = provider_of(run).find_pull_request(earlier, cloned.base)
    return earlier if found is not None and found.base_branch == cloned.base else name


def _named_images(options: BumpOptions, plan: TreePlan) -> list[ImageRef]:
    return list({r.key: r for r in options.images if r.key in plan.found}.values())


def branch_image_keys(options: BumpOptions, plan: TreePlan) -> frozenset[str]:
    """The image set a bot branch of bumper's naming is for (its Bumper-Images trailer)."""
    return frozenset(r.key for r in _named_images(options, plan))


def bot_branch_sha(base: Base, branch: str, *, chosen: bool) -> str | None:
    """The bot branch's sha on the remote; a branch in its way (`bumper` for `bumper/app`) is
    said once, as bad input when --branch chose the name."""
    try:
        return remote_branch_sha(base.cloned, branch, base.early_read_of((branch,)))
    except GitError as exc:
        if exc.kind == "branch-conflict" and chosen:
            raise ConfigError(exc.message) from exc
        raise


def _fetch_bot_branch(cloned: Clone, branch: str) -> str:
    try:
        return fetch_branch(cloned, branch)
    except GitError as exc:
        if exc.kind == "branch-not-found":  # deleted since ls-remote (its PR merged): start over
            raise PushRejected("the bot branch was deleted meanwhile") from exc
        raise


def refuse_if_base_moved(cloned: Clone) -> None:
    """Start the attempt again (PushRejected) when the base moved since the clone: a bot branch
    another run rebuilt on the newer base looks, from the older clone, as if it were not on the
    base at all, and must not be reported as someone else's (one ls-remote, on that path only)."""
    if remote_branch_sha(cloned, cloned.base) != cloned.base_sha:
        raise PushRejected(f"the base branch {cloned.base} moved since the clone")


def never_backwards(
    base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan
) -> tuple[TreePlan, list[ImageRef], bool]:
    """While the bot branch is under review, a version it already holds higher wins over this
    run's: racing runs then only ever move the branch forward. A branch whose PR was closed
    or merged is stale, and the run starts again from the base.

    Returns the plan (made again when a version was raised), the images it applies, and
    whether any was raised.
    """
    refs, policies = list(run.options.refs), dict(run.options.image_policies)
    if bot.sha is None or run.options.allow_downgrade or bot.stale(base.cloned.base):
        return plan, planned_images(refs, policies, plan), False
    refs, policies, newer = raised_to_branch(base.cloned, bot, plan, refs, policies)
    if newer:
        plan = plan_clone(base, run, refs, policies, mode="pr").with_skips(newer)
    return plan, planned_images(refs, policies, plan), bool(newer)


def default_bot_branch(refs: list[ImageRef], explicit_base: str | None) -> str:
    """`bumper/<image>` per image set (`bumper/<base>/...` for a non-default base)."""
    slug = "_".join(sorted(r.slug() for r in refs))
    if len(slug) > 120:
        slug = slug[:100] + "-" + hashlib.sha256(slug.encode()).hexdigest()[:12]
    return f"bumper/{explicit_base}/{slug}" if explicit_base else f"bumper/{slug}"

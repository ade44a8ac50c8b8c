"""The bot branch as a rerun finds it: whether bumper still owns it, whether its PR is closed,
which versions it holds, and what a branch someone else changed says (blocked)."""

from __future__ import annotations

from typing import NamedTuple

from bumper.changes import Skip
from bumper.errors import BumperError, ConfigError, ProviderError
from bumper.git.clone import Clone
from bumper.git.ownership import BRANCH_TRAILER, not_own_reason, read_trailers
from bumper.git.read import changed_entries, commit_shape, on_base, read_files
from bumper.image_ref import ImageRef
from bumper.plan.image_policy import held_on_branch
from bumper.plan.tree import TreePlan
from bumper.plan.versions import is_downgrade
from bumper.providers.api import (
    NOTE_START,
    CommentsOnPullRequests,
    FindsClosedPullRequests,
    KeepNote,
    KeepsOneComment,
    Provider,
    PullRequest,
)
from bumper.shapes.reference import Reference
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all


class BotBranch(NamedTuple):
    """The branch a pull request is delivered from, as this attempt found it."""

    name: str
    sha: str | None  # its tip as fetched (what the push is leased on); None: not on the remote
    provider: Provider | None  # None with --provider none
    pull_request: PullRequest | None  # the open one from this branch into the base

    def stale(self, base: str) -> bool:
        """Whether the branch still holds what a closed or merged PR left there.

        A branch without any PR yet is not stale: another run pushed it and is about to open one.
        """
        provider = self.provider
        if (
            self.sha is None
            or self.pull_request is not None
            or not isinstance(provider, FindsClosedPullRequests)
        ):
            return False
        return any(_same_commit(self.sha, sha) for sha in provider.closed_head_shas(self.name, base))


def _same_commit(full: str, named: str) -> bool:
    """Whether a host's commit id names `full`: the whole id, or an abbreviation of at least 12
    hex digits (Bitbucket Cloud gives 12)."""
    named = named.strip().lower()
    return named == full or (len(named) >= 12 and full.startswith(named))


def not_own(cloned: Clone, sha: str, branch: str, images: frozenset[str] | None = None) -> str | None:
    """Why the bot branch's tip is not bumper's own single commit on the base, or None.
    `images`: the image set a branch of bumper's naming is for (None: --branch named it)."""
    message, parents, _ = commit_shape(cloned, sha)
    entries = changed_entries(cloned, parents[0], sha) if len(parents) == 1 else []
    based = len(parents) == 1 and on_base(cloned, parents[0])
    return not_own_reason(message, parents, branch, entries, based, images)


def left_empty(cloned: Clone, sha: str) -> bool:
    """Whether the bot branch's tip is a commit of the base (not one of bumper's): it holds
    nobody's work. `--commit-via api` on GitHub creates the branch at the base, then commits to
    it; another run reading in between, or a run that failed there, meets such a branch."""
    message = commit_shape(cloned, sha)[0]
    return BRANCH_TRAILER not in read_trailers(message) and on_base(cloned, sha)


def raised_to_branch(
    cloned: Clone, bot: BotBranch, plan: TreePlan, refs: list[ImageRef], policies: dict[str, ImageRef]
) -> tuple[list[ImageRef], dict[str, ImageRef], list[Skip]]:
    """Raise each REF (and each --image-policy image) to the version the bot branch already
    holds when that one is higher; say which were raised."""
    assert bot.sha is not None
    by_key = {r.key: r for r in refs}
    held: dict[str, ImageRef] = {}
    on_branch = _branch_references(cloned, bot.sha, plan)
    for ref in on_branch:
        want = by_key.get(ref.ref.key)
        if want is not None and ref.ref.tag and is_downgrade(ref.ref.tag, want.tag):
            current = held.get(want.key)
            if current is None or is_downgrade(ref.ref.tag, current.tag):
                held[want.key] = want._replace(tag=ref.ref.tag, digest=ref.ref.digest)
    held_policies = held_on_branch(on_branch, plan.policies)
    if not policies:  # the policies follow the REFs: a newer policy image raises its REF
        for image in held_policies.values():
            current = held.get(image.key, by_key.get(image.key))
            if current is not None and is_downgrade(image.tag, current.tag):
                held[image.key] = current._replace(tag=image.tag, digest=image.digest)
        held_policies = {}
    raised = [(str(by_key[key]), image) for key, image in held.items()]
    raised += [(f"{name}={policies[name]}", image) for name, image in held_policies.items()]
    skipped = [
        Skip(bot.name, None, None, value, f"newer-on-bot-branch: {bot.name} holds {image.tag}")
        for value, image in raised
    ]
    return [held.get(r.key, r) for r in refs], {**policies, **held_policies}, skipped


class Obstacle(NamedTuple):
    """Why bumper leaves a bot branch alone: what the one line says of it, what a person does
    about it, and the PR comment's first sentence and key (a rerun finds the comment)."""

    problem: str  # "branch NAME <problem> (tip ...)"
    fix: str
    comment: str
    key: str


def foreign_commits(problem: str) -> Obstacle:
    """The branch holds commits bumper did not make (bumper.git.ownership says which)."""
    return Obstacle(
        problem,
        "merge or close the pull request, or delete the branch, and bumper will continue",
        "has commits bumper did not make, and bumper never rewrites them",
        "blocked",
    )


def other_images(pr: PullRequest, images: frozenset[str]) -> Obstacle:
    """A --branch shared by image sets: its open PR holds the bump of `images`, which this
    run's set does not include; a commit of this run's alone would drop that pending bump."""
    shown = ", ".join(sorted(images))
    return Obstacle(
        f"holds a bump of other images ({shown}) under review in pull request #{pr.number}",
        f"merge or close pull request #{pr.number}, or give each image set a --branch of its "
        "own, and bumper will continue",
        f"holds a bump of other images ({shown}) under review here, and a run for other images "
        "never drops it from the branch they share",
        "other-images",
    )


def retargeted_from(pr: PullRequest, base: str) -> bool:
    """Whether `pr` now targets another branch than `base` (a provider that does not say, an
    empty `base_branch`, is taken at its word that the PR is the one into `base`)."""
    return bool(pr.base_branch) and pr.base_branch != base


def retargeted(pr: PullRequest, base: str) -> Obstacle:
    """A person changed the base of the branch's open PR: it is no longer the PR of `base`, and
    neither a push into it nor a second PR from the same branch is what they asked for."""
    return Obstacle(
        f"has pull request #{pr.number} into {pr.base_branch}, not {base} (its base was changed)",
        f"retarget pull request #{pr.number} to {base}, or merge or close it, and bumper will continue",
        f"is the head of this pull request into `{pr.base_branch}`, and this run bumps `{base}`: "
        "bumper never pushes a bump for one base into a pull request for another, nor opens a "
        "second pull request from the same branch",
        f"retargeted base={base}",
    )


class Blocked(NamedTuple):
    """What a run left alone on a bot branch that is not bumper's: bumper.remote answers `blocked`."""

    plan: TreePlan  # the branch's images, skipped with the reason
    pull_request: dict[str, object] | None  # {url, number} of its open PR
    notes: list[str]


def blocked(
    cloned: Clone,
    bot: BotBranch,
    plan: TreePlan,
    images: list[ImageRef],
    why: Obstacle,
    *,
    named: bool,
    dry_run: bool,
) -> Blocked:
    """Leave the bot branch (and its PR) exactly as they are, and say so once.

    `named`: the branch came from --branch; without an open PR that is a usage error.
    """
    pr = bot.pull_request
    if named and pr is None:
        raise not_owned_named(bot.name, why)
    held = _held_versions(cloned, bot.sha, plan, images) if bot.sha is not None else {}
    waiting = [r for r in images if _waiting(r, held.get(r.key))]
    shown = ", ".join(str(r) for r in waiting)
    tip = f" (tip {bot.sha[:12]})" if bot.sha is not None else ""
    line = f"branch {bot.name} {why.problem}{tip}; left as it is"
    line += f": {shown} is waiting" if waiting else ", it already holds these versions"
    notes = [f"{line}; {why.fix}"]
    if waiting and pr is not None and not dry_run:
        notes += _comment_waiting(bot.provider, pr, bot.name, waiting, why)
    skip = Skip(bot.name, None, None, ", ".join(map(str, images)), f"blocked: {line}")
    return Blocked(TreePlan(skipped=[skip]), {"url": pr.url, "number": pr.number} if pr else None, notes)


def not_owned_named(name: str, why: Obstacle) -> ConfigError:
    """--branch names an existing branch bumper does not own, with no open PR from it: a usage
    error (exit 2), never a branch to leave `blocked`."""
    return ConfigError(
        f"--branch {name!r} already exists and {why.problem}; bumper never rewrites a branch "
        "it does not own: choose a new --branch name, or leave --branch out"
    )


def _comment_waiting(
    provider: Provider | None, pr: PullRequest, branch: str, waiting: list[ImageRef], why: Obstacle
) -> list[str]:
    """bumper's one note on the PR for this obstacle: a newer version waiting edits it in place
    (a busy pipeline never floods the PR), the same note is not written again (a rerun writes
    nothing). A host that can only add comments gets the first note and no other. A comment
    the host refuses (403, 404, 409, 422: a locked conversation, a token that may not comment)
    is said in a line of its own: the run is `blocked` all the same, and its line says why. An
    answer that is not the API's, or an outage, still fails the run (check --api-url, rerun)."""
    if not isinstance(provider, KeepsOneComment | CommentsOnPullRequests):
        return [f"{provider.name if provider else 'this host'} cannot comment on pull requests"]
    key, shown = note_key(why), ", ".join(str(r) for r in waiting)
    text = (
        f"{NOTE_START}`{branch}` {why.comment}. Waiting: {shown}.\n\n"
        f"To let bumper continue, {why.fix}.\n\n{key}-->"
    )
    try:
        if isinstance(provider, KeepsOneComment):
            provider.put_comment(pr, key, text, keep=_noted_newer(waiting))
        else:
            provider.comment_once(pr, key, text)
    except ProviderError as exc:
        if exc.kind not in _REFUSALS:
            raise
        return [exc.message]
    return []


def _noted_newer(waiting: list[ImageRef]) -> KeepNote:
    """Whether a note already names, for every image waiting, a newer version than this run's:
    a late run of an older version (pipelines finishing out of order) never takes it back."""

    def keep(body: str) -> bool:
        line = next((ln for ln in body.splitlines() if "Waiting: " in ln), "")
        named = line.partition("Waiting: ")[2].strip().rstrip(".").split(", ")
        noted = {r.key: r for r in map(ImageRef.try_parse, named) if r is not None}
        return all(
            w.key in noted and bool(w.tag and noted[w.key].tag) and is_downgrade(noted[w.key].tag, w.tag)
            for w in waiting
        )

    return keep


def note_key(why: Obstacle) -> str:
    """The start of the HTML comment that ends bumper's note for `why` on a PR: one note per
    obstacle (and per base, for a retargeted PR), whatever versions wait. It also starts the
    marker of a note written before notes were edited in place (`... images=... -->`)."""
    return f"<!-- bumper:{why.key.replace('--', '')} "


_REFUSALS = ("auth", "not-found", "conflict")  # ProviderError kinds of a host saying no


def _waiting(want: ImageRef, held: ImageRef | None) -> bool:
    """Whether the branch does not hold `want` yet (and no newer version of it either)."""
    if held is None:
        return True
    if want.tag and held.tag and is_downgrade(held.tag, want.tag):
        return False
    return (want.tag, want.digest or held.digest) != (held.tag, held.digest)


def _held_versions(cloned: Clone, sha: str, plan: TreePlan, refs: list[ImageRef]) -> dict[str, ImageRef]:
    """Per image, the highest version commit `sha` holds in the files this run touches."""
    by_key = {r.key: r for r in refs}
    held: dict[str, ImageRef] = {}
    for ref in _branch_references(cloned, sha, plan):
        want = by_key.get(ref.ref.key)
        if want is None:
            continue
        current = held.get(want.key)
        if current is None or (ref.ref.tag and is_downgrade(ref.ref.tag, current.tag)):
            held[want.key] = want._replace(tag=ref.ref.tag, digest=ref.ref.digest)
    return held


def _branch_references(cloned: Clone, sha: str, plan: TreePlan) -> list[Reference]:
    """Every image reference commit `sha` holds in the files this run touches."""
    found: list[Reference] = []
    held = read_files(cloned, sha, {c.file for c in plan.changes} | {s.file for s in plan.skipped})
    for relpath, data in sorted(held.items()):
        try:
            source = Source.from_bytes(relpath, data)
            found += find_references(source, compose_all(source))
        except (UnicodeDecodeError, BumperError):
            continue  # an unreadable file on the bot branch is replaced by this run's
    return found

"""The remote flow: clone, rewrite, commit on the bot branch, push, open or update the PR.

Every run converges: the bot branch ends as exactly one commit on the current base holding,
per image, the highest version any run asked for, and the PR text describes that commit.
A push races other runs through --force-with-lease; a lost race restarts the attempt.

One attempt is four steps, each below under its name: clone (the base, narrowed to the files
that mention an image), plan (the edits), never backwards (hold to what the bot branch
already has), deliver (one commit on the remote, then the pull request).
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bumper.changes import commit_message, pr_text, provenance_trailers, template_values
from bumper.delivery.api_commit import deliver_through_api
from bumper.delivery.background import Started
from bumper.delivery.bot_branch import BotBranch, blocked, left_empty, not_own, raised_to_branch
from bumper.delivery.deploy_link import deploy_compare
from bumper.delivery.pull_request import put_back_text, rewrites_text, sync_pull_request
from bumper.delivery.signing import signing_config
from bumper.errors import BumperError, ConfigError, VerifyError, WorkspaceError
from bumper.git.clone import (
    Clone,
    check_out,
    check_out_all_yaml,
    checkout_only,
    clone,
    drop_work_tree,
    fetch_objects,
    read_index,
    symlinks,
)
from bumper.git.commit import commit_all
from bumper.git.errors import GitError, PushRejected, raise_clone_failure
from bumper.git.modes import FILE_MODES
from bumper.git.push import push
from bumper.git.read import (
    entry_modes,
    fetch_branch,
    grep_files,
    grep_tree,
    read_blob,
    remote_branch_sha,
    remote_default_branch,
    same_content,
    start_branch_read,
)
from bumper.git.refname import validate_branch_name
from bumper.git.runner import GitRunner, Running
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions, BumpResult, Status
from bumper.plan.needles import MARKER_NEEDLE
from bumper.plan.needles import needles as search_needles
from bumper.plan.paths import sparse_patterns
from bumper.plan.promote import promote_branch
from bumper.plan.rules import (
    POLICY_FILE,
    PolicyFileError,
    RepoPolicy,
    RunRules,
    misnamed_policy,
    parse_policy,
)
from bumper.plan.tree import TreePlan, TreeRequest, plan_tree, write_all
from bumper.preflight import RemoteSetup, check_remote, no_pull_request
from bumper.providers import registry
from bumper.providers.api import (
    ChecksAccess,
    CommitsThroughApi,
    FollowsPullRequests,
    Provider,
    ProviderSettings,
    PullRequest,
    PullRequestSpec,
    text_limits,
)
from bumper.retry import retry

if TYPE_CHECKING:
    from bumper.verify.run import Verified

MAX_ATTEMPTS = 6
LOOKUP_SETTLE_SECONDS = 5.0  # what a failing step waits for the read running beside it
UP_TO_DATE_NOTE = "the base branch already has these versions"
PUSHED_COMMIT = "bumper_pushed_commit"  # on an interruption after the direct commit landed


@dataclass(frozen=True)
class RemoteRun:
    """What every step of one remote run reads and none changes: the options, the provider and
    token check_remote settled on, the environment, and the signing configuration."""

    options: BumpOptions
    provider_name: str
    token: str | None
    settings: ProviderSettings
    env: Mapping[str, str]
    signing: list[tuple[str, str]]

    @property
    def git_authorization(self) -> str | None:
        """The header git sends to this host (its ProviderSpec.git_authorization, also with
        --provider none when `auto` knows the host); None: Basic with any user."""
        if self.token is None:
            return None
        host = self.provider_name
        if host == registry.NO_PROVIDER:  # no API, but git still talks to a host auto may know
            try:
                host = registry.resolve(
                    registry.AUTO, self.settings.repo_url, self.settings.api_url, self.env
                )
            except ConfigError:
                return None
        return registry.git_authorization(host, self.token, self.env)


@dataclass
class Base:
    """The cloned base an attempt works on: the clone, the only files worth parsing, and the
    rules of the base's own .bumper.yaml."""

    cloned: Clone
    only: frozenset[str]
    rules: RunRules
    # The bot branch's ls-remote started beside the clone, and the name it asks for.
    early_read: tuple[str, Running] | None = None

    def early_read_of(self, branch: str) -> Running | None:
        """That ls-remote when it asks for `branch`, once (a later question asks the remote again)."""
        early, self.early_read = self.early_read, None
        return early[1] if early is not None and early[0] == branch else None


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
    provider = _provider(run)
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
    name, git = _expected_bot_branch(run.options), _git(run)
    # Not over SSH: ssh may ask the terminal for a passphrase or a host key, one at a time.
    early = None if name is None or git.scheme == "ssh" else (name, start_branch_read(git, name, dest.parent))
    try:
        base = _clone(run, dest)
        base.early_read = early
        return _attempt_on(base, run, carried)
    finally:
        if early is not None:
            early[1].stop()  # ended already when its answer was read; else it is not needed


def _git(run: RemoteRun) -> GitRunner:
    """The git runner of this run's repository, before there is a clone."""
    assert run.options.repo is not None
    return GitRunner(run.options.repo, token=run.token, env=run.env, authorization=run.git_authorization)


def _expected_bot_branch(options: BumpOptions) -> str | None:
    """The bot branch's name when it can be known without the clone: --branch, else the
    default name of every image (a REF found nowhere changes it: then it is asked again)."""
    if options.branch is not None:
        return options.branch
    if options.base is not None or options.promoted_from is not None:
        return None  # named after the remote's default branch, or after the plan's images
    name = default_bot_branch(list({r.key: r for r in options.images}.values()), None)
    try:
        validate_branch_name(name)
    except BumperError:
        return None
    return name


def _attempt_on(base: Base, run: RemoteRun, carried: list[tuple[TreePlan, dict[str, str]]]) -> BumpResult:
    """The commit-mode references go straight to the base, the pr-mode ones through the bot
    branch and its PR. A PushRejected anywhere restarts the try."""
    _refuse_base_as_branch(run.options, base.cloned.base)
    direct, commit = _commit_to_base(base, run)
    if commit is not None:
        carried[:] = [(direct, commit)]
    elif carried and not direct.changes:
        direct, commit = carried[0]  # pushed by an earlier try of this run, then a retry
    try:
        plan = _plan(base, run, list(run.options.refs), dict(run.options.image_policies), mode="pr")
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
    """The pr-mode half: find the bot branch, leave it alone when it is not bumper's, hold to
    the versions it has, then deliver."""
    bot = _find_bot_branch(base, run, plan)
    # A branch of bumper's own naming left at a commit of the base holds nobody's work: fill it.
    empty = bot.sha is not None and run.options.branch is None and left_empty(base.cloned, bot.sha)
    if bot.sha is not None and not empty:
        problem = not_own(base.cloned, bot.sha, bot.name)
        if problem is not None:
            options = run.options
            images = _images(list(options.refs), dict(options.image_policies), plan)
            named = options.branch is not None
            left = blocked(base.cloned, bot, plan, images, problem, named=named, dry_run=options.dry_run)
            return BumpResult(
                Status.BLOCKED, left.plan, branch=bot.name, pull_request=left.pull_request, notes=left.notes
            )
    plan, images, raised = _never_backwards(base, run, bot, plan)
    plan = plan.verified_by(_verify(base, run, plan, images))
    return _deliver_pull_request(base, run, bot, plan, images, raised)


# -- clone -----------------------------------------------------------------------------------


def _clone(run: RemoteRun, dest: Path) -> Base:
    """Clone the base and check out only what can matter; read the base's own rules.

    Without --path there is no checkout at clone time: git grep finds the files that mention
    the images in the object store (while read-tree fills the index beside it) and only those
    are checked out. With --path, a blobless
    sparse clone of those paths: git reads them as the same gitignore patterns plan_tree
    applies (bumper.plan.paths), so the clone holds what --dir would select, plus Chart.yaml.
    """
    options = run.options
    assert options.repo is not None
    sparse = sparse_patterns(options.paths) or None
    try:
        cloned = clone(
            options.repo,
            base=options.base,
            token=run.token,
            authorization=run.git_authorization,
            env=run.env,
            dest=dest,
            sparse_paths=sparse,
            checkout=bool(sparse),
        )
    except GitError as exc:  # the clone names only --base
        raise_clone_failure(exc)
    needles = search_needles(options.refs, bool(options.image_policies))
    entries = None  # every path of the base, when the index was read
    if sparse:
        if MARKER_NEEDLE in needles and grep_files(cloned, [MARKER_NEEDLE]):
            check_out_all_yaml(cloned)  # the markers' ImagePolicy may live outside --path
        only = frozenset(grep_files(cloned, needles))
        links = frozenset(symlinks(cloned))  # those --path selects are checked out already
    else:
        index = Started(lambda: read_index(cloned))  # read-tree on the other core, beside the grep
        try:
            only = frozenset(grep_tree(cloned, needles))
            entries = index.answer()
        except BaseException:
            # Also when Ctrl-C/SIGTERM came while waiting for it: the signal reaches this thread
            # only, so read-tree (local, short) is waited for and never outlives bumper.
            index.settle(None)
            raise
        # The links too (every one, so a link to a link resolves as in the tree): a walk of the
        # tree lists the manifest-named ones as left alone, and so does this run's.
        links = frozenset(symlinks(cloned))
        if only or links:
            checkout_only(cloned, sorted(only | links), entries)
    return Base(cloned, only | links, RunRules(_base_policy(cloned, entries), options.mode))


def _base_policy(cloned: Clone, entries: list[bytes] | None = None) -> RepoPolicy:
    """The base branch's .bumper.yaml, never the CI's copy: the repository's owners decide.
    `entries`: the base's paths as the index holds them, when read (neither name there: no
    policy, and no git run to ask; a folder of either name is there by its files)."""
    names = [POLICY_FILE, ".bumper.yml"]
    exact, folders = {n.encode() for n in names}, tuple(n.encode() + b"/" for n in names)
    if entries is not None and not any(e in exact or e.startswith(folders) for e in entries):
        return RepoPolicy()
    present = entry_modes(cloned, cloned.base_sha, names)  # one git run
    mode = present.get(POLICY_FILE)
    if mode is None:
        if ".bumper.yml" in present:
            raise misnamed_policy()
        return RepoPolicy()
    if mode not in FILE_MODES:  # a link's blob is its target's name, not a policy (as --dir refuses it)
        raise PolicyFileError("must be a regular file (not a link or a folder)", file=POLICY_FILE)
    return parse_policy(read_blob(cloned, cloned.base_sha, POLICY_FILE))


# -- plan ------------------------------------------------------------------------------------


def _plan(
    base: Base, run: RemoteRun, refs: list[ImageRef], policies: dict[str, ImageRef], *, mode: str
) -> TreePlan:
    """The edits `refs` and `policies` make to the clone's files of one commit mode (`pr`,
    `commit`): the same planner as --dir, limited to the files the clone step found."""
    options = run.options
    request = TreeRequest(
        base.cloned.path,
        refs,
        options.paths,
        allow_downgrade=options.allow_downgrade,
        only=base.only,
        image_policies=policies,
        rules=base.rules,
        mode=mode,
        diffs=options.dry_run,
        pins=options.pins,
        reveal=lambda wanted: _revealed(base, wanted, sparse=bool(options.paths)),
    )
    return plan_tree(request)


def _revealed(base: Base, wanted: tuple[bytes, ...], *, sparse: bool) -> frozenset[str]:
    """The base's files that mention any of `wanted`, checked out: a base --path leaves out, or
    the references of an image a kustomize entry renames, may decide an entry of the files
    planned. A sparse clone (--path) is widened to every YAML file; any other holds only the
    files its grep found, and checks out the others it finds now."""
    if sparse:
        check_out_all_yaml(base.cloned)
        return frozenset(grep_files(base.cloned, wanted))
    found = frozenset(grep_tree(base.cloned, wanted))
    check_out(base.cloned, sorted(found - base.only))
    return found


def _verify(base: Base, run: RemoteRun, plan: TreePlan, images: list[ImageRef]) -> list[Verified]:
    """--verify: the planned edits rendered against the clone's base, before anything is
    written or pushed (bumper.verify, loaded only then: tests/import_budget_test.py)."""
    if run.options.verify == "off" or not plan.edits:
        return []
    from bumper.verify.run import verify_plan
    from bumper.verify.tree import clone_tree

    return verify_plan(run.options.verify, plan, images, lambda: clone_tree(base.cloned), run.env)


def _images(refs: list[ImageRef], policies: dict[str, ImageRef], plan: TreePlan) -> list[ImageRef]:
    """The images a PR names: the REFs some file references, then the --image-policy images."""
    applied = [r for r in refs if r.key in plan.found]
    return [*applied, *(r for r in policies.values() if r not in applied)]


# -- never backwards -------------------------------------------------------------------------


def _find_bot_branch(base: Base, run: RemoteRun, plan: TreePlan) -> BotBranch:
    """Name the bot branch, fetch its tip if it exists, and look up its open PR.

    The PR lookup comes before any push: it checks the token and the API URL, and whether
    the bot branch is still under review (an open PR) or stale (closed or merged). It runs
    while git asks the remote for the branch (both are reads, one round trip each); a git
    failure is said first, as when they ran one after the other.
    """
    options, cloned = run.options, base.cloned
    name = _bot_branch_name(run, cloned, plan)
    lookup = None
    if run.provider_name != "none":
        lookup = Started(lambda: _look_up_pull_request(run, name, cloned.base))
    try:
        sha = _bot_branch_sha(base, name, chosen=options.branch is not None)
        if sha is not None:
            # Read, compare and lease against the commit actually fetched: a concurrent run may
            # have moved the branch since ls-remote, and only the fetched commit is here to read.
            sha = _fetch_bot_branch(cloned, name)
    except BaseException:
        if lookup is not None:
            lookup.settle(LOOKUP_SETTLE_SECONDS)
        raise
    provider, existing = lookup.answer() if lookup is not None else (None, None)
    return BotBranch(name, sha, provider, existing)


def _look_up_pull_request(run: RemoteRun, branch: str, base: str) -> tuple[Provider, PullRequest | None]:
    provider = _provider(run)
    return provider, provider.find_pull_request(branch, base)


def _bot_branch_name(run: RemoteRun, cloned: Clone, plan: TreePlan) -> str:
    """--branch, else `bumper/<images>` named after the images `plan` found."""
    options = run.options
    name = options.branch
    if name is None:  # named after the images applied (a REF referenced nowhere is not)
        images = list({r.key: r for r in options.images if r.key in plan.found}.values())
        if options.promoted_from is not None:  # a promotion never shares the bump runs' branch
            name = promote_branch(images[0], options.paths)
        else:
            non_default = options.base and options.base != remote_default_branch(cloned)
            name = default_bot_branch(images, options.base if non_default else None)
    validate_branch_name(name)
    if name == cloned.base:
        raise ConfigError(f"--branch {name!r} is the base branch; bumper pushes only to a branch of its own")
    return name


def _check_before_direct_push(base: Base, run: RemoteRun) -> None:
    """Before the direct commit reaches the base, ask everything the pull-request half will need
    that can be asked without writing: the bot branch's name and whether a branch is in its way
    (ls-remote), its open PR (which checks the API URL and the token), and what the token may do
    (bumper.providers.api.ChecksAccess). A run that fails here has pushed nothing."""
    options = run.options
    pr_half = _plan(base, run, list(options.refs), dict(options.image_policies), mode="pr")
    if not pr_half.edits:
        return
    name = _bot_branch_name(run, base.cloned, pr_half)
    _bot_branch_sha(base, name, chosen=options.branch is not None)
    if run.provider_name == "none":
        return
    provider = _provider(run)
    provider.find_pull_request(name, base.cloned.base)
    if isinstance(provider, ChecksAccess):
        provider.check_access()


def _bot_branch_sha(base: Base, branch: str, *, chosen: bool) -> str | None:
    """The bot branch's sha on the remote; a branch in its way (`bumper` for `bumper/app`) is
    said once, as bad input when --branch chose the name."""
    try:
        return remote_branch_sha(base.cloned, branch, base.early_read_of(branch))
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


def _never_backwards(
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
        return plan, _images(refs, policies, plan), False
    refs, policies, newer = raised_to_branch(base.cloned, bot, plan, refs, policies)
    if newer:
        plan = _plan(base, run, refs, policies, mode="pr").with_skips(newer)
    return plan, _images(refs, policies, plan), bool(newer)


# -- deliver ---------------------------------------------------------------------------------


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


def _commit_to_base(base: Base, run: RemoteRun) -> tuple[TreePlan, dict[str, str] | None]:
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
    plan = _plan(base, run, list(options.refs), dict(options.image_policies), mode="commit")
    if not plan.edits:
        return plan, None
    images = [*options.refs, *(r for r in options.images if r not in options.refs)]
    plan = plan.verified_by(_verify(base, run, plan, images))
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
    provider = _provider(run) if options.commit_via == "api" else None
    try:
        sha, _ = deliver(
            cloned, run, cloned.base, plan, message, lease=cloned.base_sha, onto_base=True, provider=provider
        )
    except PushRejected as exc:
        exc.base = cloned.base  # the base moved since the clone: the attempt starts again
        raise
    if options.commit_via == "api":
        fetch_objects(cloned, [sha])  # the host made it: the bot branch's commit builds on it here
    cloned.base_sha = sha  # the bot branch, if any, builds on this commit
    return plan, {"branch": cloned.base, "sha": sha}


def _deliver_pull_request(
    base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan, images: list[ImageRef], raised: bool
) -> BumpResult:
    """Deliver the plan to the bot branch, then open or update its PR; a dry run says what it
    would do. The branch is checked once more after the PR step: a newer run that moved it
    meanwhile restarts this one, so the PR text follows the branch."""
    options, cloned, provider = run.options, base.cloned, bot.provider
    values = template_values(
        [str(r) for r in images],
        plan.changes,
        bot.name,
        cloned.base,
        run.env,
        plan.verified,
        promoted_from=options.promoted_from or "",
        compare="" if options.dry_run else deploy_compare(cloned, plan.changes, run.env),
        registry=options.registry_images,
    )
    title, body = pr_text(options.title, options.body, values, plan.changes, limits=text_limits(provider))
    existing = bot.pull_request

    if options.dry_run:
        would = {"url": existing.url, "number": existing.number} if existing else None
        note = _dry_run_note(base, run, bot, plan, title, body)
        return BumpResult(Status.DRY_RUN, plan, branch=bot.name, pull_request=would, notes=[note])

    trailers = provenance_trailers(images, plan.changes, run.env)
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
        return _after_push(base, run, bot, plan, (title, body), (commit, pushed), raised)
    finally:
        for started in clearing:
            started.settle(None)


def _dry_run_note(base: Base, run: RemoteRun, bot: BotBranch, plan: TreePlan, title: str, body: str) -> str:
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
        if pushed or status != "up-to-date":
            # An open PR not answered for since the push (its text needed no update): asked again.
            unasked = pushed and pr is bot.pull_request
            _check_still_current(base, bot, commit if pushed else bot.sha, provider if unasked else None)
    except PushRejected:
        raise
    except BumperError as exc:
        if pushed:  # the branch holds the commit: say so, the rerun only does the PR step
            then = "updates" if bot.pull_request is not None else "opens"
            exc.message += (
                f"; branch {bot.name} was already pushed with commit {commit[:12]} and stays there "
                f"(a rerun finds it and {then} the pull request)"
            )
        raise
    if raised and status == "up-to-date":
        plan = plan.without_changes()
    return BumpResult(
        status,
        plan,
        branch=bot.name,
        pull_request={"url": pr.url, "number": pr.number},
        notes=list(pr.warnings),  # what the host refused after the PR existed (e.g. a reviewer)
    )


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


def _check_still_current(base: Base, bot: BotBranch, sha: str | None, provider: Provider | None) -> None:
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
        now = lookup.answer()
        if now is None or now.number != bot.pull_request.number:
            raise PushRejected(
                f"pull request #{bot.pull_request.number} was closed while bumper pushed to {name}"
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


def _provider(run: RemoteRun) -> Provider:
    return registry.spec_for(run.provider_name).create(run.settings, run.env)


def default_bot_branch(refs: list[ImageRef], explicit_base: str | None) -> str:
    """`bumper/<image>` per image set (`bumper/<base>/...` for a non-default base)."""
    slug = "_".join(sorted(r.slug() for r in refs))
    if len(slug) > 120:
        slug = slug[:100] + "-" + hashlib.sha256(slug.encode()).hexdigest()[:12]
    return f"bumper/{explicit_base}/{slug}" if explicit_base else f"bumper/{slug}"

"""The remote flow: clone, rewrite, commit on the bot branch, push, open or update the PR.

Every run converges: the bot branch ends as exactly one commit on the current base holding,
per image, the highest version any run asked for, and the PR text describes that commit.
A push races other runs through --force-with-lease; a lost race restarts the attempt.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bumper.changes import MARKER, Skip, commit_message, pr_text, provenance_trailers, template_values
from bumper.errors import BumperError, ConfigError, WorkspaceError
from bumper.flux import held_on_branch
from bumper.flux import needles as flux_needles
from bumper.git.clone import Clone, checkout_only, clone
from bumper.git.commit import commit_all
from bumper.git.errors import GitError, PushRejected
from bumper.git.push import push
from bumper.git.read import (
    changed_entries,
    commit_shape,
    fetch_branch,
    grep_files,
    grep_tree,
    on_base,
    read_file,
    remote_branch_sha,
    remote_default_branch,
    remote_head,
    same_content,
)
from bumper.git.refname import validate_branch_name
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions, BumpResult, Status
from bumper.ownership import not_own_reason
from bumper.pathmatch import sparse_patterns
from bumper.policy import is_downgrade
from bumper.preflight import ApiPacing, check_remote
from bumper.providers import registry
from bumper.providers.api import (
    CommentsOnPullRequests,
    FindsClosedPullRequests,
    Provider,
    ProviderSettings,
    PullRequest,
    PullRequestSpec,
    text_limits,
)
from bumper.repo_policy import (
    POLICY_FILE,
    PolicyFileError,
    RepoPolicy,
    Rule,
    RunRules,
    parse_policy,
)
from bumper.retry import retry
from bumper.rewrite import TreePlan, plan_tree, write_all
from bumper.shapes import Reference, find_references
from bumper.signing import signing_config
from bumper.yaml_edit import Source, compose_all

MAX_ATTEMPTS = 6


def bump_repo(options: BumpOptions, env: Mapping[str, str]) -> BumpResult:
    """Run the remote flow, retrying when another run moved the bot branch meanwhile."""
    provider_name, token, _ = check_remote(options, env)
    loading = registry.spec_for(provider_name).preload() if provider_name != "none" and token else None
    try:
        with tempfile.TemporaryDirectory(prefix="bumper-") as tmp, signing_config(env) as signing:
            if options.branch is not None:
                _refuse_base_as_branch(options, token, Path(tmp))
            carried: list[tuple[TreePlan, dict[str, str]]] = []  # a direct commit already pushed
            return retry(
                lambda n: _attempt(options, provider_name, token, Path(tmp) / str(n), env, signing, carried),
                attempts=MAX_ATTEMPTS,
                retry_on=lambda exc: isinstance(exc, PushRejected),
                wait=lambda n: random.uniform(0.05, 0.3) * (n + 1),  # noqa: S311 - jitter only
            )
    except PushRejected:
        raise WorkspaceError(
            f"the bot branch kept moving during {MAX_ATTEMPTS} attempts; other runs are pushing to it, "
            "try again"
        ) from None
    finally:
        if loading is not None:
            loading.join()  # a failure before the SDK was needed must not exit mid-import


def _refuse_base_as_branch(options: BumpOptions, token: str | None, tmp: Path) -> None:
    """`--branch` naming the base branch is refused before anything is cloned."""
    assert options.repo is not None and options.branch is not None
    base = options.base or remote_head(options.repo, token=token, cwd=tmp)
    if options.branch == base:
        raise ConfigError(
            f"--branch {options.branch!r} is the base branch; bumper pushes only to a branch of its own"
        )


def _validate_branch(name: str) -> None:
    validate_branch_name(name)


def _attempt(
    options: BumpOptions,
    provider_name: str,
    token: str | None,
    dest: Path,
    env: Mapping[str, str],
    signing: list[tuple[str, str]],
    carried: list[tuple[TreePlan, dict[str, str]]],
) -> BumpResult:
    """One try: clone the base, read its .bumper.yaml, push the commit-mode references straight
    to the base, then deliver the pr-mode ones through the bot branch and its PR."""
    ws, only = _clone_narrowed(options, token, dest)
    rules = RunRules(_base_policy(ws), options.mode)
    direct, commit = _commit_to_base(ws, options, rules, only, env, signing)
    if commit is not None:
        carried[:] = [(direct, commit)]
    elif carried and not direct.changes:
        direct, commit = carried[0]  # pushed by an earlier try of this run, then a retry
    result = _through_pull_request(ws, only, rules, options, provider_name, token, env, signing)
    return _with_commit(result, direct, commit, options.dry_run)


def _through_pull_request(
    ws: Clone,
    only: frozenset[str],
    rules: RunRules,
    options: BumpOptions,
    provider_name: str,
    token: str | None,
    env: Mapping[str, str],
    signing: list[tuple[str, str]],
) -> BumpResult:
    refs, policies = list(options.refs), dict(options.image_policies)
    plan = plan_tree(
        ws.path,
        refs,
        options.paths,
        allow_downgrade=options.allow_downgrade,
        only=only,
        image_policies=policies,
        rules=rules,
        mode="pr",
    )
    if not plan.edits:
        return BumpResult(
            "up-to-date", plan, branch=None, notes=["the base branch already has these versions"]
        )
    branch = options.branch
    if branch is None:  # named after the images applied (a REF referenced nowhere is not)
        non_default = options.base and options.base != remote_default_branch(ws)
        images = list({r.key: r for r in options.images if r.key in plan.found}.values())
        branch = default_branch(images, options.base if non_default else None)
    _validate_branch(branch)
    if branch == ws.base:
        raise ConfigError(
            f"--branch {branch!r} is the base branch; bumper pushes only to a branch of its own"
        )
    provider = None if provider_name == "none" else _provider(provider_name, options, token, env)
    remote_sha = remote_branch_sha(ws, branch)
    if remote_sha is not None:
        # Read, compare and lease against the commit actually fetched: a concurrent run may
        # have moved the branch since ls-remote, and only the fetched commit is here to read.
        remote_sha = _fetch_bot_branch(ws, branch)
    # The PR lookup comes before any push: it checks the token and the API URL, and whether
    # the bot branch is still under review (an open PR) or stale (closed or merged).
    existing = provider.find_pull_request(branch, ws.base) if provider is not None else None
    newer: list[Skip] = []
    if remote_sha is not None:
        problem = _not_own(ws, remote_sha, branch)
        if problem is not None:
            found = [r for r in refs if r.key in plan.found]
            images = [*found, *(r for r in policies.values() if r not in found)]
            return _blocked(ws, provider, existing, options, branch, remote_sha, plan, images, problem)
        # "Never backwards" holds while the branch is under review; a branch whose PR was
        # closed or merged is stale and the run starts again from the base.
        if not options.allow_downgrade and not _stale(provider, existing, branch, ws.base, remote_sha):
            refs, policies, newer = _never_backwards(ws, remote_sha, plan, refs, policies, branch)
            if newer:
                plan = plan_tree(
                    ws.path,
                    refs,
                    options.paths,
                    only=only,
                    image_policies=policies,
                    rules=rules,
                    mode="pr",
                )
                plan.skipped.extend(newer)

    applied = [r for r in refs if r.key in plan.found]  # the PR names only applied images
    images = [*applied, *(r for r in policies.values() if r not in applied)]
    values = template_values([str(r) for r in images], plan.changes, branch, ws.base, env)
    title, body = pr_text(options.title, options.body, values, plan.changes, limits=text_limits(provider))

    if options.dry_run:
        would = {"url": existing.url, "number": existing.number} if existing else None
        if provider is None:
            note = f"would push {branch} (on {ws.base}); --provider none opens no pull request"
        else:
            note = f"would {'update' if existing else 'open'} a pull request from {branch} into {ws.base}"
        return BumpResult("dry-run", plan, branch=branch, pull_request=would, notes=[note])

    write_all(plan.edits)
    trailers = provenance_trailers(images, plan.changes, env)
    message = commit_message(options.commit_message, values, plan.changes, trailers)
    commit = commit_all(
        ws, branch, message, *options.author, paths=[e.relpath for e in plan.edits], signing=signing
    )
    pushed = remote_sha is None or not same_content(ws, commit, remote_sha)
    if pushed:
        push(ws, branch, remote_sha)
    if provider is None:
        return BumpResult("written" if pushed else "up-to-date", plan, branch=branch)

    status, pr = _sync_pull_request(
        provider, options, branch, ws.base, title, body, pushed, existing, rules, plan.rules
    )
    if (pushed or status != "up-to-date") and remote_branch_sha(ws, branch) != (
        commit if pushed else remote_sha
    ):
        # A newer run moved the branch after us; start again so the PR text follows it.
        raise PushRejected("the bot branch moved while the pull request was being updated")
    if newer and status == "up-to-date":
        plan.changes.clear()
    return BumpResult(
        status,
        plan,
        branch=branch,
        pull_request={"url": pr.url, "number": pr.number},
        notes=list(pr.warnings),  # what the host refused after the PR existed (e.g. a reviewer)
    )


def _stale(provider: Provider | None, pr: PullRequest | None, branch: str, base: str, sha: str) -> bool:
    """Whether the bot branch still holds what a closed or merged PR left there.

    A branch without any PR yet is not stale: another run pushed it and is about to open one.
    """
    if provider is None or pr is not None or not isinstance(provider, FindsClosedPullRequests):
        return False
    return sha in provider.closed_head_shas(branch, base)


def _not_own(ws: Clone, sha: str, branch: str) -> str | None:
    """Why the bot branch's tip is not bumper's own single commit on the base, or None."""
    message, parents, _ = commit_shape(ws, sha)
    entries = changed_entries(ws, parents[0], sha) if len(parents) == 1 else []
    based = len(parents) == 1 and on_base(ws, parents[0])
    return not_own_reason(message, parents, branch, entries, based)


def _blocked(
    ws: Clone,
    provider: Provider | None,
    pr: PullRequest | None,
    options: BumpOptions,
    branch: str,
    sha: str,
    plan: TreePlan,
    refs: list[ImageRef],
    problem: str,
) -> BumpResult:
    """Leave a branch holding someone else's commits exactly as it is, and say so once."""
    if options.branch is not None and pr is None:
        raise ConfigError(
            f"--branch {branch!r} already exists and {problem}; bumper never rewrites a branch it "
            "does not own: choose a new --branch name, or leave --branch out"
        )
    held = _held_versions(ws, sha, plan, refs)
    waiting = [r for r in refs if _waiting(r, held.get(r.key))]
    shown = ", ".join(str(r) for r in waiting)
    line = f"branch {branch} {problem} (tip {sha[:12]}); left as it is"
    line += f": {shown} is waiting" if waiting else ", it already holds these versions"
    fix = "merge or close the pull request, or delete the branch, and bumper will continue"
    notes = [f"{line}; {fix}"]
    if waiting and pr is not None and not options.dry_run:
        notes += _comment_waiting(provider, pr, branch, shown, fix)
    result = BumpResult(
        "blocked",
        TreePlan(),
        branch=branch,
        pull_request={"url": pr.url, "number": pr.number} if pr else None,
        notes=notes,
    )
    result.plan.skipped.append(Skip(branch, None, None, ", ".join(map(str, refs)), f"blocked: {line}"))
    return result


def _comment_waiting(
    provider: Provider | None, pr: PullRequest, branch: str, shown: str, fix: str
) -> list[str]:
    """One PR comment per waiting image set (a rerun finds it and writes nothing)."""
    if not isinstance(provider, CommentsOnPullRequests):
        return [f"{provider.name if provider else 'this host'} cannot comment on pull requests"]
    key = f"<!-- bumper:blocked images={shown.replace('--', '')} -->"
    text = (
        f"bumper did not update this branch: `{branch}` has commits bumper did not make, and "
        f"bumper never rewrites them. Waiting: {shown}.\n\nTo let bumper continue, {fix}.\n\n{key}"
    )
    provider.comment_once(pr, key, text)
    return []


def _waiting(want: ImageRef, held: ImageRef | None) -> bool:
    """Whether the branch does not hold `want` yet (and no newer version of it either)."""
    if held is None:
        return True
    if want.tag and held.tag and is_downgrade(held.tag, want.tag):
        return False
    return (want.tag, want.digest or held.digest) != (held.tag, held.digest)


def _clone_narrowed(options: BumpOptions, token: str | None, dest: Path) -> tuple[Clone, frozenset[str]]:
    """Clone the base and check out only what can matter; return it with the files to parse.

    Without --path there is no checkout at clone time: git grep finds the files that mention
    the images in the object store and only those are checked out. With --path, a blobless
    sparse clone of those paths: git reads them as the same gitignore patterns plan_tree
    applies (bumper.pathmatch), so the clone holds what --dir would select, plus Chart.yaml.
    """
    assert options.repo is not None
    sparse = sparse_patterns(options.paths) or None
    try:
        ws = clone(
            options.repo,
            base=options.base,
            token=token,
            dest=dest,
            sparse_paths=sparse,
            checkout=bool(sparse),
        )
    except GitError as exc:
        if exc.kind == "branch-not-found":  # the clone names only --base: a bad input, exit 2
            raise ConfigError(exc.message) from exc
        raise
    # Flux markers and the ImagePolicy objects that resolve them may mention no REF at all.
    needles = [r.needle() for r in options.refs] + list(flux_needles(options.image_policies))
    if sparse:
        return ws, frozenset(grep_files(ws, needles))
    only = frozenset(grep_tree(ws, needles))
    if only:
        checkout_only(ws, sorted(only))
    return ws, only


def _base_policy(ws: Clone) -> RepoPolicy:
    """The base branch's .bumper.yaml, never the CI's copy: the repository's owners decide."""
    data = read_file(ws, ws.base_sha, POLICY_FILE)
    if data is None:
        if read_file(ws, ws.base_sha, ".bumper.yml") is not None:
            raise PolicyFileError(f"found .bumper.yml; bumper reads only {POLICY_FILE}: rename it")
        return RepoPolicy()
    return parse_policy(data)


def _commit_to_base(
    ws: Clone,
    options: BumpOptions,
    rules: RunRules,
    only: frozenset[str],
    env: Mapping[str, str],
    signing: list[tuple[str, str]],
) -> tuple[TreePlan, dict[str, str] | None]:
    """Deliver the commit-mode references: one commit on the base, pushed without force.

    The plan reads the base as cloned, so a version the base already holds higher is skipped
    ("downgrade"): re-planned on every attempt, that is "never backwards" against the base. A
    base that moved since the clone rejects the push (PushRejected), and the caller starts the
    attempt again from a fresh clone. On a dry run the edits reach only the temporary clone, so
    the pull-request half plans on top of them as it would after the push.
    """
    plan = plan_tree(
        ws.path,
        list(options.refs),
        options.paths,
        allow_downgrade=options.allow_downgrade,
        only=only,
        image_policies=options.image_policies,
        rules=rules,
        mode="commit",
    )
    if not plan.edits:
        return plan, None
    write_all(plan.edits)
    if options.dry_run:
        return plan, None
    images = [*options.refs, *(r for r in options.images if r not in options.refs)]
    values = template_values([str(r) for r in images], plan.changes, ws.base, ws.base, env)
    message = commit_message(
        options.commit_message, values, plan.changes, provenance_trailers(images, plan.changes, env)
    )
    sha = commit_all(
        ws, ws.base, message, *options.author, paths=[e.relpath for e in plan.edits], signing=signing
    )
    push(ws, ws.base, ws.base_sha, fast_forward_only=True)
    ws.base_sha = sha  # the bot branch, if any, builds on this commit
    return plan, {"branch": ws.base, "sha": sha}


def _with_commit(
    result: BumpResult, direct: TreePlan, commit: dict[str, str] | None, dry_run: bool
) -> BumpResult:
    """One answer for both halves: the direct commit's changes first, `commit` set, and status
    `committed` when nothing went through a pull request."""
    plan = result.plan
    plan.skipped[:0] = direct.skipped  # e.g. "downgrade": the base already holds a newer one
    if not direct.changes and commit is None:
        return result
    plan.changes[:0] = direct.changes
    plan.edits[:0] = direct.edits
    result.commit = commit
    if commit is not None:
        result.notes.insert(0, f"committed {commit['sha'][:12]} to {commit['branch']}")
    if dry_run:
        result.status = Status.DRY_RUN
        result.notes.insert(0, f"would commit {len(direct.changes)} change(s) straight to the base")
    elif commit is not None and result.status == Status.UP_TO_DATE:
        result.status = Status.COMMITTED
        result.notes = [n for n in result.notes if "already has these versions" not in n]
    return result


def _fetch_bot_branch(ws: Clone, branch: str) -> str:
    try:
        sha: str = fetch_branch(ws, branch)
    except GitError as exc:
        if exc.kind == "branch-not-found":  # deleted since ls-remote (its PR merged): start over
            raise PushRejected("the bot branch was deleted meanwhile") from exc
        raise
    return sha


def _sync_pull_request(
    provider: Provider,
    options: BumpOptions,
    branch: str,
    base: str,
    title: str,
    body: str,
    pushed: bool,
    existing: PullRequest | None,
    rules: RunRules,
    governing: list[Rule | None],
) -> tuple[str, PullRequest]:
    """Open the PR (with what the rules `governing` its changes add), or bring an open one's
    title and body up to date; say which.

    When nothing was pushed, a PR whose body still carries this run's marker describes the
    branch already: a person's edits to its title or body are kept (no write at all).
    """
    if existing is None:
        spec = PullRequestSpec(
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
        return "opened", provider.open_pull_request(rules.pull_request(governing, spec))
    marker = body.rstrip().splitlines()[-1]
    older_text = MARKER in existing.body and marker not in existing.body  # an earlier run's text
    if pushed or older_text:
        if (existing.title, existing.body.strip()) != (title, body.strip()):
            return "updated", provider.update_pull_request(existing, title, body)
    return ("updated" if pushed else "up-to-date"), existing


def _never_backwards(
    ws: Clone,
    remote_sha: str,
    plan: TreePlan,
    refs: list[ImageRef],
    policies: dict[str, ImageRef],
    branch: str,
) -> tuple[list[ImageRef], dict[str, ImageRef], list[Skip]]:
    """Raise each REF (and each --image-policy image) to the version the bot branch already
    holds when that one is higher."""
    by_key = {r.key: r for r in refs}
    held: dict[str, ImageRef] = {}
    on_branch = _branch_references(ws, remote_sha, plan)
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
        Skip(branch, None, None, value, f"newer-on-bot-branch: {branch} holds {image.tag}")
        for value, image in raised
    ]
    return [held.get(r.key, r) for r in refs], {**policies, **held_policies}, skipped


def _held_versions(ws: Clone, sha: str, plan: TreePlan, refs: list[ImageRef]) -> dict[str, ImageRef]:
    """Per image, the highest version commit `sha` holds in the files this run touches."""
    by_key = {r.key: r for r in refs}
    held: dict[str, ImageRef] = {}
    for ref in _branch_references(ws, sha, plan):
        want = by_key.get(ref.ref.key)
        if want is None:
            continue
        current = held.get(want.key)
        if current is None or (ref.ref.tag and is_downgrade(ref.ref.tag, current.tag)):
            held[want.key] = want._replace(tag=ref.ref.tag, digest=ref.ref.digest)
    return held


def _branch_references(ws: Clone, sha: str, plan: TreePlan) -> list[Reference]:
    """Every image reference commit `sha` holds in the files this run touches."""
    found: list[Reference] = []
    for relpath in sorted({c.file for c in plan.changes} | {s.file for s in plan.skipped}):
        data = read_file(ws, sha, relpath)
        if data is None:
            continue
        try:
            source = Source.from_bytes(relpath, data)
            found += find_references(source, compose_all(source))
        except (UnicodeDecodeError, BumperError):
            continue  # an unreadable file on the bot branch is replaced by this run's
    return found


def _provider(name: str, options: BumpOptions, token: str | None, env: Mapping[str, str]) -> Provider:
    assert options.repo is not None and token is not None  # check_remote made sure
    pacing = ApiPacing.from_env(env)
    settings = ProviderSettings(
        options.repo, options.api_url, token, throttle=pacing.throttle, backoff=pacing.backoff
    )
    return registry.spec_for(name).create(settings)


def default_branch(refs: list[ImageRef], explicit_base: str | None) -> str:
    """`bumper/<image>` per image set (`bumper/<base>/...` for a non-default base)."""
    slug = "_".join(sorted(r.slug() for r in refs))
    if len(slug) > 120:
        slug = slug[:100] + "-" + hashlib.sha256(slug.encode()).hexdigest()[:12]
    return f"bumper/{explicit_base}/{slug}" if explicit_base else f"bumper/{slug}"

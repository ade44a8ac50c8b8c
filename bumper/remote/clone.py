"""The clone stage of a --repo run: the base cloned, narrowed to what can matter, and its rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bumper.delivery.background import Started
from bumper.errors import ConfigError
from bumper.git.clone import (
    Clone,
    check_out,
    check_out_all_yaml,
    check_out_chart_link_targets,
    check_out_chart_values,
    checkout_only,
    clone,
    read_index,
    symlinks,
)
from bumper.git.errors import GitError, raise_clone_failure
from bumper.git.modes import FILE_MODES
from bumper.git.read import entry_modes, grep_files, grep_tree, read_blob
from bumper.git.runner import GitRunner, Running
from bumper.plan.needles import MARKER_NEEDLE
from bumper.plan.needles import needles as search_needles
from bumper.plan.paths import sparse_patterns
from bumper.plan.rules import (
    POLICY_FILE,
    PolicyFileError,
    RepoPolicy,
    RunRules,
    misnamed_policy,
    parse_policy,
)
from bumper.providers import registry
from bumper.providers.api import ProviderSettings
from bumper.remote.run import RemoteRun

if TYPE_CHECKING:
    from bumper.verify.run import Verified


@dataclass
class Base:
    """The cloned base an attempt works on: the clone, the only files worth parsing, and the
    rules of the base's own .bumper.yaml."""

    cloned: Clone
    only: frozenset[str]
    rules: RunRules
    # The bot branch's ls-remote started beside the clone, and the names it asks for.
    early_read: tuple[tuple[str, ...], Running] | None = None
    # --verify's verdicts on the PR half, asked before a direct commit (planning.verify): the
    # edits and images they judged, then the verdicts; the same plan after the push reuses them.
    verified_ahead: tuple[object, list[Verified]] | None = None

    def early_read_of(self, branches: tuple[str, ...]) -> Running | None:
        """That ls-remote when it asks for `branches`, once (a later question asks the remote again)."""
        early, self.early_read = self.early_read, None
        return early[1] if early is not None and early[0] == branches else None


def git_authorization(
    provider_name: str, token: str | None, settings: ProviderSettings, env: Mapping[str, str]
) -> str | None:
    """The header git sends to this host (its ProviderSpec.git_authorization, also with
    --provider none when `auto` knows the host); None: Basic with any user."""
    if token is None:
        return None
    host = provider_name
    if host == registry.NO_PROVIDER:  # no API, but git still talks to a host auto may know
        try:
            host = registry.resolve(registry.AUTO, settings.repo_url, settings.api_url, env)
        except ConfigError:
            return None
    return registry.git_authorization(host, token, env)


def _authorization(run: RemoteRun) -> str | None:
    return git_authorization(run.provider_name, run.token, run.settings, run.env)


def repo_git(run: RemoteRun) -> GitRunner:
    """The git runner of this run's repository, before there is a clone."""
    assert run.options.repo is not None
    return GitRunner(run.options.repo, token=run.token, env=run.env, authorization=_authorization(run))


def clone_base(run: RemoteRun, dest: Path) -> Base:
    """Clone the base and check out only what can matter; read the base's own rules.

    Without --path there is no checkout at clone time: git grep finds the files that mention
    the images in the object store (while read-tree fills the index beside it) and only those
    are checked out. With --path, a blobless
    sparse clone of those paths: git reads them as the same gitignore patterns plan_tree
    applies (bumper.plan.paths), so the clone holds what --dir would select, plus Chart.yaml
    and the values.yaml beside it.
    """
    options = run.options
    assert options.repo is not None
    sparse = sparse_patterns(options.paths) or None
    try:
        cloned = clone(
            options.repo,
            base=options.base,
            token=run.token,
            authorization=_authorization(run),
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
        check_out_chart_values(cloned)  # where a chart keeps an image's tag, maybe outside --path
        only = frozenset(grep_files(cloned, needles))
        links = frozenset(symlinks(cloned))  # those --path selects are checked out already
        check_out_chart_link_targets(cloned, links)  # a chart file's link names a file outside --path
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
        check_out_chart_link_targets(cloned, links)  # what a chart file's link names, read through it
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


def reveal(base: Base, wanted: tuple[bytes, ...], *, sparse: bool) -> frozenset[str]:
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

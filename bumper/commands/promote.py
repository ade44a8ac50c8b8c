"""`bumper promote`: read IMAGE's version under --from (a folder, or a branch), then bump exactly
that version under --to through the normal flow: rules, holds, downgrades, PR or commit mode."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bumper.errors import ConfigError, ExitCode, NotFoundError
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions
from bumper.plan.paths import normalize_all, sparse_patterns
from bumper.plan.promote import check_apart, check_image, promoted_ref, source_label

if TYPE_CHECKING:
    from bumper.changes import Skip
    from bumper.git.clone import Clone
    from bumper.preflight import RemoteSetup


def promote(
    image_text: str,
    from_paths: Sequence[str],
    to_paths: Sequence[str],
    from_branch: str | None,
    raw: dict[str, Any],
    env: Mapping[str, str],
) -> ExitCode:
    """Validate everything first (a stand-in version lets BumpOptions check the options), read
    the source, then run `bump` with the one REF it found, narrowed to --to."""
    from bumper.commands.bump import bump, emit_not_found, options_from_cli

    image = check_image(image_text)
    sources = normalize_all(from_paths, "--from")
    targets = normalize_all(to_paths, "--to")
    options = options_from_cli({**raw, "refs": [f"{image.name}:promote"], "paths": targets})
    one_tree = from_branch is None or from_branch in (options.base, _checked_out(options, env))
    if set(sources) & set(targets) and one_tree:
        raise ConfigError(
            "--from and --to name the same path; promote reads one environment and writes another"
        )
    if from_branch is not None:
        from bumper.git.refname import validate_branch_name

        validate_branch_name(from_branch)
    label = source_label(sources, from_branch)
    setup = None
    if options.repo is not None:  # one set of checks (and one App token) for the read and the bump
        from bumper.preflight import check_remote

        setup = check_remote(options, env)
    try:
        entries, left_alone = _source_entries(options, image, sources, from_branch, env, setup)
        if one_tree:
            check_apart(image, entries, targets)
        ref = promoted_ref(image, entries, label, left_alone)
    except NotFoundError as exc:  # nothing under --from: exit 3 as `bump` answers it
        emit_not_found(exc, options)
        raise
    options = options._replace(refs=[ref], promoted_from=label)
    return bump(options, env, setup)


def _source_entries(
    options: BumpOptions,
    image: ImageRef,
    sources: tuple[str, ...],
    from_branch: str | None,
    env: Mapping[str, str],
    setup: RemoteSetup | None,
) -> tuple[list[dict[str, Any]], list[tuple[str, Skip]]]:
    """Every reference `bumper scan` would list under --from, and the values naming an image or
    chart left alone there (by key): in the --dir tree itself, or in a shallow sparse clone of
    --from-branch (or the --repo base), never a write."""
    if options.repo is None and from_branch is None:
        assert options.directory is not None
        return _read(options.directory, image, sources, from_branch)
    with tempfile.TemporaryDirectory(prefix="bumper-promote-") as tmp:
        from bumper.git.clone import check_out_all_yaml

        source = _clone_source(options, sources, from_branch, env, setup, Path(tmp) / "source")
        return _read(source.path, image, sources, from_branch, lambda: check_out_all_yaml(source))


def _read(
    tree: Path,
    image: ImageRef,
    sources: tuple[str, ...],
    from_branch: str | None,
    widen: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, Skip]]]:
    """The scan of --from; `widen` checks out the rest of a narrowed clone's YAML when a Flux
    marker there names a policy whose ImagePolicy lives outside --from (as --dir would find it)."""
    from bumper.errors import ManifestError, NotFoundError
    from bumper.plan.inventory import take_inventory
    from bumper.plan.select import unmatched_globs

    # Each positive pattern must select a file (a typo would read part of the source); a '!'
    # pattern only takes back, and selects nothing by itself.
    for glob in unmatched_globs(tree, tuple(g for g in sources if not g.startswith("!"))):
        on = f" on branch {from_branch!r}" if from_branch else ""
        raise NotFoundError(
            f"--from {glob!r} matches no YAML file{on}; give paths relative to the tree's root"
        )
    inventory = take_inventory(tree, sources)
    if widen is not None and inventory.unresolved:
        widen()
        inventory = take_inventory(tree, sources)
    for skip in inventory.ignored:  # a file that may hold another version is never skipped over
        data = (tree / skip.file).read_bytes() if skip.reason.startswith("unparseable") else b""
        if any(needle in data for needle in image.needles()):
            raise ManifestError(
                f"{skip.reason.removeprefix('unparseable: ')}; the version under --from cannot be read "
                "there: fix the file, or leave it out with a '!' --from pattern",
                file=skip.file,
                line=skip.line,
            )
    # An entry renaming the image (`newName: mirror/app`, `newTag: v2`) says what the source
    # runs of it as much as the references it renames do: they must agree.
    return inventory.images + inventory.renamed, inventory.left_alone


def _clone_source(
    options: BumpOptions,
    sources: tuple[str, ...],
    from_branch: str | None,
    env: Mapping[str, str],
    setup: RemoteSetup | None,
    dest: Path,
) -> Clone:
    """The source environment's files: --repo's (or the --dir clone's) `from_branch`, else the
    base, cloned shallow and sparse on --from."""
    from bumper.git.clone import clone
    from bumper.git.errors import GitError, raise_clone_failure

    token = authorization = None
    url = options.repo
    if url is not None:
        from bumper.remote.clone import git_authorization

        assert setup is not None  # promote() asked check_remote for --repo
        # git presents the token as this host takes it (Bitbucket's x-token-auth, Azure's bearer)
        token = setup.token
        authorization = git_authorization(setup.provider, setup.token, setup.settings, env)
    else:
        assert options.directory is not None
        url = str(options.directory)
        if not (options.directory / ".git").exists():
            raise ConfigError(
                f"--from-branch reads a branch of the --dir clone: {options.directory} is not the top of a "
                "git clone; give the clone's top folder"
            )
    try:
        return clone(
            url,
            base=from_branch or options.base,
            token=token,
            env=env,
            dest=dest,
            sparse_paths=sparse_patterns(sources),
            authorization=authorization,
        )
    except GitError as exc:
        if exc.kind == "branch-not-found" and from_branch is not None:
            raise ConfigError(_no_branch(from_branch, options.repo is None, url)) from exc
        raise_clone_failure(exc)


def _no_branch(branch: str, local: bool, url: str) -> str:
    """--from-branch names no branch: a --dir CI checkout holds only its own branch (or just
    `origin/BRANCH`), so say the one command that makes it readable."""
    if local:
        return (
            f"--from-branch {branch!r} is not a branch of the clone at {url}; a CI checkout holds only "
            f"its own branch: run 'git fetch origin {branch}:{branch}' first"
        )
    return f"--from-branch {branch!r}: no branch {branch!r} on the repository; check the branch name"


def _checked_out(options: BumpOptions, env: Mapping[str, str]) -> str | None:
    """The branch a --dir clone has checked out (what --to writes), else None."""
    from bumper.errors import WorkspaceError
    from bumper.git.batch import GitReader

    if options.directory is None or not (options.directory / ".git").exists():
        return None
    try:
        reader = GitReader.local(str(options.directory), env)
        head = reader.run(["symbolic-ref", "--quiet", "--short", "HEAD"])
    except WorkspaceError:  # a detached HEAD
        return None
    return head.decode("utf-8", "replace").strip() or None

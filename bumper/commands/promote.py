"""`bumper promote`: read IMAGE's version under --from (a folder, or a branch), then bump exactly
that version under --to through the normal flow: rules, holds, downgrades, PR or commit mode."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bumper.errors import ConfigError, ExitCode
from bumper.options import BumpOptions
from bumper.pathmatch import normalize_all, sparse_patterns
from bumper.promote import check_image, promoted_ref, source_label


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
    from bumper.commands.bump import bump

    image = check_image(image_text)
    sources = normalize_all(from_paths, "--from")
    targets = normalize_all(to_paths, "--to")
    if set(sources) & set(targets) and from_branch is None:
        raise ConfigError(
            "--from and --to name the same path; promote reads one environment and writes another"
        )
    options = BumpOptions.from_cli({**raw, "refs": [f"{image.name}:promote"], "paths": targets})
    if from_branch is not None:
        from bumper.git.refname import validate_branch_name

        validate_branch_name(from_branch)
    label = source_label(sources, from_branch)
    ref = promoted_ref(image, _source_entries(options, sources, from_branch, env), label)
    options = dataclasses.replace(options, refs=[ref], promoted_from=label)
    return bump(options, env, promoted={"from": label, "ref": str(ref)})


def _source_entries(
    options: BumpOptions, sources: tuple[str, ...], from_branch: str | None, env: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every reference `bumper scan` would list under --from: in the --dir tree itself, or in a
    shallow sparse clone of --from-branch (or the --repo base), never a write."""
    if options.repo is None and from_branch is None:
        assert options.directory is not None
        return _read(options.directory, sources, from_branch)
    with tempfile.TemporaryDirectory(prefix="bumper-promote-") as tmp:
        tree = _clone_source(options, sources, from_branch, env, Path(tmp) / "source")
        return _read(tree, sources, from_branch)


def _read(tree: Path, sources: tuple[str, ...], from_branch: str | None) -> list[dict[str, Any]]:
    from bumper.errors import NotFoundError
    from bumper.files import unmatched_globs
    from bumper.inventory import take_inventory

    for glob in unmatched_globs(tree, sources):
        on = f" on branch {from_branch!r}" if from_branch else ""
        raise NotFoundError(
            f"--from {glob!r} matches no YAML file{on}; give paths relative to the tree's root"
        )
    return take_inventory(tree, sources)


def _clone_source(
    options: BumpOptions,
    sources: tuple[str, ...],
    from_branch: str | None,
    env: Mapping[str, str],
    dest: Path,
) -> Path:
    """The source environment's files: --repo's (or the --dir clone's) `from_branch`, else the
    base, cloned shallow and sparse on --from."""
    from bumper.errors import NotFoundError
    from bumper.git.clone import clone
    from bumper.git.errors import GitError

    token = None
    url = options.repo
    if url is not None:
        from bumper.preflight import check_remote

        token = check_remote(options, env).token
    else:
        assert options.directory is not None
        url = str(options.directory)
        if not (options.directory / ".git").exists():
            raise ConfigError(
                f"--from-branch reads a branch of the --dir clone: {options.directory} is not the top of a "
                "git clone; give the clone's top folder"
            )
    try:
        clone(
            url,
            base=from_branch or options.base,
            token=token,
            env=env,
            dest=dest,
            sparse_paths=sparse_patterns(sources),
        )
    except GitError as exc:
        if exc.kind == "branch-not-found":
            raise ConfigError(f"--from-branch {from_branch!r}: {exc.message}") from exc
        if exc.kind == "empty":
            raise NotFoundError(exc.message) from exc
        raise
    return dest

"""`bumper promote`: the one version an environment runs, read from its files, becomes the REF
that the next environment is bumped to (so prod gets exactly staging's tag and digest)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from bumper.changes import Skip, reason_word
from bumper.chart_ref import parse_ref
from bumper.errors import ConfigError, NotFoundError
from bumper.image_ref import ImageRef

_SHOWN = 20  # file:line entries a disagreement lists before "… and N more"


def source_label(from_paths: Sequence[str], from_branch: str | None) -> str:
    """How messages, the PR and JSON `promoted.from` name the source: `PATH`, `BRANCH:PATH`."""
    paths = ", ".join(from_paths)
    return f"{from_branch}:{paths}" if from_branch else paths


def check_image(text: str) -> ImageRef:
    """IMAGE of `bumper promote` is a repository: the version comes from --from, never from it."""
    image = parse_ref(text, version=False)  # an image, or a chart (bumper.chart_ref)
    if image.tag or image.digest:
        raise ConfigError(
            f"promote takes IMAGE without a tag or digest, got {text!r}; the version is read "
            f"under --from, e.g. 'bumper promote {image.name} --from clusters/staging --to clusters/prod'"
        )
    return image


def promoted_ref(
    image: ImageRef,
    entries: Sequence[dict[str, Any]],
    source: str,
    left_alone: Sequence[tuple[str, Skip]] = (),
) -> ImageRef:
    """The single `tag@digest` that every reference to `image` among the scan `entries` carries.

    A reference without a digest agrees with the others' digest of the same tag (a Helm
    `tag:` field cannot hold one); the fields of one reference marked `:name`, `:tag`,
    `:digest` hold one part each and agree. Two digests, two tags, or a digest-only reference
    beside a tagged one do not agree: exit 2 listing every reference.
    """
    found = [e for e in entries if _key(e) == image.key]
    if not found:
        raise _none_found(image, source, [skip for key, skip in left_alone if key == image.key])
    # A marker on one field holds one part: `:name` no version, `:digest` no tag, `:tag` no digest.
    versioned = [e for e in found if e.get("part") != "name"] or found
    tags = {e["tag"] for e in versioned if e.get("part") != "digest"}
    digests = {e["digest"] for e in versioned if e["digest"]}
    tag = next(iter(tags), None)
    if len(tags) > 1 or len(digests) > 1 or (tag is None and not digests):
        listed = [f"{e['file']}:{e['line']}: {e['value']}" for e in found[:_SHOWN]]
        if len(found) > _SHOWN:
            listed.append(f"… and {len(found) - _SHOWN} more")
        raise ConfigError(
            f"the references to {image.name} under {source} do not agree on one version: "
            + "; ".join(listed)
            + "; make them agree, or narrow --from to one environment"
        )
    digest = next(iter(digests), None)
    return image._replace(tag=tag, digest=digest)  # keeps a chart a ChartRef


def _none_found(image: ImageRef, source: str, skips: list[Skip]) -> NotFoundError:
    """Exit 3: no reference under --from; the values naming `image` there that hold no one
    version (a chart range `~1.5`, a `${TAG}` placeholder) are named, and go to JSON `ignored`."""
    if not skips:
        return NotFoundError(
            f"no file under {source} references {image.name}; check --from (and --from-branch), "
            "or run 'bumper scan' there"
        )
    shown = ", ".join(f"{s.file}:{s.line}: {s.value} ({reason_word(s.reason)})" for s in skips[:_SHOWN])
    more = f" … and {len(skips) - _SHOWN} more" if len(skips) > _SHOWN else ""
    error = NotFoundError(
        f"no file under {source} pins one version of {image.name}, only values left alone: {shown}{more}; "
        "pin one version there (a range or placeholder is resolved by another tool), or check --from"
    )
    error.ignored = skips
    return error


def check_apart(image: ImageRef, entries: Sequence[dict[str, Any]], targets: Sequence[str]) -> None:
    """--to must not select a file --from reads (however either is spelled): a promotion that
    writes its own source would report "up to date" and promote nothing. Exit 2 naming them."""
    from bumper.plan.paths import matcher

    selects = matcher(targets, "--to")
    shared = sorted({e["file"] for e in entries if _key(e) == image.key and selects and selects(e["file"])})
    if shared:
        more = f" … and {len(shared) - _SHOWN} more" if len(shared) > _SHOWN else ""
        listed = ", ".join(shared[:_SHOWN]) + more
        raise ConfigError(
            f"--to selects {listed}, which --from reads; promote reads one environment and writes "
            "another: narrow --to, e.g. with a '!' pattern for the source"
        )


def promote_branch(image: ImageRef, to_paths: Sequence[str], explicit_base: str | None = None) -> str:
    """The bot branch of a promotion: its own per target and base, so it never races the bump
    runs of the same image (`bumper/<image>`) nor a promotion to another environment or into
    another branch (`bumper/promote/<base>/<target>/<image>` for a non-default --base, as a
    bump's is: a promotion into release-1 took main's branch, and main's was then `blocked`)."""
    target = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(to_paths))
    # git refuses `..` and a component ending `.lock` in a ref: a folder may hold either.
    target = re.sub(r"\.{2,}", ".", target).strip("-.")
    target = (target[: -len(".lock")] + "-lock" if target.endswith(".lock") else target) or "root"
    if len(target) > 60:
        target = target[:40] + "-" + hashlib.sha256(target.encode()).hexdigest()[:12]
    base = f"{explicit_base}/" if explicit_base else ""
    return f"bumper/promote/{base}{target}/{image.slug()}"


def _key(entry: dict[str, Any]) -> str | None:
    registry, repository = entry.get("registry"), entry.get("repository")
    return f"{registry}/{repository}" if registry and repository else None

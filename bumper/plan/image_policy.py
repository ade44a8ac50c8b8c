"""Flux image automation: `$imagepolicy` markers, the ImagePolicy objects they name, `--image-policy`.

A marker `# {"$imagepolicy": "NAMESPACE:NAME[:tag|:name|:digest]"}` says which part of which
policy's latest image a scalar holds. bumper sets that latest image from `--image-policy`, or,
without it, from a positional REF whose repository the policy watches (through the tree's
`ImagePolicy` and its `ImageRepository`; one without a namespace answers the namespace a marker
names, where no object of that name has one). A marker that resolves to nothing is reported,
never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.changes import Change, Skip
from bumper.errors import ConfigError, ManifestError, PolicyError
from bumper.image_ref import ImageRef, repository_key
from bumper.plan.marker_lines import in_text_block, value_shape_reason
from bumper.plan.needles import API_NEEDLE, MARKER_NEEDLE
from bumper.plan.select import iter_candidates, read_manifest, read_tree
from bumper.plan.versions import Decision, digest_pin_error, is_downgrade
from bumper.shapes.left_alone import PLACEHOLDER, is_placeholder
from bumper.shapes.markers import find_markers, split_policy_marker
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.reference import Ignored, Reference
from bumper.shapes.variants import same_variant
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Plan, Source, compose_all

_API_TEXT = API_NEEDLE.decode()
_API_PREFIX = "image.toolkit.fluxcd.io/"
# Kubernetes names: a namespace is a DNS-1123 label, an object name a DNS-1123 subdomain.
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"


@cache
def _policy_re() -> re.Pattern[str]:
    """Compiled the first time a policy name is read (a run with Flux markers or policies)."""
    return re.compile(rf"{_LABEL}:{_LABEL}(?:\.{_LABEL})*")


_NAME_MAX = 253


def is_policy_name(text: str) -> bool:
    """Whether `text` is `NAMESPACE:NAME` with valid Kubernetes names."""
    return len(text) <= _NAME_MAX + 64 and _policy_re().fullmatch(text) is not None


# --- --image-policy -------------------------------------------------------------------------------


def parse_image_policies(items: Iterable[str]) -> dict[str, ImageRef]:
    """`NAMESPACE:NAME=REF` items -> {policy: latest image}; every problem is a usage error."""
    latest: dict[str, ImageRef] = {}
    for item in items:
        policy, sep, text = item.strip().partition("=")
        if not sep or not is_policy_name(policy):
            raise ConfigError(
                f"invalid --image-policy {item!r}: expected NAMESPACE:NAME=REF with Kubernetes "
                "names, e.g. flux-system:podinfo=ghcr.io/stefanprodan/podinfo:6.5.0"
            )
        ref = ImageRef.parse(text)
        if ref.tag is None and ref.digest is None:
            raise ConfigError(
                f"invalid --image-policy {item!r}: the REF has neither a tag nor a digest; "
                f"give e.g. {policy}={ref.name}:1.2.3"
            )
        if policy in latest and latest[policy] != ref:
            raise ConfigError(
                f"--image-policy {policy} is given twice ({str(latest[policy])!r} and {text!r}); give it once"
            )
        latest[policy] = ref
    return latest


# --- the tree's ImagePolicy and ImageRepository objects ---------------------------------------------


class _Object(NamedTuple):
    """One Flux object: `target` is the ImagePolicy's repository ref or the ImageRepository's image."""

    target: str | None
    file: str
    line: int


@dataclass
class FluxIndex:
    """The tree's ImagePolicy and ImageRepository objects by `namespace:name`."""

    policies: dict[str, list[_Object]] = field(default_factory=dict)
    repositories: dict[str, list[_Object]] = field(default_factory=dict)
    # "Kind/name" -> the objects without metadata.namespace (a Kustomization's targetNamespace
    # gives them one when Flux applies them); a policy's target is `name` when its
    # imageRepositoryRef has no namespace either (the repository is in the policy's namespace)
    unnamespaced: dict[str, list[_Object]] = field(default_factory=dict)
    unparseable: list[str] = field(default_factory=list)  # "file:line: why" of Flux files

    @classmethod
    def from_tree(cls, root: Path, only: frozenset[str] | None = None) -> FluxIndex:
        """Read every manifest of the tree (never narrowed by --path) that names the Flux API."""
        return cls.from_sources(read_tree(root, (API_NEEDLE,), only))

    @classmethod
    def from_sources(cls, sources: Iterable[Source]) -> FluxIndex:
        """The objects in `sources` (files already read); one that does not parse is noted."""
        index = cls()
        for source in sources:
            if _API_TEXT not in source.text:
                continue
            try:
                docs = compose_all(source)
            except ManifestError as exc:
                index.unparseable.append(str(exc))
                continue
            for doc in docs:
                index._add(source, doc)
        return index

    def _add(self, source: Source, doc: Node) -> None:
        if not isinstance(doc, MappingNode):
            return
        if not str(_scalar_at(doc, "apiVersion") or "").startswith(_API_PREFIX):
            return
        kind, name = _scalar_at(doc, "kind"), _scalar_at(doc, "metadata", "name")
        if kind not in ("ImagePolicy", "ImageRepository") or not name:
            return
        namespace = _scalar_at(doc, "metadata", "namespace")
        where = (source.path, doc.start_mark.line + 1)
        if kind == "ImageRepository":
            target = _scalar_at(doc, "spec", "image")
            into = self.repositories.setdefault(f"{namespace}:{name}", []) if namespace else None
        else:
            repo_name = _scalar_at(doc, "spec", "imageRepositoryRef", "name")
            repo_namespace = _scalar_at(doc, "spec", "imageRepositoryRef", "namespace") or namespace
            target = (f"{repo_namespace}:{repo_name}" if repo_namespace else repo_name) if repo_name else None
            into = self.policies.setdefault(f"{namespace}:{name}", []) if namespace else None
        if into is None:
            into = self.unnamespaced.setdefault(f"{kind}/{name}", [])
        into.append(_Object(target, *where))

    def resolve(self, policy: str) -> tuple[str | None, str]:
        """(the image name the policy's ImageRepository watches, as written; else None and why)."""
        if not is_policy_name(policy):
            return None, f"{policy!r} is not NAMESPACE:NAME"
        namespace, _, name = policy.partition(":")
        # An object without metadata.namespace stands in for NAMESPACE:NAME where the tree has
        # none of that name with a namespace: Flux gives it the namespace it is applied to
        # (a Kustomization's targetNamespace, as Flux's d2 layout does), which the marker names.
        found = self.policies.get(policy) or self.unnamespaced.get(f"ImagePolicy/{name}")
        if not found:
            return None, self._missing("ImagePolicy", policy)
        repo, why = _agreed_target(found, f"ImagePolicy {policy}", "spec.imageRepositoryRef.name")
        if repo is None:
            return None, why
        repo = repo if ":" in repo else f"{namespace}:{repo}"
        images = self.repositories.get(repo) or self.unnamespaced.get(
            f"ImageRepository/{repo.partition(':')[2]}"
        )
        if not images:
            at = found[0]
            return None, f"{self._missing('ImageRepository', repo)} (ImagePolicy at {at.file}:{at.line})"
        image, why = _agreed_target(images, f"ImageRepository {repo}", "spec.image")
        if image is None:
            return None, why
        if repository_key(image) is None:
            at = images[0]
            return None, f"ImageRepository at {at.file}:{at.line}: spec.image {image!r} is no image name"
        return image, ""

    def stand_ins(self, marked: Callable[[], Iterable[str]]) -> set[str]:
        """The markers' `NAMESPACE:NAME`s that only an ImagePolicy without a namespace answers."""
        if not any(key.startswith("ImagePolicy/") for key in self.unnamespaced):
            return set()
        return {
            policy
            for policy in marked()
            if policy not in self.policies and f"ImagePolicy/{policy.partition(':')[2]}" in self.unnamespaced
        }

    def _missing(self, kind: str, policy: str) -> str:
        if self.unparseable:  # the object may be in a file that cannot be read
            return f"no {kind} {policy} in the tree (a Flux file does not parse: {self.unparseable[0]})"
        return f"no {kind} {policy} in the tree"


def _agreed_target(found: list[_Object], what: str, key: str) -> tuple[str | None, str]:
    """The one `key` value every definition of `what` names; else None and why (one lacks it,
    or two definitions name different values): a policy is never guessed at."""
    targets = sorted({str(o.target) for o in found if o.target})
    if len(targets) == 1 and all(o.target for o in found):
        return targets[0], ""
    if not targets or len(targets) == 1:
        where = next(o for o in found if not o.target)
        return None, f"{what} at {where.file}:{where.line} has no {key}"
    places = ", ".join(f"{o.file}:{o.line}" for o in sorted(found, key=lambda o: (o.file, o.line)))
    return None, f"{what} is defined with different values of {key} ({places})"


def _scalar_at(node: Node, *path: str) -> str | None:
    """The scalar at the key `path` below the mapping `node`, as text; None where there is none."""
    for key in path:
        if not isinstance(node, MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)  # type: ignore[assignment]
        if node is None:
            return None
    return str(node.value) if isinstance(node, ScalarNode) else None


# --- what a run sets each policy to ------------------------------------------------------------------


@dataclass
class PolicyTable:
    """Each policy's latest image for this run, and (without --image-policy) why others are unknown."""

    latest: dict[str, ImageRef] = field(default_factory=dict)
    index: FluxIndex | None = None  # the tree's objects; None when --image-policy said it all

    @classmethod
    def build(
        cls,
        by_key: Mapping[str, ImageRef],
        image_policies: Mapping[str, ImageRef] | None,
        read_index: Callable[[], FluxIndex],
        marked: Callable[[], Iterable[str]] = tuple,
    ) -> PolicyTable:
        """`--image-policy` as given; without it, the policies (of the index `read_index`
        returns) that watch a REF's repository. `marked` gives the policies the run's markers
        name: one without a namespace in the tree is known only by them."""
        if image_policies:
            return cls(dict(image_policies))
        if not by_key:
            return cls()
        index = read_index()
        table = cls(index=index)
        for policy in sorted({*index.policies, *index.stand_ins(marked)}):
            image, _ = index.resolve(policy)
            ref = by_key.get(repository_key(image) or "") if image else None
            if image is not None and ref is not None:
                table.latest[policy] = ImageRef(image, ref.registry, ref.repository, ref.tag, ref.digest)
        return table

    def needles(self) -> tuple[str, ...]:
        """What a file must contain to hold a marker this run may rewrite."""
        return ("$imagepolicy",) if self.latest else ()

    def unresolved(self, ref: PolicyRef) -> str | None:
        """Why the marker's policy resolves to no image (None when it resolves, or when
        --image-policy simply did not name it)."""
        if self.index is None:
            return None
        image, why = self.index.resolve(ref.policy)
        return None if image is not None else why


# --- markers that resolve to nothing (for `bumper check`, `scan`) ------------------------------------


class Unresolved(NamedTuple):
    """A marker comment that resolves to no image, and why."""

    file: str
    line: int
    marker: str  # `$bumper` or `$imagepolicy`
    target: str  # what the marker names
    reason: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.marker} {self.target!r} resolves to no image: {self.reason}"


def marked_policies(sources: Iterable[Source]) -> set[str]:
    """The `NAMESPACE:NAME` of every `$imagepolicy` marker in `sources`."""
    return {
        target
        for source in sources
        if MARKER_NEEDLE.decode() in source.text
        for target, _part, kind in find_markers(source).values()
        if kind == "imagepolicy"
    }


def not_found_hint(unresolved: list[Unresolved]) -> str:
    """A clause for exit 3: the markers that might have been meant but resolve to nothing."""
    if not unresolved:
        return ""
    first = unresolved[0]
    advice = ""
    if not first.reason.startswith("the value on this line"):
        advice = (
            "; add the ImagePolicy and ImageRepository, or pass "
            f"--image-policy {split_policy_marker(first.target)[0]}=REF"
        )
    return (
        f" ({len(unresolved)} $imagepolicy marker(s) resolve to no image, e.g. {first.file}:{first.line} "
        f"{first.target!r}: {first.reason}{advice})"
    )


def unresolved_markers(
    root: Path,
    globs: tuple[str, ...] = (),
    index: FluxIndex | None = None,
    named: tuple[tuple[str, ...], ...] = (),
) -> list[Unresolved]:
    """Every marker under `root` (within `globs`; hidden files where `globs` or `named`, the
    `.bumper.yaml` rules' paths, name them) that names no usable image; files that do not parse
    are left to the caller, which reports them on their own."""
    found: list[Unresolved] = []
    for candidate in iter_candidates(root, globs, named=named):
        if candidate.reason is not None:
            continue
        source, _ = read_manifest(candidate, (b"$bumper", MARKER_NEEDLE))
        if source is None:
            continue
        notes: list[Ignored] = []
        try:
            docs = compose_all(source)
            refs = find_references(source, docs, notes)
        except ManifestError:
            continue
        if index is None and any(isinstance(r, PolicyRef) for r in refs):
            index = FluxIndex.from_tree(root)
        found.extend(unresolved_in(source, docs, refs, index, notes))
    return found


def unresolved_in(
    source: Source,
    docs: list[Node],
    refs: list[Reference],
    index: FluxIndex | None,
    notes: Sequence[Ignored] = (),
) -> list[Unresolved]:
    """The file's markers that resolve to nothing: no usable scalar, or a policy not in `index`
    (`notes`: the values the file's walk left alone)."""
    found = markers_without_value(source, docs, refs, notes)
    for ref in refs:
        if isinstance(ref, PolicyRef) and index is not None:
            image, why = index.resolve(ref.policy)
            if image is None:
                found.append(Unresolved(source.path, ref.line, "$imagepolicy", ref.target, why))
    return sorted(found, key=lambda u: u.line)


def markers_without_value(
    source: Source, docs: list[Node], refs: list[Reference], notes: Sequence[Ignored] = ()
) -> list[Unresolved]:
    """The file's markers on a line with no single scalar they could set (`docs`: the file
    composed), and why. A marked placeholder (`tag: changeme`, listed `placeholder` in `notes`)
    is the scalar the marker sets once a real tag is written there: no problem."""
    marked = {r.line for r in refs if r.shape == "marker"}
    marked |= {note.line for note in notes if note.reason == PLACEHOLDER}
    found = []
    read_as_yaml = {id(block.node) for ref in refs for block in ref.blocks()}  # shapes/embedded.py
    for line0, (target, part, kind) in sorted(find_markers(source).items()):
        if line0 + 1 in marked:
            continue
        named = target if part == "whole" else f"{target}:{part}"
        reason = (
            value_shape_reason(docs, line0)
            or in_text_block(docs, line0, read_as_yaml)
            or "no scalar value on this line"
        )
        if (kind == "bumper" or part in ("digest", "tag")) and reason.startswith("no scalar"):
            what = "reference" if part == "whole" else part
            reason = f"the value on this line is no {what} of {target}"
        found.append(Unresolved(source.path, line0 + 1, f"${kind}", named, reason))
    return found


def held_on_branch(found: Iterable[Reference], latest: Mapping[str, ImageRef]) -> dict[str, ImageRef]:
    """Per policy, the image its marked fields on the bot branch hold, where that is newer than
    `latest` (so a rerun with an older image does not take the open PR backwards)."""
    found = list(found)
    digests = {r.policy: r.value for r in found if isinstance(r, PolicyRef) and r.part == "digest"}
    held: dict[str, ImageRef] = {}
    for ref in found:
        if not isinstance(ref, PolicyRef) or ref.policy not in latest:
            continue
        want = held.get(ref.policy, latest[ref.policy])
        if ref.part == "whole" and ref.ref.key == want.key:
            tag, digest = ref.ref.tag, ref.ref.digest
        elif ref.part == "tag":
            tag, digest = ref.value, digests.get(ref.policy)
        else:
            continue
        if is_downgrade(tag, want.tag):
            held[ref.policy] = want._replace(tag=tag, digest=digest)
    return held


def decide_marked(
    ref: PolicyRef, latest: ImageRef, *, allow_downgrade: bool, where: tuple[str, int]
) -> Decision:
    """Flux's setter semantics plus bumper's rules: same variant, no downgrade, no stale digest."""
    wanted = ref.wanted(latest)
    if wanted is None and ref.part == "digest":
        raise PolicyError(
            f"marked {ref.policy}:digest but the policy's REF {str(latest)!r} has no digest; "
            "give it as NAME:TAG@sha256:<digest>",
            file=where[0],
            line=where[1],
        )
    if wanted is None:
        return Decision(False, "ref-has-no-tag")
    if wanted == ref.value:
        return Decision(False, "up-to-date")
    now = _tag_now(ref, latest)
    if now and is_placeholder(now.partition("@")[0]):  # `tag: changeme`, `${TAG}`: as $bumper's
        return Decision(False, "placeholder")
    if not same_variant(now, latest.tag):
        return Decision(False, "variant")
    if not allow_downgrade:
        if ref.part == "tag" and is_downgrade(ref.value, latest.tag):
            return Decision(False, "downgrade")
        if ref.part == "whole" and ref.ref.key == latest.key and is_downgrade(ref.ref.tag, latest.tag):
            return Decision(False, "downgrade")
    pinned = ref.pinned_digest  # a digest pin is never dropped nor left under another tag
    if pinned is not None and latest.digest is None:
        raise digest_pin_error(where, (ref.value, str(latest)), pinned)
    return Decision(True)


def _tag_now(ref: PolicyRef, latest: ImageRef) -> str | None:
    """The tag the scalar holds now, where the policy's image has one to replace it."""
    if ref.part == "tag":
        return ref.value
    return ref.ref.tag if ref.part == "whole" and ref.ref.key == latest.key else None


def plan_marked(
    ref: PolicyRef, edits: Plan, source: Source, latest: ImageRef, *, allow_downgrade: bool
) -> Change | Skip:
    """Decide and, when it applies, add the edit; the record names whole references."""
    decision = decide_marked(ref, latest, allow_downgrade=allow_downgrade, where=(source.path, ref.line))
    old = ref.describe(latest, ref.value)
    if not decision.apply:
        return Skip(source.path, ref.line, ref.shape, old, decision.reason or "")
    new = ref.describe(latest, ref.rewrite(edits, source, latest))
    return Change(source.path, ref.line, ref.shape, old, new)

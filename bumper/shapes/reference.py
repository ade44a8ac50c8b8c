"""What a found reference is and how each kind is rewritten: whole scalars, Helm maps, kustomize entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.image_ref import ImageRef
from bumper.yaml_edit import Plan, Source, scalar_start


class Ignored(NamedTuple):
    """A value that looks like part of a reference but is not one bumper may rewrite, and why."""

    line: int
    shape: str
    value: str
    reason: str
    key: str | None  # the normalized repository when known, so a bump lists only its own
    # (line, value, key) of the other scalars of a map left alone as a whole (an `ambiguous`
    # map's digest, registry, name): an edit reaching one through an anchor moves that map too
    also: tuple[tuple[int, str, str], ...] = ()


IgnoreFn = Callable[[Ignored], None]  # where a shape notes a value it leaves alone


class Block(NamedTuple):
    """A block string read as YAML (shapes/embedded.py): the scalar in the document around it,
    the document it holds, and what to add to that document's line numbers for the file's."""

    node: ScalarNode
    source: Source
    docs: list[Node]
    shift: int


@dataclass
class Reference:
    """One image reference found in a file: where it is, what it says, and how to rewrite it."""

    shape: str
    node: ScalarNode  # the scalar a bump rewrites; line/column point here
    ref: ImageRef  # what the file says now, `name` spelled as in the file
    # The other scalars it is written in (a Helm map's `repository`, `registry`; a kustomize
    # entry's `name`, `newName`; an Argo CD parameter's `name`): a hold on any of their lines
    # holds the reference (plan/holds.py).
    name_nodes: tuple[ScalarNode, ...] = ()

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    @property
    def hold_line(self) -> int:
        """The line whose `# bumper: hold` comment holds it (a CEL literal's is its expression's
        YAML line: a comment inside the string would be CEL)."""
        return self.line

    @property
    def position(self) -> int:
        """Where the reference starts in the file's text (orders the report)."""
        return self.node.start_mark.index

    def column(self, source: Source) -> int:
        """1-based column of the scalar's own text (after any anchor or tag)."""
        return (
            self.node.start_mark.column
            + 1
            + scalar_start(source.text, self.node)
            - self.node.start_mark.index
        )

    @property
    def value(self) -> str:
        return str(self.ref)

    @property
    def holds_digest(self) -> bool:
        """Whether the file has a place for a digest here (a Helm map without a `digest` key
        has none: its chart renders only the keys it knows)."""
        return True

    @property
    def holds_tag(self) -> bool:
        """Whether the file has a place for a tag here (a map pinning by digest alone, MinIO's
        `repository: REPO@sha256` + `digest:`, has none: the digest decides what it runs)."""
        return True

    @property
    def inherits_tag(self) -> bool:
        """Whether the tag this reference runs is written elsewhere (a kustomize entry without
        newTag takes its base's): a bump adds one here."""
        return False

    @property
    def untagged_runs(self) -> str | None:
        """When the file writes no tag here, a tag with the variant the reference runs all the
        same (judged by bumper.shapes.variants against the REF's); None when that is not known."""
        return None

    @property
    def inherits_from(self) -> ImageRef | None:
        """The image whose references in the tree hold the tag this one runs, when it is another
        image (a kustomize entry renaming `name` to `newName`); None: this reference's own."""
        return None

    def moves_with(self) -> tuple[Node, ...]:
        """The nodes besides `node` that a rewrite may change or must move with (a digest beside
        the tag, a kustomize entry gaining a key, the `image:` a `version:` repeats the tag of):
        a hold on any of them holds the reference (plan/holds.py). None here."""
        return ()

    def shared_text(self) -> tuple[Node, ...]:
        """The nodes whose text its edit changes besides `moves_with`'s, without moving with
        what else they hold (a CEL expression naming other images): a hold on any use of one,
        an alias of it, holds the reference (plan/holds.py). None here."""
        return ()

    def tied(self) -> ScalarNode | None:
        """The whole `image:` whose tag this reference repeats and moves with, never without."""
        return None

    def runs_image(self) -> str | None:
        """The image its line runs when that is not `ref`'s (a marked tag in a mirror's map
        tracking the upstream's tags): a hold rule naming it holds the reference too."""
        return None

    def innermost(self) -> Reference:
        """The reference as its shape found it: itself, or for one inside YAML held in a block
        string (shapes/embedded.py), the inner document's (its kind and the scalars it moves with)."""
        return self

    def blocks(self) -> list[Block]:
        """The block strings holding this reference, outermost first (none outside one)."""
        return []

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        """Add the edits moving this reference to `new`'s version; return the new value,
        or None when the file has no place for what `new` changes."""
        raise NotImplementedError

    def new_ref(self, new: ImageRef) -> ImageRef:
        return self.ref._replace(tag=new.tag, digest=new.digest)


@dataclass
class WholeRef(Reference):
    """A scalar holding a whole reference (`image: repo:tag`, a marker, an Argo CD string)."""

    prefix: str = ""  # Argo CD's `alias=` before the reference

    @property
    def untagged_runs(self) -> str | None:
        """`image: postgres` runs `latest`: no variant, so an alpine REF is another variant. Only
        a workload's `image:` is known to (an Argo CD kustomize or Helm string may take its tag
        from the chart or the base)."""
        untagged = self.ref.tag is None and self.ref.digest is None
        return "latest" if untagged and self.shape in ("container", "image-volume") else None

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        moved = self.new_ref(new)
        plan.replace(source, self.node, self.prefix + str(moved))
        return str(moved)


@dataclass
class SplitRef(Reference):
    """A reference spread over several scalars: the name in one, the tag in `node` (which may
    hold `tag@digest`, Renovate's digest pinning), the digest maybe in its own scalar."""

    digest_node: ScalarNode | None = None
    digest_in_tag: bool = False
    # The map's `variant:` that its chart appends to the version it runs for an empty tag
    # (VictoriaMetrics' `{tag: "", variant: cluster}` runs APPVERSION-cluster).
    appended_variant: str | None = None

    @property
    def holds_digest(self) -> bool:
        return self.digest_in_tag or self.digest_node is not None

    @property
    def untagged_runs(self) -> str | None:
        """An empty tag runs the chart's appVersion, a release with no variant of its own (plus
        the `variant:` the chart appends): a REF of another variant written there changes what
        every release of the chart runs (opentelemetry-demo appends each component's name)."""
        return f"latest-{self.appended_variant}" if self.appended_variant else "latest"

    def moves_with(self) -> tuple[Node, ...]:
        return () if self.digest_node is None else (self.digest_node,)

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        tag = new.tag if new.tag is not None else self.ref.tag
        if self.digest_in_tag:
            # policy.decide already refused a REF without a digest here (no stale digest)
            moved = self.ref._replace(tag=tag, digest=new.digest or self.ref.digest)
            plan.replace(source, self.node, f"{moved.tag}@{moved.digest}")
            return str(moved)
        wrote = False
        if new.tag is not None:
            self.write_tag(plan, source, new.tag)
            wrote = True
        digest = None
        if new.digest is not None:
            digest = new.digest if self.write_digest(plan, source, new.digest) else None
            wrote = wrote or digest is not None
        return str(self.ref._replace(tag=tag, digest=digest)) if wrote else None

    def write_tag(self, plan: Plan, source: Source, tag: str) -> None:
        plan.replace(source, self.node, tag)

    def write_digest(self, plan: Plan, source: Source, digest: str) -> bool:
        """Write the digest where the file keeps one; False when it keeps none (Helm charts
        render only the keys they know)."""
        if self.digest_node is None:
            return False
        plan.replace(source, self.digest_node, digest)
        return True


@dataclass
class BareDigestRef(SplitRef):
    """A Helm map pinning by digest alone, its algorithm in `repository` (`quay.io/minio/minio@sha256`)
    and `digest` holding the hex (`node`), as MinIO's charts render `repository:digest`: a bump
    writes the hex of the REF's digest there, and a REF's other algorithm at the end of
    `repository` (`algorithm_node`); there is no tag to write."""

    algorithm_node: ScalarNode | None = None

    def moves_with(self) -> tuple[Node, ...]:
        return () if self.algorithm_node is None else (self.algorithm_node,)

    @property
    def holds_digest(self) -> bool:
        return True

    @property
    def holds_tag(self) -> bool:
        return False

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        algorithm, _, hex_part = (new.digest or "").partition(":")
        if not hex_part or self.algorithm_node is None:
            return None  # no digest in REF (refused before)
        if not (self.ref.digest or "").startswith(f"{algorithm}:"):  # `@sha512` and a sha256 REF
            name, _, _ = str(self.algorithm_node.value).rpartition("@")
            plan.replace(source, self.algorithm_node, f"{name}@{algorithm}")
        plan.replace(source, self.node, hex_part)
        return str(self.ref._replace(digest=new.digest))


@dataclass
class RepeatedTagRef(SplitRef):
    """A `version:` (or `tag:`) repeating the tag of the whole `image:` beside it, which it moves
    with; `ref` carries the image's tag, so both are judged alike. `bare`: the field writes that
    tag without its leading `v` (kube-prometheus's `image: …prometheus:v2.54.1` + `version: 2.54.1`)."""

    bare: bool = False
    # The whole `image:` this tag must move with, never without: a hold (or anything refusing
    # one) holds both (plan/holds.py).
    tied_node: ScalarNode | None = None

    def moves_with(self) -> tuple[Node, ...]:
        return (*super().moves_with(), *((self.tied_node,) if self.tied_node is not None else ()))

    def tied(self) -> ScalarNode | None:
        return self.tied_node

    def write_tag(self, plan: Plan, source: Source, tag: str) -> None:
        plan.replace(source, self.node, tag.removeprefix("v") if self.bare else tag)


@dataclass
class KustomizeRef(SplitRef):
    """A kustomize `images:` entry; `node` is newTag, or the name when newTag is absent."""

    mapping: MappingNode | None = None
    tag_node: ScalarNode | None = None
    last_value: Node | None = None  # the entry's last name/newName/newTag value
    renamed_from: ImageRef | None = None  # `name`, when `newName` names another image

    @property
    def holds_digest(self) -> bool:
        return True  # a `digest:` key is added to the entry when it has none

    @property
    def inherits_tag(self) -> bool:
        return self.tag_node is None

    def moves_with(self) -> tuple[Node, ...]:
        """The digest and newTag, or the entry itself while it has no newTag (one is added)."""
        added: Node | None = self.tag_node if self.tag_node is not None else self.mapping
        return (*super().moves_with(), *((added,) if added is not None else ()))

    @property
    def inherits_from(self) -> ImageRef | None:
        return self.renamed_from

    def write_tag(self, plan: Plan, source: Source, tag: str) -> None:
        assert self.mapping is not None and self.last_value is not None
        if self.tag_node is not None:
            plan.replace(source, self.tag_node, tag)
        else:
            plan.insert_key(source, self.mapping, self.last_value, "newTag", tag)

    def write_digest(self, plan: Plan, source: Source, digest: str) -> bool:
        assert self.mapping is not None and self.last_value is not None
        if not super().write_digest(plan, source, digest):
            plan.insert_key(source, self.mapping, self.last_value, "digest", digest)
        return True

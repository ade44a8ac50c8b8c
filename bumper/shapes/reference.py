"""What a found reference is and how each kind is rewritten: whole scalars, Helm maps, kustomize entries."""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.image_ref import ImageRef
from bumper.yaml_edit import Plan, Source, scalar_start


@dataclass
class Reference:
    """One image reference found in a file: where it is, what it says, and how to rewrite it."""

    shape: str
    node: ScalarNode  # the scalar a bump rewrites; line/column point here
    ref: ImageRef  # what the file says now, `name` spelled as in the file

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

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

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        """Add the edits moving this reference to `new`'s version; return the new value."""
        raise NotImplementedError

    def new_ref(self, new: ImageRef) -> ImageRef:
        return self.ref._replace(tag=new.tag, digest=new.digest)


@dataclass
class WholeRef(Reference):
    """A scalar holding a whole reference (`image: repo:tag`, a marker, an Argo CD string)."""

    prefix: str = ""  # Argo CD's `alias=` before the reference

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        plan.replace(source, self.node, self.prefix + str(moved))
        return str(moved)


@dataclass
class HelmRef(Reference):
    """A Helm values map `{registry?, repository, tag, digest?}`."""

    mapping: MappingNode | None = None
    digest_node: ScalarNode | None = None

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        if new.tag is not None:
            plan.replace(source, self.node, new.tag)
        elif self.digest_node is None:
            moved = moved._replace(tag=self.ref.tag)
        if new.digest is not None and self.digest_node is not None:
            plan.replace(source, self.digest_node, new.digest)
        elif self.digest_node is None:
            moved = moved._replace(digest=None)
        return str(moved)


@dataclass
class KustomizeRef(Reference):
    """A kustomize `images:` entry; `node` is newTag, or the name when newTag is absent."""

    mapping: MappingNode | None = None
    tag_node: ScalarNode | None = None
    digest_node: ScalarNode | None = None
    last_value: Node | None = None  # the entry's last name/newName/newTag value

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        assert self.mapping is not None and self.last_value is not None
        moved = self.new_ref(new)
        if new.tag is None:
            moved = moved._replace(tag=self.ref.tag)
        elif self.tag_node is not None:
            plan.replace(source, self.tag_node, new.tag)
        else:
            plan.insert_key(source, self.mapping, self.last_value, "newTag", new.tag)
        if new.digest is not None:
            if self.digest_node is not None:
                plan.replace(source, self.digest_node, new.digest)
            else:
                plan.insert_key(source, self.mapping, self.last_value, "digest", new.digest)
        return str(moved)

"""Shape `marker` (Flux's kind): a scalar on a line ending with `# {"$imagepolicy": "NS:NAME[:part]"}`
holds that part of the policy's latest image; the planner decides it (bumper.plan.image_policy).

Flux's own image-automation objects (ImageRepository, ImagePolicy) name a repository to watch,
not an image to run: their documents are skipped."""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import ScalarNode

from bumper.image_ref import ImageRef, repository_key
from bumper.shapes.markers import MarkedPart, not_a_digest
from bumper.shapes.reference import IgnoreFn
from bumper.shapes.shape import SKIP, Shape
from bumper.yaml_edit import Plan, Source

_AUTOMATION_API_PREFIX = "image.toolkit.fluxcd.io/"


@dataclass
class PolicyRef(MarkedPart):
    """A scalar marked with `$imagepolicy`: it holds `part` of `policy`'s latest image.

    `ref` is what the scalar says as far as it can be read (a whole reference parses; a tag,
    digest or name alone names no repository until its policy is resolved).
    """

    policy: str = ""
    part: str = "whole"  # whole, tag, name or digest

    @property
    def pinned_digest(self) -> str | None:
        """The digest this scalar's reference is pinned by: a whole reference's, or a marked
        tag's unmarked `digest:` beside it; None when unpinned."""
        if self.part == "whole":
            return self.ref.digest
        if self.part == "tag" and self.digest_node is not None:
            return str(self.digest_node.value)
        return None

    @property
    def value(self) -> str:
        return str(self.node.value)

    @property
    def target(self) -> str:
        """The marker's text: `NAMESPACE:NAME` or `NAMESPACE:NAME:PART`."""
        return self.policy if self.part == "whole" else f"{self.policy}:{self.part}"

    def wanted(self, latest: ImageRef) -> str | None:
        """This scalar's part of the policy's latest image (None: the image has no such part)."""
        if self.part == "whole":
            return str(latest)
        if self.part == "name":
            return latest.name
        return latest.tag if self.part == "tag" else latest.digest

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        wanted = self.wanted(new)
        assert wanted is not None  # bumper.plan.image_policy.decide_marked skipped or refused the others
        plan.replace(source, self.node, wanted)
        if self.part == "tag" and self.digest_node is not None and new.digest is not None:
            plan.replace(source, self.digest_node, new.digest)
        return wanted

    def describe(self, latest: ImageRef, value: str) -> str:
        """A tag or digest as a reference of the policy's image: a bare `v1.2.3` in the PR
        table or a commit trailer would name no image."""
        if self.part == "tag":
            return f"{latest.name}:{value}"
        return f"{latest.name}@{value}" if self.part == "digest" else value


def policy_ref(node: ScalarNode, target: str, part: str) -> PolicyRef:
    """The reference for a scalar carrying `{"$imagepolicy": target}`; `part` as parsed."""
    text = str(node.value)
    ref = ImageRef("", "", "", None, None)
    if part == "whole":
        ref = ImageRef.try_parse(text) or ref
    elif part == "name":
        key = repository_key(text)
        if key is not None:
            registry, _, repository = key.partition("/")
            ref = ImageRef(text, registry, repository, None, None)
    elif part == "tag":
        ref = ref._replace(tag=text or None)
    else:
        ref = ref._replace(digest=text or None)
    return PolicyRef("marker", node, ref, policy=target, part=part)


def marked(node: ScalarNode, target: str, part: str, ignore: IgnoreFn) -> PolicyRef | None:
    """The reference for a scalar marked `{"$imagepolicy": target}` (None: a digest part
    holding no digest, noted)."""
    if part == "digest" and not_a_digest(node, None, ignore):
        return None
    return policy_ref(node, target, part)


def root(api: str, file_name: str) -> str | None:
    return SKIP if api.startswith(_AUTOMATION_API_PREFIX) else None


SHAPE = Shape("flux-marker", root=root, marker_kind="imagepolicy", marked=marked)

"""A scalar marked with Flux's `$imagepolicy`: which part of the policy's latest image it holds."""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import ScalarNode

from bumper.changes import Change, Skip
from bumper.errors import PolicyError
from bumper.image_ref import ImageRef, repository_key
from bumper.plan.variants import same_variant
from bumper.plan.versions import Decision, is_downgrade
from bumper.shapes.reference import Reference
from bumper.yaml_edit import Plan, Source


@dataclass
class PolicyRef(Reference):
    """A scalar marked with `$imagepolicy`: it holds `part` of `policy`'s latest image.

    `ref` is what the scalar says as far as it can be read (a whole reference parses; a tag,
    digest or name alone names no repository until its policy is resolved).
    """

    policy: str = ""
    part: str = "whole"  # whole, tag, name or digest

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

    def decide(self, latest: ImageRef, *, allow_downgrade: bool, where: tuple[str, int]) -> Decision:
        """Flux's setter semantics plus bumper's rules: same variant, no downgrade, no stale digest."""
        wanted = self.wanted(latest)
        if wanted is None and self.part == "digest":
            raise PolicyError(
                f"marked {self.policy}:digest but the policy's REF {str(latest)!r} has no digest; "
                "give it as NAME:TAG@sha256:<digest>",
                file=where[0],
                line=where[1],
            )
        if wanted is None:
            return Decision(False, "ref-has-no-tag")
        if wanted == self.value:
            return Decision(False, "up-to-date")
        if not same_variant(self._tag(latest), latest.tag):
            return Decision(False, "variant")
        if allow_downgrade:
            return Decision(True)
        if self.part == "tag" and is_downgrade(self.value, latest.tag):
            return Decision(False, "downgrade")
        if self.part == "whole" and self.ref.key == latest.key and is_downgrade(self.ref.tag, latest.tag):
            return Decision(False, "downgrade")
        return Decision(True)

    def _tag(self, latest: ImageRef) -> str | None:
        """The tag this scalar holds now, where the policy's image has one to replace it."""
        if self.part == "tag":
            return self.value
        return self.ref.tag if self.part == "whole" and self.ref.key == latest.key else None

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        wanted = self.wanted(new)
        assert wanted is not None  # decide() skipped or refused the others
        plan.replace(source, self.node, wanted)
        return wanted

    def plan(self, edits: Plan, source: Source, latest: ImageRef, *, allow_downgrade: bool) -> Change | Skip:
        """Decide and, when it applies, add the edit; the record names whole references."""
        decision = self.decide(latest, allow_downgrade=allow_downgrade, where=(source.path, self.line))
        old = self.describe(latest, self.value)
        if not decision.apply:
            return Skip(source.path, self.line, self.shape, old, decision.reason or "")
        new = self.describe(latest, self.rewrite(edits, source, latest))
        return Change(source.path, self.line, self.shape, old, new)

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

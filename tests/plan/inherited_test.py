"""bumper.plan.inherited: which kustomize entries without newTag get none, and the reason given."""

from __future__ import annotations

from bumper.changes import Skip
from bumper.plan.file import FileOutcome
from bumper.plan.inherited import overridden

KEY = "ghcr.io/acme/app"


def _base(reason: str, value: str = "ghcr.io/acme/app:1.0.0-alpine") -> FileOutcome:
    return FileOutcome(skipped=[Skip("base/deployment.yaml", 10, "container", value, reason)])


def _overlay(key: str = KEY, by_digest: bool = False) -> FileOutcome:
    return FileOutcome(inherited=[("overlay/kustomization.yaml", 4, key, by_digest)])


def test_an_entry_over_a_refused_base_gets_the_bases_reason_and_place() -> None:
    reason = (
        "variant: the entry has no newTag, so it runs the tag of "
        "base/deployment.yaml:10 (ghcr.io/acme/app:1.0.0-alpine), which is not moved"
    )
    assert overridden([_base("variant"), _overlay()]) == {
        ("overlay/kustomization.yaml", 4): Skip("overlay/kustomization.yaml", 4, None, None, reason)
    }


def test_a_hold_on_the_base_holds_the_entry_that_runs_its_tag() -> None:
    """A `# bumper: hold` or a rule on the base: the overlay renders the base's tag, so it is
    held too, by the same rule."""
    held = FileOutcome(
        skipped=[Skip("base/deployment.yaml", 10, "container", "ghcr.io/acme/app:1.0.0", "held", "line 10")]
    )
    skip = overridden([held, _overlay()])[("overlay/kustomization.yaml", 4)]
    assert (skip.reason.split(":")[0], skip.rule) == ("held", "line 10")


def test_the_order_of_the_files_does_not_matter() -> None:
    assert list(overridden([_overlay(), _base("downgrade")])) == [("overlay/kustomization.yaml", 4)]


def test_docker_hub_spellings_are_one_image() -> None:
    base = _base("variant", "nginx:1.25-alpine")
    assert list(overridden([base, _overlay("docker.io/library/nginx")])) == [
        ("overlay/kustomization.yaml", 4)
    ]


def test_other_reasons_and_other_images_leave_the_entry_to_be_bumped() -> None:
    """Up to date, a digest elsewhere, or another image: the entry's own rules decide."""
    assert overridden([_base("up-to-date"), _base("no-digest-field"), _overlay()]) == {}
    assert overridden([_base("variant"), _overlay("ghcr.io/acme/other")]) == {}


def test_an_entry_pinned_by_digest_alone_says_it_was_judged_by_another_reference() -> None:
    """`{name, digest}` renders NAME@DIGEST: no base's tag runs, so the reason never claims one
    does; it names the reference the entry was judged by, and what to write to be judged alone."""
    skip = overridden([_base("variant"), _overlay(by_digest=True)])[("overlay/kustomization.yaml", 4)]
    assert skip.reason == (
        "variant: the entry pins the image by digest alone (no newTag), so bumper cannot read the "
        "variant or version it runs; it judged it by base/deployment.yaml:10 "
        "(ghcr.io/acme/app:1.0.0-alpine), another reference of this image in the tree, which is not "
        "moved; write the tag of the entry's digest as its newTag for bumper to judge the entry on its own"
    )
    assert "runs the tag of" not in skip.reason

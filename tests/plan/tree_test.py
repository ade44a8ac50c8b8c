"""plan_tree's TreePlan is never edited once planned: what a flow adds comes back as a new plan."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bumper.changes import Skip
from bumper.image_ref import ImageRef
from bumper.plan.tree import TreePlan, TreeRequest, plan_tree


def _plan(tmp_path: Path, *files: tuple[str, str]) -> TreePlan:
    for name, text in files:
        (tmp_path / name).write_text(text)
    return plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v2.0.0")]))


def test_a_planned_tree_cannot_be_edited(tmp_path: Path) -> None:
    plan = _plan(tmp_path, ("a.yaml", "image: ghcr.io/acme/app:v1.0.0\n"))
    assert [c.new for c in plan.changes] == ["ghcr.io/acme/app:v2.0.0"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.verified = ["ok"]  # type: ignore[misc]


def test_the_methods_return_a_new_plan_and_leave_the_old_one(tmp_path: Path) -> None:
    plan = _plan(tmp_path, ("a.yaml", "image: ghcr.io/acme/app:v1.0.0\n"))
    skip = Skip("b.yaml", 1, "ghcr.io/acme/app:v3.0.0", "ghcr.io/acme/app:v2.0.0", "downgrade")
    verified = plan.verified_by(["verdict"]).with_skips([skip])
    assert (verified.verified, verified.skipped) == (["verdict"], [skip])
    assert (plan.verified, plan.skipped) == ([], [])
    assert verified.without_changes().changes == [] and len(verified.changes) == 1


def test_the_direct_half_comes_first(tmp_path: Path) -> None:
    (tmp_path / "pr").mkdir()
    (tmp_path / "direct").mkdir()
    pr = _plan(tmp_path / "pr", ("a.yaml", "image: ghcr.io/acme/app:v1.0.0\n"))
    direct = _plan(tmp_path / "direct", ("b.yaml", "image: ghcr.io/acme/app:v1.5.0\n")).verified_by(["d"])
    both = pr.verified_by(["p"]).after(direct, changes=True)
    assert [c.file for c in both.changes] == ["b.yaml", "a.yaml"]
    assert [e.relpath for e in both.edits] == ["b.yaml", "a.yaml"]
    assert both.verified == ["d", "p"]
    only_verdicts = pr.after(direct, changes=False)
    assert [c.file for c in only_verdicts.changes] == ["a.yaml"] and only_verdicts.verified == ["d"]

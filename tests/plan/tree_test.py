"""plan_tree's TreePlan is never edited once planned: what a flow adds comes back as a new plan; write_all
never overwrites a file changed on disk since its plan (--dir)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bumper.changes import Skip
from bumper.errors import WorkspaceError
from bumper.image_ref import ImageRef
from bumper.plan.tree import TreePlan, TreeRequest, plan_tree, write_all


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


def _two_files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_bytes(b"image: ghcr.io/acme/app:v1.0.0\n")
    b.write_bytes(b"image: ghcr.io/acme/app:v1.0.0  # b\n")
    return a, b


@pytest.mark.parametrize("meanwhile", [b"image: ghcr.io/acme/app:v1.0.0\nreplicas: 3\n", None])
def test_a_file_changed_on_disk_after_its_plan_is_never_overwritten(
    tmp_path: Path, meanwhile: bytes | None
) -> None:
    """--dir: a person's save (or a removal) between the plan and the write fails the run with
    every file as it was, and no temporary file left behind."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    if meanwhile is None:
        b.unlink()
    else:
        b.write_bytes(meanwhile)
    said = (
        r"^b\.yaml changed on disk while bumper planned its edit" if meanwhile else r"b\.yaml: No such file"
    )
    with pytest.raises(WorkspaceError, match=said):
        write_all(plan.edits, recheck=True)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"
    assert (b.read_bytes() if b.exists() else None) == meanwhile
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"] + (["b.yaml"] if meanwhile else [])


def test_files_as_planned_are_written(tmp_path: Path) -> None:
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    write_all(plan.edits, recheck=True)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.2.0\n"
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.2.0  # b\n"

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


def test_files_found_by_an_escape_alone_are_listed_only_when_it_spells_the_image(tmp_path: Path) -> None:
    """A bump also searches for the escapes of its names' characters (`\\u002f`, `\\x61`: a
    name may be spelled with them): a file holding another (`\\u0041`) is none of the run's, so
    neither a hidden file or a chart template (listed only when they mention the run's images)
    nor a binary or non-UTF-8 file is listed; a hidden one spelling the image escaped is, and a
    plain file so is bumped."""
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "Chart.yaml").write_text("name: chart\n")
    (tmp_path / ".hidden" / "other.yaml").write_text('x: "\\u0041"\n')
    (tmp_path / ".hidden" / "app.yaml").write_text('image: "ghcr.io/acme\\u002fapp:v1"\n')
    (tmp_path / "chart" / "templates" / "cm.yaml").write_text('x: "{{ .Values.y }} \\u0041"\n')
    (tmp_path / "binary.yaml").write_bytes(b'a\0b "\\u0041"\n')
    (tmp_path / "latin.yaml").write_bytes(b'x: "\\u0041"\n\xff\n')
    (tmp_path / "app.yaml").write_text('image: "ghcr.io\\/acme\\u002fapp:v1"\n')
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v2")]))
    assert [(s.file, s.reason) for s in plan.ignored] == [(".hidden/app.yaml", "hidden")]
    assert [c.file for c in plan.changes] == ["app.yaml"]


@pytest.mark.parametrize("listed", [True, False])
def test_a_chart_bump_lists_no_hidden_file_for_what_it_reads_to_index_the_tree(
    tmp_path: Path, listed: bool
) -> None:
    """A chart run also reads files saying `../`, `target:` or `/spec/chart`, `/spec/source`
    (the kustomizations an overlay builds, patches by target, JSON 6902 patches; a chart
    run read the last three before too): a hidden file or chart template saying only that was listed
    under `ignored` (`hidden`, `helm-template`), noise in every chart bump of a repository whose
    CI workflows say `../`. One naming the chart still is."""
    from bumper.chart_ref import parse_ref

    (tmp_path / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umbrella\nversion: 1.0.0\ndependencies:\n"
        "  - name: app\n    version: 1.0.0\n    repository: https://charts.acme.io\n"
    )
    (tmp_path / ".github").mkdir()
    said = "chart: app\n" if listed else "run: cd ../charts\npath: /spec/chart/spec/x\ntarget: y\n"
    (tmp_path / ".github" / "ci.yaml").write_text(said)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "hpa.yaml").write_text(
        "{{- if .Values.autoscaling }}\npath: /spec/source/x ../\ntarget: y\n{{- end }}\n"
    )
    request = TreeRequest(tmp_path, [parse_ref("https://charts.acme.io/app:1.1.0")], list_considered=True)
    plan = plan_tree(request)
    assert [c.new for c in plan.changes] == ["https://charts.acme.io/app:1.1.0"]
    assert [(s.file, s.reason) for s in plan.ignored] == ([(".github/ci.yaml", "hidden")] if listed else [])

"""A chart's versions in kustomize overlays, resolved through the tree (bumper.plan.chart_sources):
the golden cases `chart-overlay-*` hold the trees; these plan one in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

from bumper.chart_ref import parse_ref
from bumper.image_ref import ImageRef
from bumper.plan.rules import RunRules, parse_policy
from bumper.plan.tree import TreeRequest, plan_tree

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "chart-overlay-json-patch" / "input"
REF = parse_ref("https://stefanprodan.github.io/podinfo/podinfo:6.6.0")
KIND_ONLY = "apps/kind-only/kustomization.yaml"  # a JSON patch by a target naming a kind alone
SHARED = ["apps/patches/pinned.yaml", "apps/patches/version.yaml"]


def _skipped(plan: object) -> list[str]:
    return sorted(s.file for s in plan.skipped if s.reason.startswith("overlay-patch:"))


def test_a_patch_left_alone_is_said_once_in_the_plan_of_its_mode(tmp_path: Path) -> None:
    """A `--repo` run split by `.bumper.yaml` `mode:` plans the tree twice (the direct commit's
    references, then the PR's) and reports both plans' skips: each overlay-patch skip belongs to
    the plan delivering its file, so it is said once, not twice."""
    shutil.copytree(GOLDEN, tmp_path, dirs_exist_ok=True)
    policy = parse_policy(b"version: 1\nrules:\n  - paths: [apps/patches/version.yaml]\n    mode: commit\n")
    rules = RunRules(policy)
    plans = {m: plan_tree(TreeRequest(tmp_path, [REF], rules=rules, mode=m)) for m in ("pr", "commit")}
    assert _skipped(plans["commit"]) == ["apps/patches/version.yaml"]
    assert _skipped(plans["pr"]) == [KIND_ONLY, "apps/patches/pinned.yaml"]
    assert _skipped(plan_tree(TreeRequest(tmp_path, [REF]))) == [KIND_ONLY, *SHARED]  # one plan: all


def test_an_image_bump_says_nothing_of_chart_patches(tmp_path: Path) -> None:
    """The overlay-patch skips are a chart REF's: an image REF's plan has none."""
    shutil.copytree(GOLDEN, tmp_path, dirs_exist_ok=True)
    (tmp_path / "apps" / "app.yaml").write_text("image: ghcr.io/acme/app:v1\n")
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v2")]))
    assert _skipped(plan) == [] and [c.file for c in plan.changes] == ["apps/app.yaml"]


def test_a_patch_left_alone_is_a_reference_found(tmp_path: Path) -> None:
    """`--path` naming only a patch left alone: the chart is found there and skipped (exit 0,
    the skip said), not "no file references" (exit 3) as if the file named no version of it."""
    shutil.copytree(GOLDEN, tmp_path, dirs_exist_ok=True)
    plan = plan_tree(TreeRequest(tmp_path, [REF], globs=("apps/patches/version.yaml",)))
    assert (plan.matched, plan.not_found, plan.changes) == (1, [], [])
    assert _skipped(plan) == ["apps/patches/version.yaml"]


def test_a_json_patch_of_a_helm_chart_version_moves_with_its_chart(tmp_path: Path) -> None:
    """A Flux HelmChart (a HelmRelease's `chartRef`) whose overlay sets `spec.version` by a JSON
    6902 patch (`target: {kind: HelmChart, name: podinfo}`): it stayed at 6.5.0 (the path was
    no version path, and a file saying only `/spec/version` was not read); it now moves. A
    `/spec/sourceRef` operation of the same object makes its chart unknown: it stays."""
    base = Path(__file__).resolve().parents[1] / "golden" / "chart-helmchart-overlay-patch" / "input"
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    json = tmp_path / "json"
    json.mkdir()
    (json / "version.yaml").write_text("- op: replace\n  path: /spec/version\n  value: 6.5.0\n")
    entry = "  - path: {}\n    target: {{kind: HelmChart, name: podinfo}}\n"
    kustomization = "resources:\n  - ../base\npatches:\n" + entry.format("version.yaml")
    (json / "kustomization.yaml").write_text(kustomization)
    plan = plan_tree(TreeRequest(tmp_path, [REF]))
    assert ("json/version.yaml", str(REF)) in [(c.file, c.new) for c in plan.changes]
    (json / "source.yaml").write_text("- op: replace\n  path: /spec/sourceRef/name\n  value: mirror\n")
    (json / "kustomization.yaml").write_text(kustomization + entry.format("source.yaml"))
    plan = plan_tree(TreeRequest(tmp_path, [REF]))
    assert "json/version.yaml" not in [c.file for c in plan.changes]

"""Planning on two cores gives the very plan, and the very error, that planning on one does.

The golden cases that run with the same REFs go into one tree (a directory each), under a
`.bumper.yaml` whose rules hold, refuse and label some of them. The tree is planned on one core
and on two, and the plans are compared field by field: once with only the cases that succeed,
once with the failing ones added (the first error in name order is then the run's)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bumper.errors import BumperError
from bumper.image_ref import ImageRef
from bumper.plan import two_cores
from bumper.plan.image_policy import parse_image_policies
from bumper.plan.rules import RunRules, load_policy
from bumper.plan.tree import TreePlan, plan_tree
from testing.golden import Case, case_dirs, copy_in, load_case

POLICY = """\
version: 1
rules:
  - paths: ["allow-downgrade/**"]
    hold: true
  - paths: ["argocd-*/**"]
    labels: [argo]
  - paths: ["helm-*/**"]
    allow: "^v1\\\\."
    mode: commit
  - paths: ["kustomize-*/**"]
    reviewers: [alice]
"""

Group = tuple[tuple[str, ...], tuple[str, ...]]  # (REFs, --image-policy items)
OTHER_PLANNING_FLAGS = {"--path", "--allow-downgrade", "--mode"}  # cases with these are left out


@cache
def _groups() -> dict[Group, list[Case]]:
    """The golden cases by the REFs (and --image-policy items) they run with."""
    groups: dict[Group, list[Case]] = {}
    for path in case_dirs():
        case = load_case(path)
        if OTHER_PLANNING_FLAGS & set(case.args):
            continue
        policies = tuple(v for k, v in zip(case.args, case.args[1:]) if k == "--image-policy")
        groups.setdefault((tuple(case.refs), policies), []).append(case)
    return groups


def _params() -> list[tuple[Group, bool]]:
    return [
        (group, failing)
        for group, cases in _groups().items()
        for failing in (False, True)
        if (any(c.exit != 0 for c in cases) if failing else any(c.exit == 0 for c in cases))
    ]


def _forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on map_ordered forks whatever the work; the list gets each fork's result."""
    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        forks.append(pid)
        return pid

    # pytest-xdist workers run threads, which _may_fork refuses; the planning child takes no lock.
    monkeypatch.setattr(two_cores, "_may_fork", lambda weight: True)
    monkeypatch.setattr(os, "fork", fork)
    return forks


def _plan(tree: Path, group: Group, rules: RunRules, **remote: Any) -> TreePlan | str:
    refs, policies = group
    try:
        return plan_tree(
            tree,
            [ImageRef.parse(r) for r in refs],
            image_policies=parse_image_policies(policies) if policies else None,
            rules=rules,
            **remote,
        )
    except BumperError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize(
    ("group", "failing"),
    _params(),
    ids=[f"{_groups()[g][0].name}{'-with-errors' if f else ''}" for g, f in _params()],
)
def test_two_cores_plan_what_one_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: Group, failing: bool
) -> None:
    cases = [c for c in _groups()[group] if failing or c.exit == 0]
    for case in cases:
        copy_in(case.input_dir, tmp_path / case.name)
    (tmp_path / ".bumper.yaml").write_text(POLICY)
    rules = RunRules(load_policy(tmp_path))
    one = _plan(tmp_path, group, rules)  # also loads, on one core, what planning imports lazily
    forks = _forking(monkeypatch)
    two = _plan(tmp_path, group, rules)
    assert two == one
    if failing:
        if any(c.exit == 2 for c in cases):
            assert isinstance(one, str), "the failing cases' first error is the run's"
    else:
        assert isinstance(one, TreePlan), one
        assert isinstance(two, TreePlan)
        assert len(one.edits) >= min(len(cases), 40) // 2, "the cases that succeed rewrite files"
        assert all(a is b for a, b in zip(one.rules, two.rules)), "rules must be the policy's own objects"
        if len(one.edits) > 1:
            assert forks, "nothing was planned in a second process"


@pytest.mark.parametrize("mode", ["pr", "commit"])
def test_two_cores_plan_the_remote_flow_as_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """--repo plans only the files git grep found (`only`), once per delivery mode."""
    group = max(_groups(), key=lambda g: len(_groups()[g]))
    for case in _groups()[group]:
        if case.exit == 0:
            copy_in(case.input_dir, tmp_path / case.name)
    (tmp_path / ".bumper.yaml").write_text(POLICY)
    rules = RunRules(load_policy(tmp_path), None)
    needle = ImageRef.parse(group[0][0]).needle()
    only = frozenset(
        p.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    )
    one = _plan(tmp_path, group, rules, only=only, mode=mode)
    forks = _forking(monkeypatch)
    two = _plan(tmp_path, group, rules, only=only, mode=mode)
    assert isinstance(one, TreePlan) and one.edits, one
    assert two == one
    assert forks


def _big_tree(root: Path, broken_at: int | None) -> Path:
    """60 values files of about 3 KB (well above MIN_PARALLEL_WEIGHT); one that fails the run
    when asked."""
    padding = "".join(f"  KEY_{i}: value-{i}\n" for i in range(120))
    for n in range(60):
        image = f"image:\n  repository: ghcr.io/acme/app\n  tag: v1.0.{n}  # app {n}\n"
        if n == broken_at:  # pinned by digest, which a tag-only REF must not drop: exit 2
            image = f"image: ghcr.io/acme/app:v1.0.0@sha256:{'ab' * 32}\n"
        (root / f"app-{n:02}").mkdir(parents=True)
        (root / f"app-{n:02}" / "values.yaml").write_text(f"# app {n}\n{image}env:\n{padding}")
    return root


@pytest.mark.parametrize("broken_at", [None, 47])
def test_the_command_prints_the_same_on_two_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken_at: int | None
) -> None:
    from click.testing import CliRunner

    from bumper.cli import main
    from testing import forkserver

    tree = _big_tree(tmp_path / "tree", broken_at)
    assert sum(p.stat().st_size for p in tree.rglob("*.yaml")) > 2 * two_cores.MIN_PARALLEL_WEIGHT
    args = ["bump", "ghcr.io/acme/app:v1.2.3", "--dir", str(tree), "--dry-run"]
    real = forkserver.run(args, env={"PATH": os.environ["PATH"]})  # one thread: it forks
    monkeypatch.setattr(two_cores, "MIN_PARALLEL_WEIGHT", 1 << 40)
    serial = CliRunner().invoke(main, args)
    assert (real.returncode, real.stdout, real.stderr) == (serial.exit_code, serial.stdout, serial.stderr)
    if broken_at is None:
        assert real.returncode == 0
        assert real.stdout.count("+  tag: v1.2.3") == 60
    else:
        assert real.returncode == 2
        assert "app-47/values.yaml:2" in real.stderr

"""The plan stage of a --repo run: the same planner as --dir on the clone's files, and --verify."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bumper.image_ref import ImageRef
from bumper.plan.tree import TreePlan, TreeRequest, plan_tree
from bumper.remote.clone import Base, reveal
from bumper.remote.run import RemoteRun

if TYPE_CHECKING:
    from bumper.verify.run import Verified


def plan_clone(
    base: Base, run: RemoteRun, refs: list[ImageRef], policies: dict[str, ImageRef], *, mode: str
) -> TreePlan:
    """The edits `refs` and `policies` make to the clone's files of one commit mode (`pr`,
    `commit`): the same planner as --dir, limited to the files the clone step found."""
    options = run.options
    request = TreeRequest(
        base.cloned.path,
        refs,
        options.paths,
        allow_downgrade=options.allow_downgrade,
        only=base.only,
        image_policies=policies,
        rules=base.rules,
        mode=mode,
        diffs=options.dry_run,
        pins=options.pins,
        reveal=lambda wanted: reveal(base, wanted, sparse=bool(options.paths)),
        paths_flag=options.paths_flag,
    )
    return plan_tree(request)


def verify(base: Base, run: RemoteRun, plan: TreePlan, images: list[ImageRef]) -> list[Verified]:
    """--verify: the planned edits rendered against the clone's base, before anything is
    written or pushed (bumper.verify, loaded only then: tests/import_budget_test.py)."""
    if run.options.verify == "off" or not plan.edits:
        return []
    judged = (tuple((e.relpath, e.old, e.new) for e in plan.edits), tuple(str(r) for r in images))
    if base.verified_ahead is not None and base.verified_ahead[0] == judged:
        return list(base.verified_ahead[1])  # asked before the direct commit: render once
    from bumper.verify.run import verify_plan
    from bumper.verify.tree import clone_tree

    verified = verify_plan(run.options.verify, plan, images, lambda: clone_tree(base.cloned), run.env)
    base.verified_ahead = (judged, verified)
    return verified


def planned_images(refs: list[ImageRef], policies: dict[str, ImageRef], plan: TreePlan) -> list[ImageRef]:
    """The images a PR names: the REFs some file references, then the --image-policy images."""
    applied = [r for r in refs if r.key in plan.found]
    return [*applied, *(r for r in policies.values() if r not in applied)]

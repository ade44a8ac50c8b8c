"""The --dir flow: rewrite a local tree in place, every file or none."""

from __future__ import annotations

import os
from collections.abc import Mapping

from bumper.options import BumpOptions, BumpResult, Status
from bumper.repo_policy import RunRules, load_policy
from bumper.rewrite import plan_tree, write_all
from bumper.verify.run import verify_plan
from bumper.verify.tree import local_tree


def bump_dir(options: BumpOptions, env: Mapping[str, str] = os.environ) -> BumpResult:
    """Plan the whole tree first, then write all edits (or none on a dry run)."""
    assert options.directory is not None
    rules = RunRules(load_policy(options.directory), options.mode)
    plan = plan_tree(
        options.directory,
        options.refs,
        options.paths,
        allow_downgrade=options.allow_downgrade,
        image_policies=options.image_policies,
        rules=rules,
    )
    if not plan.edits:
        return BumpResult(Status.UP_TO_DATE, plan)
    directory = options.directory
    plan.verified = verify_plan(options.verify, plan, options.refs, lambda: local_tree(directory), env)
    if options.dry_run:
        return BumpResult(Status.DRY_RUN, plan)
    write_all(plan.edits)
    return BumpResult(Status.WRITTEN, plan)

"""The --dir flow: rewrite a local tree in place, every file or none."""

from __future__ import annotations

from collections.abc import Mapping

from bumper.options import BumpOptions, BumpResult, Status
from bumper.plan.needles import MANIFEST_NAME_GLOBS, needles
from bumper.plan.search import NeedleSearch
from bumper.report import DISPLAY, VERBOSE


def bump_dir(options: BumpOptions, env: Mapping[str, str]) -> BumpResult:
    """Plan the whole tree first, then write all edits (or none on a dry run)."""
    directory = options.directory
    assert directory is not None
    if (options.title, options.body, options.commit_message) != (None, None, None):
        from bumper.preflight import check_templates  # a typo shows here, not first in CI

        check_templates(options, env)
    # Started before the planner is imported, so grep searches the tree while Python loads the
    # YAML parser and every shape; the planner takes this search over.
    search = NeedleSearch.start(
        directory, needles(options.refs, bool(options.image_policies)), MANIFEST_NAME_GLOBS
    )
    try:
        from bumper.plan.rules import RunRules, check_no_enclosing_policy, load_policy
        from bumper.plan.tree import TreeRequest, plan_tree

        check_no_enclosing_policy(directory)
        request = TreeRequest(
            directory,
            list(options.refs),
            options.paths,
            allow_downgrade=options.allow_downgrade,
            image_policies=options.image_policies,
            rules=RunRules(load_policy(directory), options.mode),
            diffs=options.dry_run,
            list_considered=DISPLAY.level >= VERBOSE,  # -v lists them
            pins=options.pins,
            search=search,
            paths_flag=options.paths_flag,
        )
        plan = plan_tree(request)
    finally:
        search.stop()  # a run that failed before the planner asked
    if not plan.edits:
        return BumpResult(Status.UP_TO_DATE, plan)
    if options.verify != "off":
        from bumper.verify.run import verify_plan
        from bumper.verify.tree import local_tree

        plan = plan.verified_by(
            verify_plan(options.verify, plan, options.refs, lambda: local_tree(directory), env)
        )
    from bumper.plan.write import refuse_unreplaceable, write_all

    # a hard link or a read-only file fails a dry run too (what this user may write: the run's)
    refuse_unreplaceable(plan.edits, as_this_user=not options.dry_run)
    if options.dry_run:
        return BumpResult(Status.DRY_RUN, plan)

    write_all(plan.edits, recheck=True)  # a person's or an editor's save meanwhile is never lost
    return BumpResult(Status.WRITTEN, plan)

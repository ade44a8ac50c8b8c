"""`bumper bump`: dispatch to the local (`--dir`) or the remote (`--repo`) flow and render."""

from __future__ import annotations

from bumper.errors import ExitCode, NotFoundError
from bumper.options import BumpOptions, BumpResult, Status
from bumper.report import emit_json, render_bump


def bump(options: BumpOptions) -> ExitCode:
    try:
        if options.repo is not None:
            from bumper.remote import bump_repo

            result = bump_repo(options)
        else:
            from bumper.local import bump_dir

            result = bump_dir(options)
    except NotFoundError:
        if options.output == "json":  # scripts get the contract's status; stderr says why
            from bumper.rewrite import TreePlan

            emit_json(BumpResult(Status.NOT_FOUND, TreePlan()).as_json())
        raise
    render_bump(result, options)
    return ExitCode.OK

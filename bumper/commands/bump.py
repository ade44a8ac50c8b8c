"""`bumper bump`: dispatch to the local (`--dir`) or the remote (`--repo`) flow and render."""

from __future__ import annotations

from collections.abc import Mapping

from bumper.errors import BumperError, ExitCode, NotFoundError, VerifyError
from bumper.options import BumpOptions, BumpResult, Status
from bumper.report import (
    emit_failure,
    emit_json,
    error_kind,
    error_object,
    render_bump,
    render_verify_failure,
)
from bumper.secrets import redact


def bump(options: BumpOptions, env: Mapping[str, str]) -> ExitCode:
    try:
        if options.repo is not None:
            from bumper.remote import bump_repo

            result = bump_repo(options, env)
        else:
            from bumper.local import bump_dir

            result = bump_dir(options, env)
    except VerifyError as exc:
        render_verify_failure(exc, options)
        raise
    except NotFoundError as exc:
        if options.output == "json":  # scripts get the contract's status and the error
            from bumper.rewrite import TreePlan

            payload = BumpResult(Status.NOT_FOUND, TreePlan()).as_json()
            payload["error"] = error_object(error_kind(exc), exc.message, exc.file, exc.line)
            emit_json(payload)
        raise
    except BumperError as exc:
        if options.repo is not None:  # JSON says whether a direct commit landed before it failed
            message = redact(" ".join(exc.message.split()), env=env)
            error = error_object(error_kind(exc), message, exc.file, exc.line)
            emit_failure(int(exc.exit_code), error, commit=exc.commit)
        raise
    render_bump(result, options)
    return ExitCode.OK

"""`bumper bump`: dispatch to the local (`--dir`) or the remote (`--repo`) flow and render."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bumper.errors import BumperError, ExitCode, NotFoundError, VerifyError, WaitTimeout
from bumper.options import BumpOptions, BumpResult, Status
from bumper.report import (
    emit_failure,
    emit_json,
    error,
    error_kind,
    error_object,
    render_bump,
    render_verify_failure,
    warn,
)

if TYPE_CHECKING:
    from bumper.preflight import RemoteSetup


def options_from_cli(raw: dict[str, Any]) -> BumpOptions:
    """`BumpOptions` of the command line, and a `--verify` that needs a renderer refused when
    none is installed: said before anything is cloned or written."""
    options = BumpOptions.from_cli(raw)
    if options.verify in ("render", "warn"):
        from bumper.verify.render import check_renderer

        check_renderer(options.verify)
    return options


def emit_not_found(exc: NotFoundError, options: BumpOptions) -> None:
    """Exit 3 with --output json: the contract's `not-found` object with the error, as scripts
    expect it from `bump` and `promote` alike."""
    if options.output == "json":
        from bumper.plan.tree import TreePlan

        plan = TreePlan(ignored=list(exc.ignored), not_found=list(exc.not_found))
        payload = BumpResult(Status.NOT_FOUND, plan, promoted=options.promoted).as_json()
        payload["error"] = error_object(error_kind(exc), exc.message, exc.file, exc.line)
        emit_json(payload)


def bump(options: BumpOptions, env: Mapping[str, str], setup: RemoteSetup | None = None) -> ExitCode:
    """Run one flow and render its result; `setup`: the --repo checks a caller already made
    (`promote` reads the source with them; a GitHub App token is minted once)."""
    promoted = options.promoted
    if options.registry != "off":  # before any clone or write: the image must be there
        options = _with_registry(options, env)
    try:
        if options.repo is not None:
            from bumper.providers.deferred import lasting_imports

            with lasting_imports():  # the flow, the planner, PyYAML: kept to the end
                from bumper.remote import bump_repo

            result = bump_repo(options, env, setup)
        else:
            from bumper.local import bump_dir

            result = bump_dir(options, env)
    except VerifyError as exc:
        render_verify_failure(exc, options)
        raise
    except WaitTimeout as exc:
        if options.output == "json" and exc.result is not None:  # the PR exists: name it
            result = dataclasses.replace(exc.result, promoted=promoted)
            payload = {**result.as_json(), "status": "failed", "exit_code": int(exc.exit_code)}
            payload["error"] = error_object(error_kind(exc), exc.message)
            emit_json(payload)
        raise
    except NotFoundError as exc:
        emit_not_found(exc, options)
        raise
    except BumperError as exc:
        from bumper.plan.versions import DigestPinError  # loaded by the run that raised it

        worded = exc.for_promote() if promoted is not None and isinstance(exc, DigestPinError) else exc
        if options.repo is not None:  # JSON says whether a direct commit landed before it failed
            from bumper.secrets import redact  # a failure's path only: the token tables load here

            message = redact(" ".join(worded.message.split()), env=env)
            failure = error_object(error_kind(worded), message, worded.file, worded.line)
            emit_failure(int(worded.exit_code), failure, commit=worded.commit)
        if worded is exc:
            raise
        raise worded from None  # its ways out are promote's options, not bump's
    if promoted is not None:
        result = dataclasses.replace(result, promoted=promoted)
    render_bump(result, options)
    if result.status == Status.CLOSED:  # --wait merged: the PR ended without the change
        url = (result.pull_request or {}).get("url")
        if result.merged_into is not None:  # a person changed its base while bumper waited
            error(
                f"{url} was merged into {result.merged_into}, not {result.base} (its base was changed "
                f"while bumper waited), so {result.base} did not get the change; rerun bumper to "
                f"open a new pull request into {result.base}"
            )
        else:
            error(f"{url} was closed without being merged")
        return ExitCode.FAILURE
    if result.status == Status.BLOCKED and options.wait:  # nothing will be merged: no success
        pushed = ""
        if result.commit is not None:  # the direct commit landed before the PR half was blocked
            from bumper.remote.direct import pushed_note

            pushed = f"; {pushed_note(result.commit)}"
        error(
            "--wait merged: the new version was not delivered (the bot branch is blocked, see above); "
            f"nothing will be merged, so there is nothing to wait for{pushed}"
        )
        return ExitCode.FAILURE
    return ExitCode.OK


def _with_registry(options: BumpOptions, env: Mapping[str, str]) -> BumpOptions:
    """`options` with what each image's registry answered (`registry_images`, which `pins`
    reads); the one call a command makes before its first clone or write."""
    from bumper.preflight import ApiPacing
    from bumper.registry import check_images

    backoff = ApiPacing.from_env(env).backoff
    return options._replace(
        registry_images=check_images(options.images, options.registry, env, backoff, warn)
    )

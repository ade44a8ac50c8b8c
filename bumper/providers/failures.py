"""What every HTTP provider does with a failed API call: HTTP status -> ProviderError kind, a hint
for that kind, one line without the token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

from bumper.errors import ProviderError
from bumper.providers.api import one_line

_KIND_BY_STATUS = {
    401: "auth",
    403: "auth",
    404: "not-found",
    429: "rate-limited",
    405: "conflict",  # e.g. a merge the PR's state does not allow
    406: "conflict",
    409: "conflict",
    422: "conflict",
}
_HINTS = {
    "not-found": "; check the repository URL, --api-url and that the token can see the {what}",
    "rate-limited": "; rerun later",
}


def kind_for_status(status: int | None) -> str:
    """The ProviderError kind of an HTTP status: auth, not-found, rate-limited, conflict, other."""
    return _KIND_BY_STATUS.get(status or 0, "other")


def unreachable(url: str, exc: BaseException) -> str:
    """The detail for a request that never got an answer (after the SDK's own retries)."""
    return f"cannot reach {url} ({type(exc).__name__}), even after retries"


def vanished_duplicate(host: str, what: str, branch: str) -> ProviderError:
    """The host refused a create as a duplicate, yet lists no open one (closed in between)."""
    return ProviderError(
        f"{host} said a {what} from {branch!r} already exists but none is open; retry the run",
        kind="conflict",
    )


def raise_api_error(
    host: str,
    what: str,
    name: str,
    doing: str,
    detail: str,
    kind: str,
    *,
    token: str | None,
    hints: Mapping[str, str],
    cause: BaseException,
) -> NoReturn:
    """`GitHub API (acme/app) opening a pull request: 404 Not Found; check …`, as a ProviderError.

    `what` names the host's word for a repository ("repository", "project"), `hints` adds or
    overrides the hint per kind (the scopes a token needs differ per host).
    """
    hint = {**_HINTS, **hints}.get(kind, "").format(what=what)
    raise ProviderError(one_line(f"{host} API ({name}) {doing}: {detail}{hint}", token), kind=kind) from cause

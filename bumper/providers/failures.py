"""What every HTTP provider does with a failed API call: HTTP status -> ProviderError kind, a hint
for that kind, one line without the token; and what was not the API's answer at all (an HTML page,
a redirect away from the API, a certificate the client does not trust)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import MaxRetryError

from bumper.errors import ProviderError
from bumper.providers.answers import NotAnAnswer
from bumper.providers.api import ProviderSettings
from bumper.providers.deadline import AnswerTooSlow
from bumper.secrets import redact
from bumper.tls import untrusted

log = logging.getLogger(__name__)

# What still fails a step after the PR exists: a token that stopped working, a rate limit.
AUTH_OR_RATE = ("auth", "rate-limited")


@contextmanager
def warn_instead(warnings: list[str], note: str = "", *, fatal: Collection[str] = ()) -> Iterator[None]:
    """A step after the PR exists (labels, reviewers, auto-merge): its ProviderError becomes a
    warning on the result, `note` appended, for raising would hide the PR from the caller; an
    error of a kind in `fatal` is raised still."""
    try:
        yield
    except ProviderError as exc:
        if exc.kind in fatal:
            raise
        warnings.append(f"{exc}{note}")
        log.debug("%s", warnings[-1])


def one_line(text: str, secret: str | None, limit: int = 300, *, env: Mapping[str, str]) -> str:
    """Make a host's error text fit the one-line error contract, with the token (and every token
    variable's value in `env`, ProviderSettings.env) masked."""
    text = redact(" ".join(str(text).split()), secret, env=env)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
# What reading a 2xx answer of the wrong shape raises (a list where an object was, a missing key);
# inside `translating` only the answer is read, so these are the host's, as answers.py's are.
MISREAD = (KeyError, IndexError, TypeError, AttributeError, ValueError)
_NOT_AN_ANSWER = (
    "; the API, or a proxy in front of it, did not answer as {host}'s API does; check --api-url "
    "(and any proxy between this job and the host) and rerun"
)
_NOT_THE_API = (
    "likely a single sign-on proxy's login page, or --api-url does not name the API; "
    "check --api-url, or let this job reach the API without the proxy"
)


def kind_for_status(status: int | None) -> str:
    """The ProviderError kind of an HTTP status: auth, not-found, rate-limited, conflict, other."""
    return _KIND_BY_STATUS.get(status or 0, "other")


def unreachable(url: str, exc: BaseException, ca_file: str | None = None) -> str:
    """The detail for a request that never got an answer (after the SDK's own retries)."""
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"{_plain(url)} redirected in a loop (over 30 redirects), not a JSON answer; {_NOT_THE_API}"
    return untrusted(url, exc, ca_file) or f"cannot reach {url} ({type(exc).__name__}), even after retries"


def vanished_duplicate(host: str, what: str, branch: str) -> ProviderError:
    """The host refused a create as a duplicate, yet lists no open one (closed in between)."""
    return ProviderError(
        f"{host} said a {what} from {branch!r} already exists but none is open; retry the run",
        kind="conflict",
    )


class NotTheApi(Exception):  # noqa: N818 - a signal out of an SDK call, mapped by ApiFailures
    """An answer that did not come from the API (see `refuse_non_api_answer`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def refuse_non_api_answer(api_url: str, url: str, status: int | None, headers: Mapping[str, str]) -> None:
    """Raise NotTheApi when the answer to `url` is an HTML page or a redirect out of `api_url`:
    what a single sign-on proxy or a wrong --api-url gives. An SDK would otherwise fail on it
    with a TypeError, or read an empty redirect as "no pull request". 5xx and 429 pass: they are
    outages, retried by the SDK as such. A redirect within the API (GitHub's renamed
    repository) passes too."""
    if status is not None and (status >= 500 or status == 429):
        return
    lower = {k.lower(): v for k, v in headers.items()}
    answered = f" (HTTP {status})" if status else ""
    location = lower.get("location")
    if location and not _within(api_url, urljoin(url, location)):
        target = _plain(urljoin(url, location))
        raise NotTheApi(f"{_plain(url)} redirected to {target}{answered}, not a JSON answer; {_NOT_THE_API}")
    if "html" in lower.get("content-type", "").lower():
        raise NotTheApi(f"{_plain(url)} answered an HTML page{answered}, not JSON; {_NOT_THE_API}")


def refuse_link_out_of_api(api_url: str, url: str) -> None:
    """Raise NotTheApi for a link an answer gave (a `next` page) that leaves `api_url`: it is not
    requested, so the token in the request's headers never reaches another host."""
    if not _within(api_url, url):
        raise NotTheApi(
            f"{_plain(api_url)} answered a link to {_plain(url)}, outside the API, which bumper does "
            f"not follow (the token goes to the API only); {_NOT_THE_API}"
        )


def redirect_not_followed(url: str) -> NotTheApi:
    """An SDK that refused a redirect itself (PyGithub on a 301 to another host or scheme, or in
    a loop): the same line as a redirect out of the API."""
    return NotTheApi(
        f"{_plain(url)} answered a redirect that leaves the API or loops, not a JSON answer; {_NOT_THE_API}"
    )


def _plain(url: str) -> str:
    """`url` without userinfo, query and fragment (a login page's query may carry state)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _within(base: str, url: str) -> bool:
    """Whether `url` is `base` or below it (same scheme, host and port)."""
    b, u = urlsplit(base), urlsplit(url)
    if _origin(b.scheme, b.hostname, b.port) != _origin(u.scheme, u.hostname, u.port):
        return False
    return (u.path.rstrip("/") + "/").startswith(b.path.rstrip("/") + "/")


def _origin(scheme: str, host: str | None, port: int | None) -> tuple[str, str | None, int | None]:
    return scheme, host, port or {"https": 443, "http": 80}.get(scheme)


class Failure(NamedTuple):
    """What a provider's `describe` makes of its SDK's exception."""

    kind: str
    detail: str
    hint: str | None = None  # None: the hint for `kind`


class FailureStyle(NamedTuple):
    """What every failure line of one provider shares: the host's name and word for a
    repository, its SDK's exception, how to describe one, hints per kind, its retries."""

    host: str  # "GitHub"
    what: str  # the host's word for a repository: "repository", "project"
    sdk_error: type[Exception]
    describe: Callable[[Any], Failure]  # the SDK's own exception -> Failure
    hints: Mapping[str, str] = {}  # per kind; adds to or overrides _HINTS
    retries: int = 0  # how many times the SDK retries, for "gave up after N retries"


@dataclass
class ApiFailures:
    """How one provider reports a failed call about one repository, as one line without the
    token: `GitHub API (acme/app) opening a pull request: 404 Not Found; check …`.

    The style's `describe` turns the SDK's own exception into a Failure; everything else (not the
    API's answer, an untrusted certificate, no answer, retries used up) is the same for every
    provider.
    """

    style: FailureStyle
    name: str  # the repository's path
    api_url: str
    settings: ProviderSettings  # the token to mask, the CA file to name, the environment

    @contextmanager
    def translating(self, doing: str) -> Iterator[None]:
        """Turn whatever fails inside the block into one ProviderError about `doing`."""
        try:
            yield
        except NotTheApi as exc:
            self.fail("other", exc.detail, doing, exc)
        except AnswerTooSlow as exc:  # kind "other", as a host that never answers
            self.fail("other", exc.detail, doing, exc, hint=exc.hint)
        except NotAnAnswer as exc:
            self.fail("other", exc.detail, doing, exc, hint=_NOT_AN_ANSWER.format(host=self.style.host))
        except self.style.sdk_error as exc:
            failure = self.style.describe(exc)
            self.fail(failure.kind, failure.detail, doing, exc, hint=failure.hint)
        except requests.exceptions.RetryError as exc:
            reason = _retry_reason(exc)
            kind = "rate-limited" if any(s in reason for s in ("429", "403")) else "other"
            self.fail(kind, f"gave up after {self.style.retries} retries: {reason}", doing, exc)
        except requests.exceptions.RequestException as exc:
            self.fail("other", unreachable(self.api_url, exc, self.settings.ca_file), doing, exc)
        except MISREAD as exc:  # reading an answer of the wrong shape (labels, comments, users)
            log.debug("reading the answer failed", exc_info=True)
            detail = f"answered something its API does not give ({type(exc).__name__}: {exc})"
            self.fail("other", detail, doing, exc, hint=_NOT_AN_ANSWER.format(host=self.style.host))

    def fail(
        self, kind: str, detail: str, doing: str, cause: BaseException, *, hint: str | None = None
    ) -> NoReturn:
        """Raise the ProviderError: host, repository, what bumper was doing, detail, hint."""
        if hint is None:
            hint = {**_HINTS, **self.style.hints}.get(kind, "").format(what=self.style.what)
        token, env = self.settings.token, self.settings.env
        text = f"{self.style.host} API ({self.name}) {doing}: {one_line(detail, token, 450, env=env)}{hint}"
        raise ProviderError(one_line(text, token, 600, env=env), kind=kind) from cause


def _retry_reason(exc: requests.exceptions.RetryError) -> str:
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        return str(inner.reason)
    return type(exc).__name__

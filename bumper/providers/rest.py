"""JSON over HTTP for the hosts whose providers speak their published REST API with `requests`
(Gitea and Forgejo, Bitbucket Cloud, Bitbucket Data Center, Azure DevOps; the OCI registry
client shares its BoundedRetry): bounded retries, the not-the-API check,
and the host's own reason on a failed call."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3 import BaseHTTPResponse, Retry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, MaxRetryError, ReadTimeoutError

from bumper.providers import answers, api, failures
from bumper.providers.timed_http import DeadlineAdapter
from bumper.tls import untrusted

TIMEOUT = 30  # seconds per HTTP request
RETRIES = 4  # 429 and 5xx; 0.5+1+2+4 s of backoff at settings.backoff == 1
MAX_RETRY_AFTER = 120.0  # a CI job should fail rather than sleep longer than this
# A host that never answers (a connect or read timeout, TIMEOUT each) is asked once more, not
# RETRIES times: a silent host costs about a minute, not three (PyGithub's 6 x 30 s + backoff).
SILENT_RETRIES = 1
_SILENT = (ConnectTimeoutError, ReadTimeoutError)  # no answer within TIMEOUT
# Azure DevOps answers a credential it does not accept with 203 and its HTML sign-in page.
SIGNED_OUT = 203


class HttpError(Exception):
    """A non-2xx answer from the API: its status and the host's reason (no token in either)."""

    def __init__(self, status: int, reason: str, body: Any = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.body = body  # the decoded JSON answer, for a provider that reads more of it


def status_of(exc: Exception) -> int | None:
    """The HTTP status of an HttpError (api.put_note's `refused`); None for any other error."""
    return exc.status if isinstance(exc, HttpError) else None


class UntrustedFailsFast(Retry):
    """A Retry that gives up at once on a certificate the client does not trust (retrying cannot
    make it trusted), retries a silent host SILENT_RETRIES times only, and reads a Retry-After
    it cannot parse as none: mixed into every retry policy bumper gives an HTTP client (PyGithub's
    too)."""

    def increment(  # type: ignore[override] # urllib3's own signature
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        if error is not None and _pool is not None and untrusted("", error):
            raise MaxRetryError(_pool, url or "", error) from error
        if isinstance(error, _SILENT) and _pool is not None:
            if sum(isinstance(h.error, _SILENT) for h in self.history) >= SILENT_RETRIES:
                raise MaxRetryError(_pool, url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def parse_retry_after(self, retry_after: str) -> float:
        """A Retry-After that is neither seconds nor a date (`-5`, `soon`) is no wait of its
        own (the backoff applies), not a failure of the request."""
        try:
            return super().parse_retry_after(retry_after)
        except InvalidHeader:
            return 0.0


class BoundedRetry(UntrustedFailsFast):
    """urllib3's Retry whose Retry-After sleep is capped at `cap`, so a CI job never hangs for an
    hour, and which gives up at once on a certificate the client does not trust (retrying cannot
    make it trusted). `cap` survives the copy urllib3 makes of a Retry at every attempt."""

    cap = MAX_RETRY_AFTER

    def new(self, **kw: Any) -> BoundedRetry:
        retry = super().new(**kw)
        retry.cap = self.cap
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.cap)


def bound_rate_limit_wait(headers: MutableMapping[str, str], cap: float) -> None:
    """Make a 429's `Retry-After` (seconds) and `RateLimit-Reset` (epoch seconds) ask for at most
    `cap` seconds, and drop one that is not a number: for a client that sleeps as long as they
    say and fails on a value it cannot read (python-gitlab), set in a response hook."""
    now = time.time()
    for name, offset in (("Retry-After", 0.0), ("RateLimit-Reset", now)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            wait = int(value.strip()) - offset
        except ValueError:
            del headers[name]
            continue
        headers[name] = str(int(offset + min(max(wait, 0.0), cap)))


def _retry(backoff: float) -> Retry:
    """429 and 5xx answers and dropped connections are retried, POST too: a create whose answer
    was lost comes back as the host's "already exists", which each provider turns into a find."""
    retry = BoundedRetry(
        total=RETRIES,
        backoff_factor=0.5 * backoff,
        backoff_max=8 * max(backoff, 0.001),
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods={"GET", "POST", "PUT", "PATCH", "DELETE"},
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is returned and reported with the host's reason
    )
    retry.cap = MAX_RETRY_AFTER * max(backoff, 0.001)
    return retry


class RestClient:
    """One host's API at `base_url`, authenticated by one `Authorization` header value."""

    def __init__(
        self,
        base_url: str,
        authorization: str,
        settings: api.ProviderSettings,
        reason_of: Callable[[Any], str | None],
        headers: Mapping[str, str] | None = None,
        pulls: answers.PullShape | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._reason_of = reason_of
        self._pulls = pulls  # the host's PR JSON: every answer about PRs is checked against it
        session = requests.Session()
        adapter = DeadlineAdapter(settings.deadline, max_retries=_retry(settings.backoff))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"Accept": "application/json", **(headers or {})})
        session.headers["Authorization"] = authorization
        session.verify = settings.ca_file or True
        session.trust_env = True  # proxies and REQUESTS_CA_BUNDLE as requests reads them
        session.hooks["response"].append(self._check_answer)
        self._session = session

    def _check_answer(self, answer: requests.Response, *_: Any, **__: Any) -> None:
        if answer.status_code == SIGNED_OUT:
            return  # request() reports it as an authentication failure
        failures.refuse_non_api_answer(self.base_url, answer.url, answer.status_code, answer.headers)
        if self._pulls is not None:
            method = answer.request.method or ""
            path, status = urlsplit(answer.url).path, answer.status_code
            answers.check(self._pulls, method, path, status, lambda: answers.decoded(answer.content))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
    ) -> Any:
        """`method` on `base_url + path` (or an absolute URL below it); the decoded JSON answer,
        None for an empty one. A non-2xx answer raises HttpError with the host's reason."""
        return self.exchange(method, path, params=params, body=body)[0]

    def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        body: Any = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """`request`, with the answer's headers (a page's `X-Total-Count`)."""
        url = self.base_url + path
        if path.startswith(("https://", "http://")):  # a link an answer gave: never out of the API
            failures.refuse_link_out_of_api(self.base_url, path)
            url = path
        # A redirect within the API (a renamed repository) is followed; one out of it is refused
        # by the response hook before it is followed (failures.refuse_non_api_answer).
        answer = self._session.request(method, url, params=params, json=body, timeout=TIMEOUT)
        try:
            data: Any = answer.json() if answer.content else None
        except ValueError:
            data = None
        if answer.status_code == SIGNED_OUT:
            raise HttpError(401, "the host answered its sign-in page (HTTP 203): it did not accept the token")
        if answer.status_code >= 300:
            reason = self._reason_of(data) if data is not None else None
            text = reason or answer.reason or "error"
            if answer.status_code == 429 or answer.status_code >= 500:
                text += f" (after {RETRIES} retries)"
            raise HttpError(answer.status_code, text, data)
        return data, answer.headers


def describe(exc: HttpError) -> failures.Failure:
    """The ProviderError kind and detail of a failed call: the status and the host's reason."""
    return failures.Failure(failures.kind_for_status(exc.status), f"{exc.status} {exc.reason}")

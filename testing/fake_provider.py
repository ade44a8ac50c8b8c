"""In-memory FakeProvider, plus what the loopback fake hosts share: PR records, request log, server.

`FakeProvider` implements the Provider protocol without any HTTP, for command tests that only care
about which PR bumper asked for. `LoopbackServer` is the threaded 127.0.0.1 server behind
testing/fake_github.py and testing/fake_gitlab.py: it records every request and lets a test inject
faults (5xx, 429, resets, "applied but the response was lost") per request.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from bumper.errors import ProviderError
from bumper.providers.api import ProviderSettings, PullRequest, PullRequestSpec, PullRequestState
from testing.tls import TlsHttpServer

# Headers that carry credentials; never recorded, so a test can assert the log holds no token.
SECRET_HEADERS = frozenset({"authorization", "private-token", "job-token"})


@dataclass
class PullRecord:
    """Host-neutral state of one PR/MR, so one contract test can assert on every backend."""

    repo: str
    number: int
    title: str
    body: str
    head: str
    base: str
    labels: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    draft: bool = False
    automerge: bool = False
    state: str = "open"
    comments: list[str] = field(default_factory=list)
    head_sha: str = "1" * 40  # the head branch's commit when the PR was closed or merged
    merge_commit: str | None = None  # the commit a merge made on the base (state "merged")
    # The fork the head branch lives in (`someone/manifests`); None: `repo` itself. A fork's PR
    # into `repo` may come from a branch named like bumper's: it is someone else's PR.
    head_repo: str | None = None


def java_length(text: str) -> int:
    """A string's length as .NET and Java count it, and so Azure DevOps and Bitbucket Data Center
    check their limits: UTF-16 code units, two for a character outside the BMP (an emoji)."""
    return len(text.encode("utf-16-le")) // 2


class RecordedRequest(NamedTuple):
    """One request as a fake host saw it (credentials removed); `fault` names what was injected."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    fault: str | None = None


Response = tuple[int, dict[str, str], Any]


class Trickle(NamedTuple):
    """Fault: a 200 answer that comes in one byte every `every` seconds, as a hung host or proxy
    sends it: its headers after the status line (`part` "headers"), or its body after whole
    headers ("body"). It stops when the client hangs up, or after `longest` seconds."""

    part: str = "body"
    every: float = 0.2
    longest: float = 90.0


class AfterApply(NamedTuple):
    """Fault that applies the request normally, then answers `response` instead (lost response)."""

    response: Response | str | Trickle


# What a fault hook returns: None (serve normally), a canned response, "reset" (drop the
# connection before applying), a Trickle, or AfterApply(...) (apply, then reset/answer something else).
Fault = Response | str | Trickle | AfterApply | None


class Reply(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by a route to answer with an error status."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real hosts; every reply has a length
    # Headers and body go out in separate writes: with Nagle on, each keep-alive request
    # after the first stalls ~40 ms on the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet; the server's request log is the record."""

    def _dispatch(self) -> None:
        self.server.owner._handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (random port) that records requests and injects faults;
    HTTPS with a `tls` context (testing/tls.py).

    Subclasses implement `authorized(headers)` and `route(req) -> (status, headers, body)`.
    """

    unauthorized: Response = (401, {}, {"message": "401 Unauthorized"})

    def __init__(self, token: str, *, tls: ssl.SSLContext | None = None) -> None:
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.fault: Callable[[RecordedRequest], Fault] | None = None
        self._injections: list[list[Any]] = []
        self.lock = threading.RLock()
        self._httpd = TlsHttpServer(("127.0.0.1", 0), _Handler)
        self._httpd.tls = tls
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.base_url = f"{self._httpd.scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # -- test API -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def inject(
        self, response: Fault, *, method: str | None = None, path: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests matching `method` and regex `path` with `response`."""
        self._injections.append([method, re.compile(path) if path else None, response, times])

    def mark(self) -> int:
        """Position in the request log, for counting the calls of one operation."""
        return len(self.requests)

    def since(self, mark: int) -> list[RecordedRequest]:
        """Requests recorded after `mark`."""
        return self.requests[mark:]

    # -- subclass API ---------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:  # pragma: no cover - abstract
        """Whether the request carries the server's token."""
        raise NotImplementedError

    def route(self, req: RecordedRequest) -> Response:  # pragma: no cover - abstract
        """Apply the request to the state and return the response."""
        raise NotImplementedError

    # -- machinery ------------------------------------------------------------------------------

    def _pick_fault(self, req: RecordedRequest) -> Fault:
        if self.fault is not None:
            chosen = self.fault(req)
            if chosen is not None:
                return chosen
        for inj in self._injections:
            method, pattern, response, times = inj
            if times <= 0 or (method and method != req.method):
                continue
            if pattern is not None and not pattern.search(req.path):
                continue
            inj[3] -= 1
            return response  # type: ignore[no-any-return]
        return None

    def _serve(self, req: RecordedRequest, headers: dict[str, str]) -> Response:
        if not self.authorized(headers):
            return self.unauthorized
        try:
            return self.route(req)
        except Reply as reply:
            return reply.status, reply.headers, reply.body

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        split = urlsplit(h.path)
        all_headers = dict(h.headers.items())
        public = {k: v for k, v in all_headers.items() if k.lower() not in SECRET_HEADERS}
        req = RecordedRequest(
            h.command, split.path, parse_qs(split.query, keep_blank_values=True), body, public
        )
        with self.lock:
            fault = self._pick_fault(req)
            label = None if fault is None else _describe(fault)
            self.requests.append(req._replace(fault=label))
            if fault is None:
                response: Response | str | Trickle = self._serve(req, all_headers)
            elif isinstance(fault, AfterApply):
                self._serve(req, all_headers)
                response = fault.response
            else:
                response = fault
        if response == "reset":
            _reset(h)
            return
        if isinstance(response, Trickle):
            _trickle(h, response)
            return
        assert isinstance(response, tuple), response
        status, extra, payload = response
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h.send_response(status)
        if not any(key.lower() == "content-type" for key in extra):  # an HTML page says so itself
            h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(data)


def _describe(fault: Fault) -> str:
    if isinstance(fault, AfterApply):
        return "after-apply:" + _describe(fault.response)
    if isinstance(fault, Trickle):
        return f"trickle-{fault.part}"
    if isinstance(fault, tuple):
        return str(fault[0])
    return str(fault)


def _trickle(h: BaseHTTPRequestHandler, how: Trickle) -> None:
    """Send a JSON 200 answer at one byte per `how.every` seconds from `how.part` on."""
    h.close_connection = True
    body = json.dumps({"message": "slow " * 4000}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    status, rest = head.split(b"\r\n", 1)
    fast, slow = (status + b"\r\n", rest + body) if how.part == "headers" else (head, body)
    ends = time.monotonic() + how.longest
    try:
        h.connection.sendall(fast)
        for index in range(len(slow)):
            if time.monotonic() > ends:
                return
            time.sleep(how.every)
            h.connection.sendall(slow[index : index + 1])
    except OSError:
        return  # the client hung up: what a deadline does


def _reset(h: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST and no response, as a crashed proxy would."""
    h.close_connection = True
    sock = h.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# -- in-memory provider -----------------------------------------------------------------------


class FakePullHost(LoopbackServer):
    """A fake Git host API that keeps PR records: what every host's fake shares. Subclasses set
    `api_url`, keep `pulls`, and name their clone URL layout in `repo_url`."""

    api_url: str
    pulls: list[PullRecord]

    def repo_url(self, path: str) -> str:  # pragma: no cover - abstract
        """The clone URL of repository `path` in this host's layout."""
        raise NotImplementedError

    def settings(self, path: str, token: str | None = None, **kw: Any) -> ProviderSettings:
        """ProviderSettings pointing at this server, unthrottled, with millisecond backoff."""
        kw.setdefault("throttle", False)
        kw.setdefault("backoff", 0.001)
        token = self.token if token is None else token
        return ProviderSettings(repo_url=self.repo_url(path), api_url=self.api_url, token=token, **kw)

    def open_pulls(self, repo: str | None = None) -> list[PullRecord]:
        """Open PRs, optionally of one repository."""
        return [p for p in self.pulls if p.state == "open" and repo in (None, p.repo)]


class FakeHost:
    """State shared by FakeProvider instances: the token it accepts, repos, PRs, a fault hook.

    `fault(operation) -> ProviderError | None` lets a test fail one operation
    ("find", "create", "update", "labels", "reviewers", "assignees", "automerge").
    """

    def __init__(self, token: str = "fake-token", repos: set[str] | None = None) -> None:
        self.token = token
        self.repos = repos  # None: every repository exists
        self.pulls: list[PullRecord] = []
        self.calls: list[str] = []
        self.fault: Callable[[str], ProviderError | None] | None = None

    def provider(self, settings: ProviderSettings) -> FakeProvider:
        """A FakeProvider bound to this host, as the registry would build it."""
        return FakeProvider(settings, host=self)


class FakeProvider:
    """The Provider protocol in memory: same semantics as github/gitlab, no HTTP."""

    name = "fake"

    def __init__(self, settings: ProviderSettings, host: FakeHost | None = None) -> None:
        self.settings = settings
        self.host = host or FakeHost(token=settings.token or "fake-token")
        self.repo = re.sub(r"\.git$", "", settings.repo_url.rstrip("/"))

    def _call(self, op: str, *, request: bool = True) -> None:
        """One simulated API request (`host.calls`); extras riding on the create are not."""
        if request:
            self.host.calls.append(op)
        if self.settings.token != self.host.token:
            raise ProviderError("fake: authentication failed (401); check the token", kind="auth")
        if self.host.repos is not None and self.repo not in self.host.repos:
            raise ProviderError(f"fake: repository {self.repo} not found (404)", kind="not-found")
        if self.host.fault is not None:
            error = self.host.fault(op)
            if error is not None:
                raise error

    def _as_pr(self, rec: PullRecord, warnings: tuple[str, ...] = ()) -> PullRequest:
        return PullRequest(
            number=rec.number,
            url=f"{self.repo}/pull/{rec.number}",
            title=rec.title,
            body=rec.body,
            head_branch=rec.head,
            base_branch=rec.base,
            draft=rec.draft,
            warnings=warnings,
        )

    def _open_record(self, head: str, base: str) -> PullRecord | None:
        for rec in self.host.pulls:
            if (rec.repo, rec.head, rec.base, rec.state) == (self.repo, head, base, "open"):
                return rec
        return None

    def find_pull_request(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """The open PR from `head_branch` into `base_branch`, else one into another base (a
        person retargeted it), or None."""
        self._call("find")
        rec = self._open_record(head_branch, base_branch) or next(
            (r for r in self.host.pulls if (r.repo, r.head, r.state) == (self.repo, head_branch, "open")),
            None,
        )
        return None if rec is None else self._as_pr(rec)

    def open_pull_request(self, spec: PullRequestSpec) -> PullRequest:
        """Open a PR as `spec` says; an existing open PR for the branch is updated instead."""
        self._call("create")
        rec = self._open_record(spec.head_branch, spec.base_branch)
        if rec is None:
            number = 1 + sum(1 for r in self.host.pulls if r.repo == self.repo)
            rec = PullRecord(
                self.repo, number, spec.title, spec.body, spec.head_branch, spec.base_branch, draft=spec.draft
            )
            self.host.pulls.append(rec)
        else:
            self._call("update")
            rec.title, rec.body = spec.title, spec.body
        warnings: list[str] = []
        for op, wanted, target in (
            ("labels", spec.labels, rec.labels),
            ("reviewers", spec.reviewers, rec.reviewers),
            ("assignees", spec.assignees, rec.assignees),
        ):
            if wanted:
                try:
                    self._call(op, request=False)  # sent with the create, as GitLab does
                except ProviderError as exc:
                    warnings.append(str(exc))
                    continue
                target.extend(x for x in wanted if x not in target)
        if spec.automerge:
            try:
                self._call("automerge")
                rec.automerge = True
            except ProviderError as exc:
                warnings.append(str(exc))
        return self._as_pr(rec, tuple(warnings))

    def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        """Set the title and body of an existing PR."""
        self._call("update")
        for rec in self.host.pulls:
            if rec.repo == self.repo and rec.number == pr.number:
                rec.title, rec.body = title, body
                return self._as_pr(rec)
        raise ProviderError(f"fake: pull request #{pr.number} not found (404)", kind="not-found")

    def comment_once(self, pr: PullRequest, key: str, text: str) -> bool:
        """Add a comment unless one holding `key` is there (the CommentsOnPullRequests capability)."""
        self._call("comments")
        for rec in self.host.pulls:
            if rec.repo == self.repo and rec.number == pr.number:
                if any(key in c for c in rec.comments):
                    return False
                self._call("comment")
                rec.comments.append(text)
                return True
        raise ProviderError(f"fake: pull request #{pr.number} not found (404)", kind="not-found")

    def pull_request_state(self, number: int) -> PullRequestState:
        """The PR's state (FollowsPullRequests)."""
        self._call("state")
        for rec in self.host.pulls:
            if (rec.repo, rec.number) == (self.repo, number):
                merged = rec.merge_commit if rec.state == "merged" else None
                return PullRequestState(rec.state, merged, rec.base)
        raise ProviderError(f"fake: pull request #{number} not found (404)", kind="not-found")

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """Head commits of the closed or merged PRs from `head_branch` into any base
        (FindsClosedPullRequests)."""
        self._call("closed")
        return [
            rec.head_sha
            for rec in reversed(self.host.pulls)
            if (rec.repo, rec.head) == (self.repo, head_branch) and rec.state != "open"
        ]

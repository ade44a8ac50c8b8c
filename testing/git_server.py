"""A loopback smart-HTTP git server (real `git upload-pack`/`receive-pack`, git http-backend as CGI
for anything else) with token auth and fault injection.

Tests clone from and push to it exactly as CI talks to GitHub/GitLab: HTTP Basic with the token as
password, real git on both ends, no network. Every request is recorded, and a `fault` callable can
answer an error status, drop the connection, or cut a response halfway for reliability tests.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import gzip
import os
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import pytest

from testing.tls import TlsHttpServer

# A fault answer: None (serve normally), an HTTP status to answer instead (with a `text/plain`
# body of its own when given as (status, body): what a host says, e.g. GitHub's SAML SSO 403),
# "reset" (close the connection without answering, with a TCP RST) or "truncate" (serve, but cut
# the body halfway).
FaultAnswer = int | tuple[int, bytes] | Literal["reset", "truncate"] | None


class RequestInfo(NamedTuple):
    """What the fault hook sees about one request; `seq` counts requests from 0."""

    seq: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    user: str | None
    authorized: bool


class RequestRecord(NamedTuple):
    """One served request as recorded in `GitServer.requests` (status 0 = connection dropped)."""

    method: str
    path: str
    query: str
    status: int
    fault: str | None


FaultHook = Callable[[RequestInfo], FaultAnswer]


@dataclass
class GitServer:
    """A running server: repositories live under `root` as `<name>.git`."""

    root: Path
    token: str
    port: int
    fault: FaultHook | None = None
    requests: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _count: int = 0

    scheme: str = "http"
    # How a host takes the token besides Basic with any user: `bearer` also accepts
    # `Authorization: Bearer TOKEN` (Bitbucket Data Center, Azure Pipelines' System.AccessToken);
    # `basic_user` requires that user name (Bitbucket Cloud's access tokens use x-token-auth).
    bearer: bool = False
    basic_user: str | None = None
    # A fake host (testing/fake_provider.LoopbackServer) that answers the API paths (`/api/`) on
    # this origin, as one real host serves git and its API together.
    api: Any = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (https with TLS) — the origin the clone URLs share."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url_for(self, name: str) -> str:
        """The clone URL of repository `name` (served from `root/name.git`)."""
        name = name.removesuffix(".git")
        return f"{self.base_url}/{name}.git"

    def path_for(self, name: str) -> Path:
        """Where repository `name` lives on disk."""
        return self.root / f"{name.removesuffix('.git')}.git"

    def _next_index(self) -> int:
        with self._lock:
            index = self._count
            self._count += 1
            return index

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def clear_requests(self) -> None:
        """Forget recorded requests (between the phases of a test)."""
        with self._lock:
            self.requests.clear()


def _check_auth(header: str | None, gs: GitServer) -> tuple[bool, str | None]:
    """Return (authorized, user) for an `Authorization` header: Basic, any user (or the server's
    `basic_user`), token as password; or Bearer TOKEN where the server takes it."""
    token = gs.token
    if header and gs.bearer and header.lower().startswith("bearer "):
        return header[7:].strip() == token, None
    if not header or not header.lower().startswith("basic "):
        return False, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False, None
    user, sep, password = decoded.partition(":")
    if not sep:
        return False, user or None
    if gs.basic_user is not None and user != gs.basic_user:
        return False, user or None
    return password == token, user or None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Headers and body go out in separate writes: with Nagle on, each keep-alive request
    # after the first stalls ~40 ms on the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet; tests read `GitServer.requests` instead."""

    def do_GET(self) -> None:
        """Serve info/refs and dumb-protocol files through http-backend."""
        self._handle()

    def do_POST(self) -> None:
        """Serve git-upload-pack / git-receive-pack through http-backend."""
        self._handle()

    # -- plumbing -------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until an empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no answer."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def _send_simple(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        gs = self.server.git_server
        split = urlsplit(self.path)
        if gs.api is not None and "/api/" in split.path:
            gs.api._handle(self)
            return
        authorized, user = _check_auth(self.headers.get("Authorization"), gs)
        info = RequestInfo(
            seq=gs._next_index(),
            method=self.command,
            path=split.path,
            query=split.query,
            headers={k: v for k, v in self.headers.items()},
            user=user,
            authorized=authorized,
        )
        body = self._read_body()
        answer = gs.fault(info) if gs.fault is not None else None
        fault_name = None if answer is None else str(answer)

        if answer == "reset":
            gs._record(RequestRecord(info.method, info.path, info.query, 0, fault_name))
            self._reset()
            return
        if isinstance(answer, tuple):
            status, said = answer
            gs._record(RequestRecord(info.method, info.path, info.query, status, fault_name))
            self._send_simple(status, said)
            return
        if isinstance(answer, int) and not isinstance(answer, bool):
            gs._record(RequestRecord(info.method, info.path, info.query, answer, fault_name))
            extra = {"Retry-After": "0"} if answer in (429, 503) else None
            self._send_simple(answer, f"injected fault {answer}\n".encode(), extra)
            return

        if not authorized:
            gs._record(RequestRecord(info.method, info.path, info.query, 401, fault_name))
            self._send_simple(401, b"authentication required\n", {"WWW-Authenticate": 'Basic realm="git"'})
            return

        status, headers, out = self._run_backend(split.path, split.query, body, user or "git")
        if answer == "truncate":
            gs._record(RequestRecord(info.method, info.path, info.query, 0, fault_name))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out[: len(out) // 2])
            self.wfile.flush()
            self._reset()
            return
        gs._record(RequestRecord(info.method, info.path, info.query, status, fault_name))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def _run_backend(
        self, path: str, query: str, body: bytes, user: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        gs = self.server.git_server
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(gs.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        smart = _smart_request(gs.root, self.command, path, query, self.headers.get("Content-Type", ""))
        if smart is not None:
            return _run_service(*smart, body, self.headers.get("Content-Encoding", ""), user, env)
        env |= {
            "GIT_PROJECT_ROOT": str(gs.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        proc = subprocess.run([_http_backend()], input=body, env=env, capture_output=True, check=False)
        head, _, out = proc.stdout.partition(b"\r\n\r\n")
        if not _ and b"\n\n" in proc.stdout:
            head, _, out = proc.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            key, _sep, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key and key.lower() != "content-length":
                headers.append((key, value.strip()))
        if proc.returncode != 0 and not proc.stdout:
            return 500, [], proc.stderr
        return status, headers, out


# What git-http-backend answers besides the body; git's client reads the content type.
_NO_CACHE = [
    ("Expires", "Fri, 01 Jan 1980 00:00:00 GMT"),
    ("Pragma", "no-cache"),
    ("Cache-Control", "no-cache, max-age=0, must-revalidate"),
]
_SERVICES = ("git-upload-pack", "git-receive-pack")


def _smart_request(
    root: Path, method: str, path: str, query: str, content_type: str
) -> tuple[Path, str, bool] | None:
    """(repository, service, advertise) of a smart-HTTP request that `git <service>` answers on its
    own, as git-http-backend would run it; None for anything else (a missing repository, a dumb
    or malformed request), which git-http-backend then answers with its own status."""
    repo_path, _, tail = path.rpartition("/")
    if method == "GET" and tail == "refs" and repo_path.endswith("/info"):
        service, repo_path, advertise = query.removeprefix("service="), repo_path[: -len("/info")], True
    elif method == "POST" and content_type == f"application/x-{tail}-request":
        service, advertise = tail, False
    else:
        return None
    repo = (root / repo_path.lstrip("/")).resolve()
    if service not in _SERVICES or ".." in path.split("/") or not repo.is_relative_to(root.resolve()):
        return None
    return (repo, service, advertise) if (repo / "HEAD").is_file() else None


def _run_service(
    repo: Path, service: str, advertise: bool, body: bytes, encoding: str, user: str, env: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """What git-http-backend answers for one smart-HTTP request, without its process: a run of
    `git upload-pack`/`git receive-pack` costs one process where the CGI costs two."""
    if encoding in ("gzip", "x-gzip"):
        body = gzip.decompress(body)
    env = env | {"GIT_COMMITTER_NAME": user, "GIT_COMMITTER_EMAIL": f"{user}@http.127.0.0.1"}
    args = ["git", service.removeprefix("git-"), "--stateless-rpc"]
    args += ["--http-backend-info-refs", str(repo)] if advertise else [str(repo)]
    out = subprocess.run(args, input=body, env=env, capture_output=True, check=False).stdout
    if advertise:
        if "version=2" not in env.get("GIT_PROTOCOL", "").split(":"):  # v2 has no service line
            out = _pkt_line(f"# service={service}\n".encode()) + b"0000" + out
        return 200, [*_NO_CACHE, ("Content-Type", f"application/x-{service}-advertisement")], out
    return 200, [*_NO_CACHE, ("Content-Type", f"application/x-{service}-result")], out


def _pkt_line(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


class _Server(TlsHttpServer):
    allow_reuse_address = True
    git_server: GitServer


@contextlib.contextmanager
def serve_git(
    root: Path, token: str, fault: FaultHook | None = None, *, tls: ssl.SSLContext | None = None
) -> Iterator[GitServer]:
    """Serve every `*.git` repository under `root` on 127.0.0.1 (a free port) until the block ends;
    over HTTPS with a `tls` context (testing/tls.py).

    `fault` may be replaced later through the yielded object's `.fault` attribute.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.tls = tls
    gs = GitServer(root=root, token=token, port=httpd.server_address[1], fault=fault, scheme=httpd.scheme)
    httpd.git_server = gs
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="git-http", daemon=True)
    thread.start()
    try:
        yield gs
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


GIT_TOKEN = "s3cr3t-t0ken-for-tests-9f8e7d"  # noqa: S105 - a test token, distinctive to grep for


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    """A loopback git server over `tmp_path/srv` with token `GIT_TOKEN`."""
    with serve_git(tmp_path / "srv", GIT_TOKEN) as gs:
        yield gs


@functools.cache
def _http_backend() -> str:
    """git-http-backend itself: `git http-backend` would start two processes per request."""
    found = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True)
    return os.path.join(found.stdout.strip(), "git-http-backend")

"""requests' HTTPAdapter with a whole-answer deadline (deadline.py), the one mechanism under every
HTTP stack bumper uses: PyGithub, python-gitlab, the REST client and the registry client all
read through requests and urllib3, so each mounts this adapter on its session.

How: each urllib3 connection notes when a request went out on it (a new attempt: urllib3's
retries and their waits, a 429's Retry-After included, come between attempts and never count),
and reads its answer, status line, headers and body, through a reader that gives each socket
read at most what is left of the deadline (never more than the request's own read timeout).
When nothing is left the read raises AnswerTooSlow: not an OSError, so urllib3 does not retry it
and requests does not wrap it; urllib3 closes that connection rather than pool it. No thread, no
signal: it works in any thread (a PR lookup runs beside a git command) and in forked planners.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from bumper.providers.deadline import AnswerTooSlow


class _Timed(HTTPConnection):
    """A connection whose every answer must be in within `seconds` of its request."""

    seconds: float = float("inf")  # set per adapter (_pool_classes)
    deadline: float = float("inf")  # time.monotonic() by which the current answer must be in
    asked: tuple[str, str] = ("", "")  # method and path (no query) of the current request

    def connect(self) -> None:
        # A proxy's CONNECT answer is read before the request is sent: it counts too.
        self.deadline = time.monotonic() + self.seconds
        super().connect()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.asked = (method, urlsplit(url).path or "/")
        super().request(method, url, *args, **kwargs)

    def response_class(  # type: ignore[override] # a method where http.client has a class
        self, sock: socket.socket, *args: Any, **kwargs: Any
    ) -> http.client.HTTPResponse:
        """http.client builds each answer with `self.response_class(self.sock, ...)`."""
        return _TimedResponse(sock, self, *args, **kwargs)


class _TimedResponse(http.client.HTTPResponse):
    """An answer read through _DeadlineReader instead of the socket's own file."""

    def __init__(self, sock: socket.socket, conn: _Timed, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the file http.client opened; ours below keeps the socket open instead
        raw = sock.makefile("rb", buffering=0)
        host = f"{conn.host}:{conn.port}" if conn.port else conn.host
        asked = (host, *conn.asked)
        self.fp = io.BufferedReader(_DeadlineReader(raw, sock, conn.deadline, asked, conn.seconds))


class _DeadlineReader(io.RawIOBase):
    """The socket's raw file, each read cut at what is left of the deadline."""

    def __init__(
        self, raw: Any, sock: socket.socket, deadline: float, asked: tuple[str, str, str], seconds: float
    ) -> None:
        super().__init__()
        self._raw, self._sock, self._deadline = raw, sock, deadline
        self._asked, self._seconds = asked, seconds
        self._timeout = sock.gettimeout()  # the request's read timeout, as urllib3 set it

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise AnswerTooSlow(*self._asked, self._seconds)
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))
        try:
            read: int | None = self._raw.readinto(buffer)
        except TimeoutError:
            if time.monotonic() >= self._deadline:
                raise AnswerTooSlow(*self._asked, self._seconds) from None
            raise  # the read timeout itself: urllib3's ReadTimeoutError, retried as a silent host
        finally:
            if self._sock.fileno() != -1:
                self._sock.settimeout(self._timeout)  # the next request on this connection
        return read

    def close(self) -> None:
        self._raw.close()
        super().close()


@functools.cache
def _pool_classes(seconds: float) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections keep a `seconds` deadline per answer."""

    class Http(_Timed):
        pass

    class Https(_Timed, HTTPSConnection):
        pass

    class HttpPool(HTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(HTTPSConnectionPool):
        ConnectionCls = Https

    Http.seconds = Https.seconds = seconds
    return {"http": HttpPool, "https": HttpsPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter (retries and pooling as given) whose every answer has `seconds` to arrive."""

    __attrs__ = [*HTTPAdapter.__attrs__, "_seconds"]  # kept by pickle, as requests keeps its own

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        self._seconds = seconds  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self._timed(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if "socks" not in proxy.lower():  # a SOCKS proxy's connections are its own classes
            self._timed(manager)
        return manager

    def _timed(self, manager: PoolManager) -> None:
        manager.pool_classes_by_scheme = _pool_classes(self._seconds)

"""What the provider contract test modules share (tests/providers_test.py and the per-host ones):
the branches a PR goes between, a provider against a fake host's server, the error contract."""

from __future__ import annotations

from typing import Any

from bumper.errors import ProviderError
from bumper.providers.api import Provider
from testing.fake_provider import PullRecord

HEAD, BASE = "bumper/ghcr.io-acme-app", "main"


class HttpBackend:
    """One host for the contract: its fake server, the repository on it, the provider class."""

    def __init__(self, name: str, server: Any, repo: str, cls: type) -> None:
        self.name, self.server, self.repo, self.cls = name, server, repo, cls

    def provider(self, token: str | None = None, repo: str | None = None, **kw: Any) -> Provider:
        provider: Provider = self.cls(self.server.settings(repo or self.repo, token=token, **kw))
        return provider

    def open_records(self) -> list[PullRecord]:
        return self.server.open_pulls()  # type: ignore[no-any-return]

    def mark(self) -> int:
        return self.server.mark()  # type: ignore[no-any-return]

    def calls_since(self, mark: int) -> int:
        return len(self.server.since(mark))

    @property
    def token(self) -> str:
        return self.server.token  # type: ignore[no-any-return]


def assert_clean(exc: ProviderError, token: str) -> None:
    """The error contract: one line, no token, a stable kind."""
    text = str(exc)
    assert "\n" not in text and text.strip() == text
    assert token not in text
    assert exc.kind in ("auth", "not-found", "rate-limited", "conflict", "other")

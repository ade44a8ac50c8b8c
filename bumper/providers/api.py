"""The Provider protocol every Git host implementation follows, and its entry-point loader.

The member docstrings below are the contract; docs/providers.md links here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from bumper.errors import ConfigError

ENTRY_POINT_GROUP = "bumper.providers.v1"


@dataclass(frozen=True)
class PullRequest:
    """An open pull/merge request as the host reports it."""

    number: int
    url: str
    title: str
    body: str
    head_branch: str
    base_branch: str


@dataclass(frozen=True)
class PullRequestSpec:
    """What bumper wants a pull request to be; `open_pull_request` applies all of it."""

    head_branch: str
    base_branch: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    automerge: bool = False


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach the host: the repository URL, an optional API URL, and the token."""

    repo_url: str
    api_url: str | None
    token: str | None = field(repr=False)
    # Seconds between requests; None in tests. Production keeps the SDK's polite defaults.
    throttle: bool = True


@runtime_checkable
class Provider(Protocol):
    """A Git host that can find, open and update pull requests for a pushed branch.

    Implementations map every SDK exception to ProviderError with a stable `kind`
    (auth, not-found, rate-limited, conflict, other) and never put the token in a message.
    """

    name: str

    def find_pull_request(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """Return the open PR from `head_branch` into `base_branch`, or None."""
        ...

    def open_pull_request(self, spec: PullRequestSpec) -> PullRequest:
        """Open a PR with labels, reviewers, assignees, draft and auto-merge as `spec` says.

        When the host answers that the PR already exists (a retried create), find and
        update that PR instead of failing.
        """
        ...

    def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        """Set the title and body of an existing PR (a no-op call is the caller's to avoid)."""
        ...


def available_providers() -> dict[str, object]:
    """Entry points of the provider group, by name (built-ins load through the same door)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_provider(name: str, settings: ProviderSettings) -> Provider:
    """Instantiate the provider registered under `name`."""
    eps = available_providers()
    if name not in eps:
        raise ConfigError(
            f"unknown provider {name!r}; available: {', '.join(sorted(eps))}"
        )
    cls = eps[name].load()  # type: ignore[attr-defined]
    provider: Provider = cls(settings)
    return provider

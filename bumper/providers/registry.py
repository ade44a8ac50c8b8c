"""Which providers exist: entry-point discovery (`bumper.providers.v1`), `auto` detection, tokens.

A provider is registered as a `ProviderSpec`: what bumper must know before it imports the
provider's SDK (its token variables, the hosts it claims, how to spot its API URL or its CI,
where its API is for a repository) and where its implementation lives. github and gitlab come
through the same entry-point group, declared in bumper's own pyproject.toml, as any outside
provider does.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from bumper.errors import ConfigError, ProviderError
from bumper.git.url import RepoUrl
from bumper.secrets import GENERIC_TOKEN, PROVIDER_ENTRY_POINTS, TOKEN_TEXT

if TYPE_CHECKING:  # only types: the registry must load without the provider protocol's imports
    from bumper.providers.api import ApiLocation, Provider, ProviderSettings

ENTRY_POINT_GROUP = PROVIDER_ENTRY_POINTS  # secrets.py reads its token variables too
NO_PROVIDER = "none"  # push the branch, open nothing
AUTO = "auto"


@dataclass(frozen=True)
class ProviderSpec:
    """A provider as the registry knows it, before its SDK is imported."""

    name: str
    # Module-qualified class, "package.module:Class", built with one ProviderSettings.
    implementation: str
    # Host-specific token variables, after BUMPER_TOKEN, in the order they are read.
    token_variables: tuple[str, ...] = ()
    # Hosts `auto` picks this provider for, as fnmatch patterns ("github.com", "*.github.com").
    hosts: tuple[str, ...] = ()
    # Substrings of an --api-url that only this provider's API has ("/api/v4").
    api_url_marks: tuple[str, ...] = ()
    # The host of the CI server when bumper runs in this provider's CI, else None.
    ci_host: Callable[[Mapping[str, str]], str | None] | None = None
    # The API URL rule: (repository URL, --api-url or None, environment) -> where the API is.
    # The registry applies it with the environment (ProviderSettings.location); the
    # implementation applies it without one when built by hand. None: the implementation gets
    # --api-url as given.
    api_location: Callable[[str, str | None, Mapping[str, str]], ApiLocation] | None = None
    # The `Authorization` header value git sends: (token, environment) -> "Basic …"/"Bearer …".
    # None: HTTP Basic with any user name and the token as password (GitHub, GitLab).
    git_authorization: Callable[[str, Mapping[str, str]], str] | None = None
    # fnmatch patterns on a repository URL's path that only this host's layout has
    # ("*_git/*" for Azure Repos), for `auto` on a host it does not know by name.
    repo_paths: tuple[str, ...] = ()
    # Labels of a host name that mean this provider to `auto` (`bitbucket` in bitbucket.acme.io
    # is a Data Center); None: the provider's own name.
    host_labels: tuple[str, ...] | None = None
    # Why the host cannot keep a PR label of this name whole (GitLab splits names at commas),
    # or None: checked for every --label before the clone, so such a run ends with exit 2.
    label_problem: Callable[[str], str | None] | None = None

    def create(self, settings: ProviderSettings, env: Mapping[str, str] | None = None) -> Provider:
        """Import the implementation and build it; the SDK loads here, not at discovery.
        With `env`, the API URL rule runs first and the settings carry its answer."""
        if self.api_location is not None and env is not None:
            where = self.api_location(settings.repo_url, settings.api_url, env)
            settings = replace(settings, location=where)
        provider: Provider = self.implementation_class()(settings)
        return provider

    def implementation_class(self) -> type:
        """The implementation's class (importing its SDK), e.g. to ask for an optional capability.
        One that does not load (its SDK missing or broken) is a ProviderError naming it."""
        module, _, attr = self.implementation.partition(":")
        try:
            cls: type = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ProviderError(
                f"provider {self.name!r} does not load: {self.implementation} "
                f"({type(exc).__name__}: {exc}); reinstall it with what it needs"
            ) from exc
        return cls

    def import_ahead(self) -> None:
        """Import the implementation now, ahead of need (bumper.remote runs this beside the clone: an
        SDK takes longer to import than a shallow clone of a small repo). A failure is left to
        the import that needs the module (implementation_class), which says it."""
        try:
            importlib.import_module(self.implementation.partition(":")[0])
        except Exception:  # noqa: S110 - imported again where it is needed, and said there
            pass


@lru_cache(maxsize=1)
def _discover() -> tuple[dict[str, ProviderSpec], dict[str, str]]:
    """Registered specs by name, and why each broken registration could not load."""
    specs: dict[str, ProviderSpec] = {}
    broken: dict[str, str] = {}
    from importlib.metadata import entry_points  # a --dir run never needs it (tests/import_budget_test.py)

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in specs:
            continue  # the same distribution seen twice on sys.path: the first wins, as for imports
        try:
            spec = ep.load()
        except Exception as exc:  # an outside package's bug must not break the other providers
            broken[ep.name] = f"{ep.value} does not load ({type(exc).__name__}: {exc})"
            continue
        if not isinstance(spec, ProviderSpec) or spec.name != ep.name:
            broken[ep.name] = f"{ep.value} is not a ProviderSpec named {ep.name!r}"
            continue
        specs[ep.name] = spec
    return specs, broken


def providers() -> dict[str, ProviderSpec]:
    """Every provider that loaded, by name."""
    return _discover()[0]


def spec_for(name: str) -> ProviderSpec:
    """The provider registered as `name`; an unknown name lists the known ones."""
    specs, broken = _discover()
    if name in specs:
        return specs[name]
    if name in broken:
        raise ConfigError(f"provider {name!r} is installed but broken: {broken[name]}")
    raise ConfigError(f"unknown provider {name!r}; available: {', '.join(sorted(specs))}")


def token_variables(provider: str | None = None) -> tuple[str, ...]:
    """The variables a token for `provider` is read from, in order; every provider's for None
    or `none` (a push-only run may authenticate to any host)."""
    specs = providers()
    chosen = [specs[provider]] if provider in specs else list(specs.values())
    names = [GENERIC_TOKEN] + [v for spec in chosen for v in spec.token_variables]
    return tuple(dict.fromkeys(names))


def token_for(provider: str, env: Mapping[str, str]) -> str | None:
    """The first token variable set for `provider` (BUMPER_TOKEN first), as its registration says.
    A token holding a line break, a space or a non-ASCII character inside is refused before it
    can reach a header (a newline there would split it into two)."""
    for name in token_variables(provider):
        value = env.get(name, "").strip()
        if value and not TOKEN_TEXT.fullmatch(value):
            raise ConfigError(
                f"{name} holds a line break, a space, a control or a non-ASCII character inside "
                f"the token, which no Git host's token has; set {name} to the token alone"
            )
        if value:
            return value
    return None


def resolve(choice: str, repo: str, api_url: str | None, env: Mapping[str, str]) -> str:
    """The provider for this run: `none`, a registered name, or what `auto` detects from the
    repository host, the CI environment, the API URL's shape, the host's labels and the
    repository path's layout (`/scm/P/r`, `/P/_git/r`)."""
    if choice == NO_PROVIDER:
        return choice
    if choice != AUTO:
        return spec_for(choice).name
    host = repo_host(repo)
    if host is None:
        return NO_PROVIDER  # a local path or file:// URL has no API
    specs = [spec for _, spec in sorted(providers().items())]
    for spec in specs:
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in spec.hosts):
            return spec.name
    for spec in specs:
        if spec.ci_host is not None and spec.ci_host(env) == host:
            return spec.name
    for spec in specs:
        if api_url and any(mark in api_url for mark in spec.api_url_marks):
            return spec.name
    for label in host.split("."):
        for spec in specs:
            if label in (spec.host_labels if spec.host_labels is not None else (spec.name,)):
                return spec.name
    path = RepoUrl.parse(repo).path
    for spec in specs:
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in spec.repo_paths):
            return spec.name
    names = {spec.name for spec in specs}
    choices = ", ".join([*sorted(names), NO_PROVIDER])
    raise ConfigError(f"cannot tell the Git host API of {host!r}; pass --provider {choices}")


def git_authorization(provider: str, token: str, env: Mapping[str, str]) -> str | None:
    """The `Authorization` header value git sends for `provider`'s host; None: the default
    (HTTP Basic, any user, the token as password)."""
    spec = providers().get(provider)
    if spec is None or spec.git_authorization is None:
        return None
    return spec.git_authorization(token, env)


def repo_host(url: str) -> str | None:
    """The lower-case host of a remote URL; None for a local path or file:// URL."""
    return RepoUrl.parse(url).host

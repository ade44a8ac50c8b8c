"""ProviderSpec: what a provider's registration tells bumper before its SDK is imported.

Outside providers import it as `bumper.providers.registry.ProviderSpec`; it lives in a module of
its own so that the built-ins' table (builtin.py) and the registry that reads it import no cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bumper.errors import ProviderError

if TYPE_CHECKING:  # only types: the registry must load without the provider protocol's imports
    from bumper.providers.api import ApiLocation, Provider, ProviderSettings


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
        the import that needs the module (implementation_class), which says it. Its modules
        live as long as the process: no collection walks them (deferred.lasting_imports)."""
        from bumper.providers.deferred import lasting_imports  # a --repo run's: not the registry's

        try:
            with lasting_imports():
                importlib.import_module(self.implementation.partition(":")[0])
        except Exception:  # noqa: S110 - imported again where it is needed, and said there
            pass

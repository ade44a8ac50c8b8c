"""What every stage of one --repo run reads: the run's settings, and the provider they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bumper.errors import ConfigError
from bumper.options import BumpOptions
from bumper.providers import registry
from bumper.providers.api import Provider, ProviderSettings

LOOKUP_SETTLE_SECONDS = 5.0  # what a failing step waits for the read running beside it


@dataclass(frozen=True)
class RemoteRun:
    """What every step of one remote run reads and none changes: the options, the provider and
    token check_remote settled on, the environment, and the signing configuration."""

    options: BumpOptions
    provider_name: str
    token: str | None
    settings: ProviderSettings
    env: Mapping[str, str]
    signing: list[tuple[str, str]]

    @property
    def git_authorization(self) -> str | None:
        """The header git sends to this host (its ProviderSpec.git_authorization, also with
        --provider none when `auto` knows the host); None: Basic with any user."""
        if self.token is None:
            return None
        host = self.provider_name
        if host == registry.NO_PROVIDER:  # no API, but git still talks to a host auto may know
            try:
                host = registry.resolve(
                    registry.AUTO, self.settings.repo_url, self.settings.api_url, self.env
                )
            except ConfigError:
                return None
        return registry.git_authorization(host, self.token, self.env)


def provider_of(run: RemoteRun) -> Provider:
    return registry.spec_for(run.provider_name).create(run.settings, run.env)

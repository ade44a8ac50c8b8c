"""What every stage of one --repo run reads: the run's settings, and the provider they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


def provider_of(run: RemoteRun) -> Provider:
    """A client of the host this run's provider names, made with its settings."""
    return registry.spec_for(run.provider_name).create(run.settings, run.env)

"""The built-in providers' registrations: GitHub and GitLab, without importing their SDKs."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from bumper.providers.registry import ProviderSpec


def _github_actions_host(env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    return urlsplit(env.get("GITHUB_SERVER_URL", "")).hostname


def _gitlab_ci_host(env: Mapping[str, str]) -> str | None:
    return env.get("CI_SERVER_HOST") if env.get("GITLAB_CI") == "true" else None


GITHUB = ProviderSpec(
    name="github",
    implementation="bumper.providers.github:GitHubProvider",
    token_variables=("GITHUB_TOKEN", "GH_TOKEN"),
    hosts=("github.com", "*.github.com", "*.ghe.com"),
    api_url_marks=("/api/v3", "api.github"),
    ci_host=_github_actions_host,
)

GITLAB = ProviderSpec(
    name="gitlab",
    implementation="bumper.providers.gitlab:GitLabProvider",
    token_variables=("GITLAB_TOKEN",),
    hosts=("gitlab.com",),
    api_url_marks=("/api/v4",),
    ci_host=_gitlab_ci_host,
)

"""The provider registry: built-ins through the entry-point group, `auto` detection, tokens."""

from __future__ import annotations

import importlib.metadata
from importlib import import_module
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from bumper.errors import ConfigError
from bumper.providers import registry
from bumper.providers.api import ProviderSettings
from bumper.providers.gitea import GiteaProvider
from bumper.providers.github import GitHubProvider
from bumper.providers.gitlab import GitLabProvider
from bumper.providers.registry import ProviderSpec, token_for

SETTINGS = ProviderSettings("https://example.test/acme/manifests.git", None, "t0k3n")


@pytest.mark.parametrize(
    "name,cls", [("github", GitHubProvider), ("gitlab", GitLabProvider), ("gitea", GiteaProvider)]
)
def test_builtins_load_through_the_entry_point_group(name: str, cls: type) -> None:
    assert isinstance(registry.spec_for(name).create(SETTINGS), cls)


def test_unknown_provider_names_the_available_ones() -> None:
    known = ", ".join(sorted(registry.providers()))
    assert {"gitea", "github", "gitlab"} <= set(registry.providers())
    with pytest.raises(ConfigError, match=rf"^unknown provider 'gogs'; available: {known}$"):
        registry.spec_for("gogs")


@pytest.mark.parametrize(
    "repo,api_url,env,expected",
    [
        ("https://github.com/acme/app.git", None, {}, "github"),
        ("git@github.com:acme/app.git", None, {}, "github"),
        ("https://eu.github.com/acme/app", None, {}, "github"),
        ("https://gitlab.com/g/s/p.git", None, {}, "gitlab"),
        ("/srv/git/app.git", None, {}, "none"),
        ("file:///srv/git/app.git", None, {}, "none"),
        (
            "https://code.acme.test/a/b",
            None,
            {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://code.acme.test"},
            "github",
        ),
        (
            "https://code.acme.test/a/b",
            None,
            {"GITLAB_CI": "true", "CI_SERVER_HOST": "code.acme.test"},
            "gitlab",
        ),
        ("https://code.acme.test/a/b", "https://code.acme.test/api/v4", {}, "gitlab"),
        ("https://code.acme.test/a/b", "https://code.acme.test/api/v3", {}, "github"),
        ("https://gitlab.acme.test/a/b", None, {}, "gitlab"),
        ("https://github.acme.test/a/b", None, {}, "github"),
        ("https://codeberg.org/acme/app.git", None, {}, "gitea"),
        ("git@codeberg.org:acme/app.git", None, {}, "gitea"),
        ("https://gitea.acme.test/a/b", None, {}, "gitea"),
        ("https://code.acme.test/a/b", "https://code.acme.test/api/v1", {}, "gitea"),
        (  # Gitea's and Forgejo's runners set GITHUB_ACTIONS and GITHUB_SERVER_URL too
            "https://code.acme.test/a/b",
            None,
            {
                "GITHUB_ACTIONS": "true",
                "GITEA_ACTIONS": "true",
                "GITHUB_SERVER_URL": "https://code.acme.test/",
            },
            "gitea",
        ),
        (
            "https://code.acme.test/a/b",
            None,
            {
                "GITHUB_ACTIONS": "true",
                "FORGEJO_ACTIONS": "true",
                "GITHUB_SERVER_URL": "https://code.acme.test",
            },
            "gitea",
        ),
    ],
)
def test_auto_detection(repo: str, api_url: str | None, env: dict[str, str], expected: str) -> None:
    assert registry.resolve("auto", repo, api_url, env) == expected


def test_auto_detection_asks_when_nothing_tells() -> None:
    known = ", ".join(sorted(registry.providers()))
    with pytest.raises(ConfigError, match=rf"cannot tell .*'code.acme.test'; pass --provider {known}, none"):
        registry.resolve("auto", "https://code.acme.test/a/b", None, {})


def test_a_named_provider_is_taken_as_given_and_an_unknown_one_refused() -> None:
    assert registry.resolve("gitlab", "https://github.com/a/b", None, {}) == "gitlab"
    assert registry.resolve("none", "https://github.com/a/b", None, {}) == "none"
    with pytest.raises(ConfigError, match="unknown provider 'gogs'"):
        registry.resolve("gogs", "https://github.com/a/b", None, {})


def test_tokens_are_read_from_the_variables_each_provider_declares() -> None:
    env = {"GH_TOKEN": "gh-value", "GITLAB_TOKEN": "gl-value"}
    assert token_for("github", env) == "gh-value"
    assert token_for("gitlab", env) == "gl-value"
    assert token_for("gitlab", {**env, "BUMPER_TOKEN": "generic"}) == "generic"
    assert token_for("github", {"GITLAB_TOKEN": "gl-value"}) is None
    assert token_for("none", {"GITLAB_TOKEN": "gl-value"}) == "gl-value"


def test_the_built_in_table_is_what_pyproject_registers() -> None:
    """bumper reads a built-in from providers/builtin.py without the entry points; pyproject.toml
    registers the same specs under the same names, for every tool that lists the group."""
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    assert sorted(declared) == sorted(registry.BUILT_IN)
    for name, target in declared.items():
        module, _, attr = target.partition(":")
        assert getattr(import_module(module), attr) is registry.spec_for(name)


def test_a_built_in_is_found_without_reading_the_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--provider github` (and its token, its git header) costs no entry-point scan; an outside
    registration of a built-in's name is not read: the name is bumper's."""

    def no_scan(**_: object) -> object:
        raise AssertionError("the entry points were read")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    registry._discover.cache_clear()
    for name in registry.BUILT_IN:
        assert registry.spec_for(name).name == name
        assert registry.resolve(name, "https://example.test/a/b", None, {}) == name
    assert registry.token_variables("github") == ("BUMPER_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")
    assert registry.token_for("gitlab", {"GITLAB_TOKEN": "gl-value"}) == "gl-value"
    assert registry.git_authorization("github", "t0k3n", {}) is None

    class Registration:
        name, value = "github", "elsewhere:GITHUB"

        def load(self) -> ProviderSpec:
            return ProviderSpec("github", "elsewhere:Provider", token_variables=("ELSEWHERE_TOKEN",))

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [Registration()])
    registry._discover.cache_clear()
    try:
        assert registry.providers()["github"] is registry.spec_for("github")
        assert registry.providers()["github"].implementation == "bumper.providers.github:GitHubProvider"
        assert "ELSEWHERE_TOKEN" not in registry.token_variables()
    finally:
        registry._discover.cache_clear()

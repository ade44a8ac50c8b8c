"""What a --repo run checks before its first network call: provider, token, URLs, pacing,
branch names and templates, so a bad input is exit 2 and never a half-done run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from bumper.changes import commit_message, pr_text, template_values
from bumper.errors import ConfigError
from bumper.git.refname import validate_branch_name
from bumper.git.url import has_blank_or_control
from bumper.options import BumpOptions
from bumper.providers import registry
from bumper.providers.api import ProviderSettings, split_repo_url
from bumper.providers.deadline import DEFAULT_SECONDS, request_deadline
from bumper.secrets import GENERIC_TOKEN, has_query, holds_secret, shown_url
from bumper.tls import check_ca_files, trusted_ca

if TYPE_CHECKING:
    from bumper.providers.github_app import AppCredentials

_OFF = ("0", "false", "no")


class ApiPacing(NamedTuple):
    """How politely the provider's SDK talks to the host (BUMPER_API_THROTTLE/_BACKOFF)."""

    throttle: bool = True
    backoff: float = 1.0
    deadline: float = DEFAULT_SECONDS  # each request's whole answer (BUMPER_REQUEST_DEADLINE)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApiPacing:
        # BUMPER_API_THROTTLE=0 drops the SDK's polite pause between requests (for hosts without
        # secondary rate limits); BUMPER_API_BACKOFF scales the waits between retries.
        throttle = env.get("BUMPER_API_THROTTLE", "1").strip().lower() not in _OFF
        text = env.get("BUMPER_API_BACKOFF", "1")
        try:
            backoff = float(text)
        except ValueError:
            backoff = -1.0
        if not 0 <= backoff <= 100:
            raise ConfigError(
                f"BUMPER_API_BACKOFF must be a number from 0 to 100, e.g. 1 or 0.5, not {text!r}"
            )
        return cls(throttle, backoff, request_deadline(env))


class RemoteSetup(NamedTuple):
    """The checked choices of one --repo run."""

    provider: str  # a registered provider's name, or "none"
    token: str | None
    settings: ProviderSettings  # how the provider reaches its host (unused with "none")


def check_remote(options: BumpOptions, env: Mapping[str, str]) -> RemoteSetup:
    """Raise ConfigError (exit 2) for anything wrong that can be known without the network.
    With a GitHub App instead of a token, then mint the App's installation token (ProviderError
    when GitHub refuses), so that git and the API use it from the first request."""

    assert options.repo is not None
    name = registry.resolve(options.provider, options.repo, options.api_url, env)
    token = registry.token_for(name, env)
    app = _github_app(name, token, env)
    if name != registry.NO_PROVIDER:
        if not token and app is None:
            first, *others = registry.token_variables(name)
            instead = f" (or {'/'.join(others)})" if others else ""
            app_too = (
                ", or BUMPER_GITHUB_APP_ID with BUMPER_GITHUB_APP_PRIVATE_KEY" if name == "github" else ""
            )
            raise ConfigError(
                f"no token for {name}: set {first}{instead}{app_too} in the environment, "
                "or use --provider none"
            )
        split_repo_url(options.repo)  # the API needs a host and an owner/repository path
    if options.api_url is not None:
        _check_api_url(options.api_url)
    check_ca_files(env, registry.repo_host(options.repo))
    if options.commit_via == "api":
        _check_commits_through_api(name, options.provider)
    if options.wait is not None:
        _check_follows_pull_requests(name, options.provider)
    for branch in (options.branch, options.base):
        if branch is not None:
            validate_branch_name(branch)
    _check_labels(name, options.labels)
    check_templates(options, env)
    _check_no_token_in_text(options, name, token, env)
    settings = _provider_settings(options.repo, options.api_url, token, env)
    if app is not None:  # the one network step here, after every offline check passed
        from bumper.providers.github_app import mint_token

        token = mint_token(app, settings)
        settings = replace(settings, token=token)
    return RemoteSetup(name, token, settings)


def _check_labels(name: str, labels: tuple[str, ...]) -> None:
    """A --label the host would not keep whole (ProviderSpec.label_problem) is bad input."""
    problem = registry.spec_for(name).label_problem if name != registry.NO_PROVIDER else None
    if problem is None:
        return
    for label in labels:
        why = problem(label)
        if why is not None:
            raise ConfigError(
                f"--label {label!r}: {why}; give each label its own --label, or choose a name without a comma"
            )


def _github_app(name: str, token: str | None, env: Mapping[str, str]) -> AppCredentials | None:
    """The GitHub App to mint a token with: only for github, only when no token is set."""
    if name != "github" or token:
        return None
    from bumper.providers.github_app import app_credentials

    return app_credentials(env)


def _provider_settings(
    repo: str, api_url: str | None, token: str | None, env: Mapping[str, str]
) -> ProviderSettings:
    """The pacing (BUMPER_API_THROTTLE/_BACKOFF) and the CA the API client trusts come from the
    environment once, here, rather than in each provider."""
    ca = trusted_ca(env, registry.repo_host(repo), api=True)
    pacing = ApiPacing.from_env(env)
    return ProviderSettings(
        repo, api_url, token, ca_file=ca.path if ca else None, env=env, **pacing._asdict()
    )


def no_pull_request(choice: str) -> str:
    """Why a run opens no pull request, in the words of what the user chose: `--provider none`,
    or `auto` on a local path or `file://` URL, which has no host API."""
    if choice == registry.NO_PROVIDER:
        return "--provider none opens no pull request"
    return "a local repository (a path or file:// URL) has no Git host API, so no pull request is opened"


def _require(name: str, choice: str, capability: type, flag: str, cannot: str, instead: str) -> None:
    """`flag` needs a provider implementing the optional Protocol `capability`: without a host
    API (`--provider none`, or a local repository), or with a provider lacking it, exit 2 naming
    what the user chose and what to do instead."""
    if name == registry.NO_PROVIDER:
        why = (
            "with --provider none,"
            if choice == registry.NO_PROVIDER
            else "a local repository (a path or file:// URL) has none;"
        )
        raise ConfigError(f"{flag} needs a Git host's API: {why} {instead}")
    if not issubclass(registry.spec_for(name).implementation_class(), capability):
        raise ConfigError(f"provider {name!r} cannot {cannot}; {instead}")


def _check_commits_through_api(name: str, choice: str) -> None:
    from bumper.providers.api import CommitsThroughApi

    _require(
        name,
        choice,
        CommitsThroughApi,
        "--commit-via api",
        "make commits through its API",
        "use --commit-via git",
    )


def _check_follows_pull_requests(name: str, choice: str) -> None:
    from bumper.providers.api import FollowsPullRequests

    _require(name, choice, FollowsPullRequests, "--wait merged", "read a pull request's state", "drop --wait")


def _check_api_url(url: str) -> None:
    shown = shown_url(url)
    if has_blank_or_control(url):
        # A CI variable's trailing newline: refused as a --repo holding one is, not sent on.
        raise ConfigError(
            f"invalid --api-url {shown!r}: it contains whitespace or a control "
            "character; give the URL alone (https://HOST[/PATH])"
        )
    parts = urlsplit(url)
    bad = not parts.hostname or parts.username or parts.password or has_query(url)
    if parts.scheme not in ("https", "http") or bad:
        raise ConfigError(
            f"invalid --api-url {shown!r}; expected https://HOST[/PATH] without credentials or a query"
        )


def _check_no_token_in_text(
    options: BumpOptions, name: str, token: str | None, env: Mapping[str, str]
) -> None:
    """A token in a text bumper writes to the host (a PR's title or body, a commit message or
    author, a label, reviewer or assignee) would be published there: refused, never quoted."""
    texts = {
        "--title": [options.title or ""],
        "--body": [options.body or ""],
        "--commit-message": [options.commit_message or ""],
        "--author": list(options.author),
        "--label": list(options.labels),
        "--reviewer": list(options.reviewers),
        "--assignee": list(options.assignees),
    }
    # The run's host's variables (built in: no entry point is read), and the token itself.
    names = registry.token_variables(name) if name != registry.NO_PROVIDER else (GENERIC_TOKEN,)
    secrets = [token or "", *(env.get(n, "") for n in names)]
    for flag, values in texts.items():
        if any(holds_secret(value, secrets) for value in values if value):
            raise ConfigError(
                f"{flag} holds a token (a token variable's value, or text shaped like a GitHub or "
                "GitLab token); bumper never writes a token into a pull request or a commit: take it out"
            )


def check_templates(options: BumpOptions, env: Mapping[str, str]) -> None:
    """Render each template once with sample values: an unknown {name} fails now, not after the
    push (and, for --dir, before CI runs the same options against a repository)."""
    values = template_values([str(r) for r in options.images], [], "bumper/branch", "main", env)
    pr_text(options.title, options.body, values, [])
    commit_message(options.commit_message, values, [])

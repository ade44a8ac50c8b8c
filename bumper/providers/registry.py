"""Which providers exist: entry-point discovery (`bumper.providers.v1`), `auto` detection, tokens.

A provider is registered as a `ProviderSpec`: what bumper must know before it imports the
provider's SDK (its token variables, the hosts it claims, how to spot its API URL or its CI,
where its API is for a repository) and where its implementation lives. The built-ins are
declared in the same entry-point group, in bumper's own pyproject.toml, as any outside provider
is; a run that names a built-in takes its spec from providers/builtin.py without reading the
entry points (importlib.metadata and the scan are ~20 ms of a --repo run's CPU, issue 30). What
must know every provider (`auto`, a push-only run's token variables, the list an unknown name
prints) reads them all.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from functools import lru_cache

from bumper.errors import ConfigError
from bumper.git.url import RepoUrl
from bumper.providers.spec import ProviderSpec as ProviderSpec  # outside providers import it from here
from bumper.secrets import GENERIC_TOKEN, PROVIDER_ENTRY_POINTS, TOKEN_TEXT

ENTRY_POINT_GROUP = PROVIDER_ENTRY_POINTS  # secrets.py reads its token variables too
NO_PROVIDER = "none"  # push the branch, open nothing
AUTO = "auto"


# The providers bumper ships, as pyproject.toml registers them (tests/providers/registry_test.py
# checks the two agree). Their names are bumper's: an outside registration of one is not read.
BUILT_IN = ("azure-devops", "bitbucket", "bitbucket-server", "gitea", "github", "gitlab")


def _built_in(name: str | None) -> ProviderSpec | None:
    """The built-in provider `name`, read without the entry points; None for any other name."""
    if name not in BUILT_IN:
        return None
    from bumper.providers.builtin import BUILT_IN_SPECS  # imports this module: loaded at use

    return BUILT_IN_SPECS[name]


@lru_cache(maxsize=1)
def _discover() -> tuple[dict[str, ProviderSpec], dict[str, str]]:
    """Registered specs by name (the built-ins first), and why each broken registration could
    not load."""
    from importlib.metadata import entry_points  # a --dir run never needs it (tests/import_budget_test.py)

    from bumper.providers.builtin import BUILT_IN_SPECS

    specs: dict[str, ProviderSpec] = dict(BUILT_IN_SPECS)
    broken: dict[str, str] = {}

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in specs:
            continue  # a built-in's name, or the same distribution seen twice on sys.path: the first wins
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
    built_in = _built_in(name)
    if built_in is not None:
        return built_in
    specs, broken = _discover()
    if name in specs:
        return specs[name]
    if name in broken:
        raise ConfigError(f"provider {name!r} is installed but broken: {broken[name]}")
    raise ConfigError(f"unknown provider {name!r}; available: {', '.join(sorted(specs))}")


def token_variables(provider: str | None = None) -> tuple[str, ...]:
    """The variables a token for `provider` is read from, in order; every provider's for None
    or `none` (a push-only run may authenticate to any host)."""
    built_in = _built_in(provider)
    if built_in is not None:
        chosen = [built_in]
    else:
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
    spec = _built_in(provider) or providers().get(provider)
    if spec is None or spec.git_authorization is None:
        return None
    return spec.git_authorization(token, env)


def repo_host(url: str) -> str | None:
    """The lower-case host of a remote URL; None for a local path or file:// URL."""
    return RepoUrl.parse(url).host

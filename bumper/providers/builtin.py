"""The built-in providers' registrations (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps) with
their API URL rules; no SDK import."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from bumper.git.url import RepoUrl
from bumper.providers import host_rules
from bumper.providers.api import ApiLocation, split_repo_url
from bumper.providers.spec import ProviderSpec

GITHUB_DEFAULT_API = "https://api.github.com"


def _github_actions_host(env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_ACTIONS") != "true" or _gitea_actions(env):  # Gitea/Forgejo set it too
        return None
    return urlsplit(env.get("GITHUB_SERVER_URL", "")).hostname


def _gitlab_ci_host(env: Mapping[str, str]) -> str | None:
    return env.get("CI_SERVER_HOST") if env.get("GITLAB_CI") == "true" else None


def _hostname(host: str) -> str:
    """`host` of a `host[:port]`."""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def github_api_url(host: str, api_url: str | None) -> str:
    """REST base URL: --api-url as given (a bare GHES host gets /api/v3); api.github.com for
    github.com (also over SSH on port 443, `ssh.github.com`); `https://api.HOST` for GitHub
    Enterprise Cloud with data residency (`*.ghe.com`); else the Enterprise Server
    convention https://HOST/api/v3."""
    if api_url:
        url = api_url.rstrip("/")
        host_part = url.split("://", 1)[-1]
        if "/" not in host_part and host_part != "api.github.com" and not host_part.endswith(".ghe.com"):
            url += "/api/v3"
        return url
    if host in ("github.com", "www.github.com", "ssh.github.com"):
        return GITHUB_DEFAULT_API
    if host.endswith(".ghe.com"):
        return f"https://api.{host.removeprefix('api.')}"
    return f"https://{host}/api/v3"


def github_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """GitHub's API URL rule (github_api_url); the repository's path is OWNER/REPO as cloned."""
    host, path = split_repo_url(repo_url)
    return ApiLocation(github_api_url(host, api_url), path, "--api-url" if api_url else "default")


def gitlab_url(host: str, api_url: str | None) -> str:
    """Instance URL python-gitlab wants (it appends /api/v4): --api-url with any /api/v4
    removed, else https://HOST of the repository URL (gitlab.com or self-managed)."""
    if api_url:
        url = api_url.rstrip("/")
        return url[: -len("/api/v4")] if url.endswith("/api/v4") else url
    return f"https://{host}"


def gitlab_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """GitLab's API URL rule: --api-url; else, in GitLab CI on the repository's own server,
    `CI_API_V4_URL`/`CI_SERVER_URL` (they carry the instance's port and path prefix); else
    https://HOST. A GitLab served under a path prefix (`https://host/gitlab`) has the prefix
    in the clone URL, not in the project's path, so the prefix leaves the path here."""
    host, path = split_repo_url(repo_url)
    named, source = api_url, "--api-url"
    if not named and env.get("GITLAB_CI") == "true":
        for variable in ("CI_API_V4_URL", "CI_SERVER_URL"):
            value = env.get(variable, "").strip()
            if value and urlsplit(value).hostname == _hostname(host):
                named, source = value, variable
                break
    if not named:
        return ApiLocation(gitlab_url(host, None), path)
    url = gitlab_url(host, named)
    parts = urlsplit(url)
    prefix = parts.path.strip("/")
    if prefix and parts.hostname == _hostname(host) and path.startswith(prefix + "/"):
        path = path[len(prefix) + 1 :]
    return ApiLocation(url, path, source)


GITHUB = ProviderSpec(
    name="github",
    implementation="bumper.providers.github:GitHubProvider",
    token_variables=("GITHUB_TOKEN", "GH_TOKEN"),
    hosts=("github.com", "*.github.com", "*.ghe.com"),
    api_url_marks=("/api/v3", "api.github"),
    ci_host=_github_actions_host,
    api_location=github_location,
)


def gitlab_label_problem(label: str) -> str | None:
    """GitLab's API reads `labels` and `add_labels` as comma-separated names, a JSON array's
    items too (its LabelsList type splits each one): a name with a comma cannot be sent whole."""
    if "," not in label:
        return None
    parts = " and ".join(repr(p.strip()) for p in label.split(",") if p.strip())
    return f"GitLab's API splits label names at commas, so it would add {parts or 'no label'} instead"


GITLAB = ProviderSpec(
    name="gitlab",
    implementation="bumper.providers.gitlab:GitLabProvider",
    token_variables=("GITLAB_TOKEN",),
    hosts=("gitlab.com",),
    api_url_marks=("/api/v4",),
    ci_host=_gitlab_ci_host,
    api_location=gitlab_location,
    label_problem=gitlab_label_problem,
)


# -- Bitbucket Cloud, Bitbucket Data Center, Azure DevOps (rules in host_rules.py) ---------------

BITBUCKET = ProviderSpec(
    name="bitbucket",
    implementation="bumper.providers.bitbucket:BitbucketProvider",
    token_variables=("BITBUCKET_TOKEN", "BITBUCKET_APP_PASSWORD"),
    hosts=("bitbucket.org", "*.bitbucket.org"),
    api_url_marks=("api.bitbucket.org",),
    ci_host=host_rules.bitbucket_ci_host,
    api_location=host_rules.bitbucket_location,
    git_authorization=host_rules.bitbucket_git_auth,
    host_labels=(),  # a self-hosted "bitbucket.acme.io" is a Data Center
)

BITBUCKET_SERVER = ProviderSpec(
    name="bitbucket-server",
    implementation="bumper.providers.bitbucket_server:BitbucketServerProvider",
    token_variables=("BITBUCKET_TOKEN",),
    api_url_marks=("/rest/api/1.0", "/rest/api/latest"),
    api_location=host_rules.bitbucket_server_location,
    git_authorization=host_rules.bitbucket_server_auth,
    repo_paths=("scm/*/*", "*/scm/*/*", "projects/*/repos/*", "*/projects/*/repos/*"),
    host_labels=("bitbucket", "bitbucket-server", "stash"),
)

AZURE_DEVOPS = ProviderSpec(
    name="azure-devops",
    implementation="bumper.providers.azure_devops:AzureDevOpsProvider",
    token_variables=("AZURE_DEVOPS_TOKEN", "SYSTEM_ACCESSTOKEN"),
    hosts=("dev.azure.com", "ssh.dev.azure.com", "*.visualstudio.com"),
    api_url_marks=("dev.azure.com", ".visualstudio.com"),
    ci_host=host_rules.azure_ci_host,
    api_location=host_rules.azure_location,
    git_authorization=host_rules.azure_auth,
    repo_paths=("*/_git/*", "_git/*"),
    host_labels=("azure-devops", "tfs"),
)


# -- Gitea and Forgejo ------------------------------------------------------------------------


def _gitea_actions(env: Mapping[str, str]) -> bool:
    """Gitea Actions and Forgejo Actions: their runners also set GITHUB_ACTIONS=true."""
    return env.get("GITEA_ACTIONS") == "true" or env.get("FORGEJO_ACTIONS") == "true"


def _gitea_actions_host(env: Mapping[str, str]) -> str | None:
    return urlsplit(env.get("GITHUB_SERVER_URL", "")).hostname if _gitea_actions(env) else None


def gitea_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """Gitea's API URL rule: a repository is always OWNER/REPO, so whatever comes before those
    two segments of the clone URL is the instance's path prefix (`https://host/git/o/r.git` ->
    `https://host/git/api/v1`). --api-url wins (`/api/v1` added when missing); else, in
    Gitea/Forgejo Actions on the repository's own server, `GITHUB_SERVER_URL`; else the clone
    URL's scheme (https for ssh), host and prefix."""
    url = RepoUrl.parse(repo_url.strip())
    segments = url.owner_path().split("/")
    path = "/".join(segments[-2:])
    named, source = api_url, "--api-url"
    if not named and _gitea_actions(env):
        server = env.get("GITHUB_SERVER_URL", "").strip()
        if server and urlsplit(server).hostname == url.host:
            named, source = server, "GITHUB_SERVER_URL"
    if named:
        base = named.rstrip("/")
        return ApiLocation(base if base.endswith("/api/v1") else base + "/api/v1", path, source)
    scheme = url.scheme if url.scheme in ("http", "https") else "https"
    prefix = "".join(f"/{s}" for s in segments[:-2])
    return ApiLocation(f"{scheme}://{url.api_host}{prefix}/api/v1", path)


GITEA = ProviderSpec(
    name="gitea",
    implementation="bumper.providers.gitea:GiteaProvider",
    token_variables=("GITEA_TOKEN",),
    hosts=("codeberg.org", "gitea.com"),
    api_url_marks=("/api/v1",),
    ci_host=_gitea_actions_host,
    api_location=gitea_location,
)

# Every spec above by name: providers/registry.py reads a built-in from here, not from the entry
# points pyproject.toml declares for each (the same specs; tests/providers/registry_test.py). In
# the order the installed entry points list them, by name: a push-only run (`--provider none`)
# takes the first token variable set in this order.
BUILT_IN_SPECS = {
    spec.name: spec for spec in (AZURE_DEVOPS, BITBUCKET, BITBUCKET_SERVER, GITEA, GITHUB, GITLAB)
}

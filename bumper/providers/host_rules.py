"""Where the APIs of Bitbucket Cloud, Bitbucket Data Center and Azure DevOps are for a clone URL,
and how git and the API present each host's credentials; no HTTP import (the registry reads it)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import urlsplit

from bumper.errors import ConfigError
from bumper.git.url import RepoUrl, strip_userinfo
from bumper.providers.api import ApiLocation

BITBUCKET_API = "https://api.bitbucket.org/2.0"
BITBUCKET_SERVER_REST = "/rest/api/1.0"


def basic(user: str, password: str) -> str:
    """An `Authorization` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _from(env: Mapping[str, str], name: str, token: str) -> bool:
    return env.get(name, "").strip() == token


# -- Bitbucket Cloud ----------------------------------------------------------------------------


def bitbucket_user(token: str, env: Mapping[str, str]) -> str | None:
    """The user an app password (or Atlassian API token) belongs to, from BITBUCKET_USERNAME;
    None for an access token (BITBUCKET_TOKEN), which is a bearer token with no user."""
    user = env.get("BITBUCKET_USERNAME", "").strip()
    if _from(env, "BITBUCKET_TOKEN", token) or not user:
        if _from(env, "BITBUCKET_APP_PASSWORD", token) and not _from(env, "BITBUCKET_TOKEN", token):
            raise ConfigError("BITBUCKET_APP_PASSWORD needs BITBUCKET_USERNAME (the account it belongs to)")
        return None
    return user


def bitbucket_api_auth(token: str, env: Mapping[str, str]) -> str:
    """Bearer for an access token; Basic USERNAME:APP_PASSWORD for an app password."""
    user = bitbucket_user(token, env)
    return f"Bearer {token}" if user is None else basic(user, token)


def bitbucket_git_auth(token: str, env: Mapping[str, str]) -> str:
    """git over HTTPS: `x-token-auth` as the user of an access token, else the app password's user."""
    return basic(bitbucket_user(token, env) or "x-token-auth", token)


def bitbucket_ci_host(env: Mapping[str, str]) -> str | None:
    """The host of the repository a Bitbucket Pipelines build runs for, for `auto`."""
    if not env.get("BITBUCKET_BUILD_NUMBER", "").strip():
        return None
    return urlsplit(env.get("BITBUCKET_GIT_HTTP_ORIGIN", "").strip()).hostname


def bitbucket_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """api.bitbucket.org/2.0 (or --api-url as given); the repository is WORKSPACE/REPO."""
    url = RepoUrl.parse(repo_url.strip())
    path = url.owner_path()
    if path.count("/") != 1:
        raise ConfigError(f"Bitbucket repository must be WORKSPACE/REPO, got {path!r}")
    if api_url:
        return ApiLocation(api_url.rstrip("/"), path, "--api-url")
    return ApiLocation(BITBUCKET_API, path)


# -- Bitbucket Data Center ----------------------------------------------------------------------


def bitbucket_server_auth(token: str, env: Mapping[str, str]) -> str:
    """A personal (or project/repository) HTTP access token as a bearer token, for git and the
    REST API alike; with BITBUCKET_USERNAME, Basic USERNAME:TOKEN instead."""
    user = env.get("BITBUCKET_USERNAME", "").strip()
    return basic(user, token) if user else f"Bearer {token}"


def bitbucket_server_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """REST 1.0 under the instance's context path: `https://HOST[/CTX]/scm/PROJECT/repo.git`,
    `https://HOST[/CTX]/projects/PROJECT/repos/repo[/browse]` and `ssh://git@HOST:7999/PROJECT/repo.git`
    (whose API is https://HOST: name another with --api-url). The path is PROJECT/repo."""
    url = RepoUrl.parse(repo_url.strip())
    segments = [s for s in url.path.split("/") if s]
    context, path = _server_path(segments, url.scheme == "ssh")
    if path is None:
        shown = strip_userinfo(repo_url)
        raise ConfigError(
            f"cannot read a Bitbucket Data Center repository from {shown!r}; expected "
            "https://HOST/scm/PROJECT/REPO.git or https://HOST/projects/PROJECT/repos/REPO"
        )
    if api_url:
        base = api_url.rstrip("/")
        if "/rest/api/" not in base:
            base += BITBUCKET_SERVER_REST
        return ApiLocation(base, path, "--api-url")
    if url.host is None:
        raise ConfigError(f"cannot tell the Git host from repository URL {strip_userinfo(repo_url)!r}")
    scheme = "https" if url.scheme == "ssh" else url.scheme
    port = f":{url.port}" if url.port and url.scheme != "ssh" else ""
    prefix = "/" + "/".join(context) if context else ""
    return ApiLocation(f"{scheme}://{url.host}{port}{prefix}{BITBUCKET_SERVER_REST}", path)


def _server_path(segments: list[str], ssh: bool) -> tuple[list[str], str | None]:
    """(context path segments, PROJECT/repo) of a Bitbucket Data Center URL path."""
    n = len(segments)
    if n >= 3 and segments[-3] == "scm":
        return segments[:-3], f"{segments[-2]}/{segments[-1]}"
    for tail in (4, 5):
        last = segments[n - tail :] if n >= tail else []
        if last and last[0] == "projects" and last[2] == "repos" and (tail == 4 or last[4] == "browse"):
            return segments[: n - tail], f"{last[1]}/{last[3]}"
    if ssh and n == 2:
        return [], "/".join(segments)
    return [], None


# -- Azure DevOps -------------------------------------------------------------------------------


def azure_auth(token: str, env: Mapping[str, str]) -> str:
    """A personal access token as Basic with an empty user; Azure Pipelines' System.AccessToken
    (SYSTEM_ACCESSTOKEN) as a bearer token. The same header serves git and the REST API."""
    if _from(env, "SYSTEM_ACCESSTOKEN", token) and not _from(env, "AZURE_DEVOPS_TOKEN", token):
        return f"Bearer {token}"
    return basic("", token)


def azure_ci_collection(env: Mapping[str, str]) -> str | None:
    """The collection URL Azure Pipelines names (`https://dev.azure.com/ORG/`), or None."""
    if env.get("TF_BUILD", "").strip().lower() != "true":
        return None
    value = env.get("SYSTEM_COLLECTIONURI", "").strip().rstrip("/")
    return value if value.startswith(("https://", "http://")) else None


def azure_ci_host(env: Mapping[str, str]) -> str | None:
    """The host of Azure Pipelines' collection URL, for `auto` (Azure DevOps Server on premises)."""
    collection = azure_ci_collection(env)
    return urlsplit(collection).hostname if collection else None


def azure_location(repo_url: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    """The collection URL (`https://dev.azure.com/ORG`, `https://ORG.visualstudio.com`, an
    on-premises `https://HOST/tfs/COLLECTION`) and PROJECT/REPO, from `.../PROJECT/_git/REPO`
    or the SSH form `git@ssh.dev.azure.com:v3/ORG/PROJECT/REPO`. --api-url, or Azure Pipelines'
    SYSTEM_COLLECTIONURI for a repository on its own server, names the collection."""
    url = RepoUrl.parse(repo_url.strip())
    host = url.api_host
    segments = [s for s in url.path.split("/") if s]
    if url.scheme == "ssh" and segments[:1] == ["v3"] and len(segments) == 4:
        org, project, repo = segments[1:]
        collection = (
            f"https://{org}.visualstudio.com"
            if "visualstudio.com" in host
            else f"https://dev.azure.com/{org}"
        )
        return _azure_named(collection, f"{project}/{repo}", api_url, env)
    if "_git" not in segments or segments.index("_git") != len(segments) - 2:
        raise ConfigError(
            f"cannot read an Azure Repos repository from {strip_userinfo(repo_url)!r}; expected "
            "https://dev.azure.com/ORG/PROJECT/_git/REPO or https://ORG.visualstudio.com/PROJECT/_git/REPO"
        )
    before, repo = segments[:-2], segments[-1]
    scheme = "https" if url.scheme == "ssh" else url.scheme
    origin = f"{scheme}://{host}"
    named = api_url.rstrip("/") if api_url else None
    source = "--api-url"
    in_ci = azure_ci_collection(env)
    if named is None and in_ci and urlsplit(in_ci).hostname == url.host:
        named, source = in_ci, "SYSTEM_COLLECTIONURI"
    if named is not None:
        prefix = [s for s in urlsplit(named).path.split("/") if s]
        if urlsplit(named).hostname == url.host and before[: len(prefix)] == prefix:
            before = before[len(prefix) :]
        project = before[-1] if before else repo
        return ApiLocation(named, f"{project}/{repo}", source)
    if host == "dev.azure.com" and before:
        cut = 1
    elif host.endswith(".visualstudio.com"):
        cut = 1 if before[:1] == ["DefaultCollection"] else 0
    else:
        cut = max(len(before) - 1, 0)
    project = before[cut:][-1] if before[cut:] else repo
    return ApiLocation("/".join([origin, *before[:cut]]), f"{project}/{repo}")


def _azure_named(collection: str, path: str, api_url: str | None, env: Mapping[str, str]) -> ApiLocation:
    if api_url:
        return ApiLocation(api_url.rstrip("/"), path, "--api-url")
    return ApiLocation(collection, path)

"""Registry credentials where the container tools keep them: docker's config.json (inline `auths`,
`credHelpers`, `credsStore`), then podman's `$REGISTRY_AUTH_FILE`. Never printed.

The credential-helper protocol is one call (`docker-credential-NAME get`, the server on stdin,
`{"Username", "Secret"}` on stdout); its Python binding (docker-pycreds) has been unmaintained
since 2018, so the call is made here.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bumper.errors import RegistryError
from bumper.registry.names import Endpoint

HELPER_TIMEOUT = 30  # seconds; a helper that waits for a desktop prompt must not hang CI
_NOT_FOUND = "credentials not found"  # what every docker-credential-* says for an unknown server
IDENTITY_USER = "<token>"  # the user name helpers give an identity (refresh) token


class Credentials(NamedTuple):
    """A user name and its password or token; `repr` never shows the secret."""

    username: str
    secret: str
    source: str  # where they came from, for messages: "~/.docker/config.json", "docker-credential-pass"
    identity: bool = False  # `secret` is an OAuth2 refresh (identity) token, not a password

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, source={self.source!r})"


def find_credentials(where: Endpoint, env: Mapping[str, str]) -> Credentials | None:
    """The first credentials stored for `where`: docker's config, then $REGISTRY_AUTH_FILE."""
    docker_config = _docker_config_file(env)
    for path in (docker_config, env.get("REGISTRY_AUTH_FILE", "").strip()):
        if not path:
            continue
        config = _read_config(Path(path))
        if config:
            found = _from_config(config, where, path, env)
            if found is not None:
                return found
    return None


def _docker_config_file(env: Mapping[str, str]) -> str:
    folder = env.get("DOCKER_CONFIG", "").strip()
    if folder:
        return str(Path(folder) / "config.json")
    home = env.get("HOME", "").strip() or os.path.expanduser("~")
    return str(Path(home) / ".docker" / "config.json")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise RegistryError(f"cannot read the registry credentials file {path}: {exc.strerror}") from None
    try:
        config = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"the registry credentials file {path} is not valid JSON (line {exc.lineno}); "
            "fix it or log in again (docker login)"
        ) from None
    if not isinstance(config, dict):
        raise RegistryError(f"the registry credentials file {path} is not a JSON object; log in again")
    return config


def _from_config(
    config: Mapping[str, Any], where: Endpoint, path: str, env: Mapping[str, str]
) -> Credentials | None:
    """Docker's order: a `credHelpers` entry for the registry, else `credsStore`, else the
    inline `auths` entry (also when the helper knows nothing of this registry)."""
    helpers = config.get("credHelpers")
    helper = None
    if isinstance(helpers, dict):
        helper = next((helpers[k] for k in where.credential_keys if isinstance(helpers.get(k), str)), None)
    store = config.get("credsStore")
    for name in (helper, store if isinstance(store, str) else None):
        if name:
            found = _from_helper(name, where, env)
            if found is not None:
                return found
    return _from_auths(config.get("auths"), where, path)


def _from_auths(auths: object, where: Endpoint, path: str) -> Credentials | None:
    if not isinstance(auths, dict):
        return None
    by_host = {_config_host(key): value for key, value in auths.items() if isinstance(value, dict)}
    for key in where.credential_keys:
        entry = by_host.get(_config_host(key))
        if entry is None:
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                decoded = base64.b64decode(entry["auth"], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            user, sep, secret = decoded.partition(":")
            if not sep:
                raise RegistryError(f"the `auth` of {key} in {path} is not base64 of user:password; log in")
            return Credentials(user, secret, path)
        if isinstance(entry.get("identitytoken"), str) and entry["identitytoken"]:
            return Credentials(
                str(entry.get("username") or IDENTITY_USER), entry["identitytoken"], path, True
            )
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return Credentials(entry["username"], entry["password"], path)
    return None


def _config_host(key: str) -> str:
    """`https://index.docker.io/v1/`, `http://r.local:5000` and `r.local:5000` name their host."""
    text = key.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    return text.split("/", 1)[0]


def _from_helper(name: str, where: Endpoint, env: Mapping[str, str]) -> Credentials | None:
    """`docker-credential-NAME get` for the registry; None when it knows no credentials for it."""
    program = f"docker-credential-{name}"
    found = shutil.which(program, path=env.get("PATH"))
    if found is None:
        raise RegistryError(
            f"the docker config names the credential helper {program}, which is not on PATH; "
            "install it or log in to the registry without it"
        )
    server = where.credential_keys[0]
    try:
        proc = subprocess.run(  # noqa: S603 - the helper docker itself would run
            [found, "get"],
            input=server.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            env=dict(env),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RegistryError(f"{program} get did not answer within {HELPER_TIMEOUT} s") from None
    if proc.returncode != 0:
        said = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
        if _NOT_FOUND in said.lower():
            return None
        raise RegistryError(
            f"{program} get failed for {server} (exit {proc.returncode}); check the helper (its "
            "output is not shown: it may hold a secret)"
        )
    try:
        answer = json.loads(proc.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"{program} get answered something else than {{Username, Secret}}") from None
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    return Credentials(username, secret, program, username == IDENTITY_USER)

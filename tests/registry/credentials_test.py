"""Registry credentials where the container tools keep them: docker's config (inline auths,
any spelling of the host), then podman's $REGISTRY_AUTH_FILE; the secret never in a repr."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bumper.errors import RegistryError
from bumper.registry.credentials import find_credentials
from bumper.registry.names import endpoint


def _config(folder: Path, auths: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"auths": auths}))
    return folder


def _auth(text: str) -> dict[str, str]:
    return {"auth": base64.b64encode(text.encode()).decode()}


def test_docker_hub_under_its_legacy_key_and_the_secret_never_shown(tmp_path: Path) -> None:
    env = {"DOCKER_CONFIG": str(_config(tmp_path / "d", {"https://index.docker.io/v1/": _auth("me:s3cret")}))}
    found = find_credentials(endpoint("docker.io", env), env)
    assert found is not None and (found.username, found.secret) == ("me", "s3cret")
    assert "s3cret" not in repr(found)


def test_podmans_file_when_docker_has_nothing_and_an_identity_token(tmp_path: Path) -> None:
    podman = tmp_path / "auth.json"
    podman.write_text(json.dumps({"auths": {"http://Registry.Local:5000": {"identitytoken": "tok"}}}))
    env = {"DOCKER_CONFIG": str(_config(tmp_path / "d", {})), "REGISTRY_AUTH_FILE": str(podman)}
    found = find_credentials(endpoint("registry.local:5000", env), env)
    assert found is not None and (found.username, found.secret, found.identity) == ("<token>", "tok", True)
    assert find_credentials(endpoint("ghcr.io", env), env) is None


def test_an_auth_that_is_not_user_colon_password_says_log_in(tmp_path: Path) -> None:
    env = {"DOCKER_CONFIG": str(_config(tmp_path / "d", {"ghcr.io": _auth("no-colon")}))}
    with pytest.raises(RegistryError, match="is not base64 of user:password; log in"):
        find_credentials(endpoint("ghcr.io", env), env)

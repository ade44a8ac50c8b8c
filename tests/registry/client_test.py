"""--registry through the flows the real registry does not show: bearer tokens with scope,
anonymous tokens, 429 Retry-After, TLS with a company CA, plain HTTP only where allowed, Docker
Hub's names. The fake serves the bytes of OCI layouts written as the real-registry tests write them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper.errors import ConfigError
from bumper.registry.credentials import find_credentials
from bumper.registry.names import endpoint
from testing import forkserver
from testing.fake_oci_registry import IDENTITY_TOKEN, PASSWORD, SERVICE, USER, FakeOciRegistry, docker_config
from testing.oci_registry import Layout, Pushed
from testing.tls import make_ca


def deploy(image: str) -> str:
    return f"kind: Deployment\nspec:\n  containers:\n    - image: {image}\n"


def layout(root: Path, tag: str, platforms: list[str]) -> tuple[Path, Pushed]:
    folder = root / f"layout-{tag}-{len(platforms)}"
    return folder, Layout(folder).tag(tag, platforms)


@pytest.fixture()
def fake(tmp_path: Path) -> Iterator[tuple[FakeOciRegistry, Pushed]]:
    """A private acme/app:v2 (an index of two platforms) and a public library/tool:v1."""
    server = FakeOciRegistry()
    try:
        folder, pushed = layout(tmp_path, "v2", ["linux/amd64", "linux/arm64"])
        server.serve_layout("acme/app", folder, "v2")
        tool, _ = layout(tmp_path, "v1", ["linux/amd64"])
        server.serve_layout("library/tool", tool, "v1", public=True)
        yield server, pushed
    finally:
        server.close()


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "DOCKER_", "REGISTRY_AUTH"))}
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"):
        base.pop(name, None)
    base.update({"HOME": str(tmp_path / "home"), "NO_COLOR": "1", "BUMPER_API_BACKOFF": "0.001", **env})
    proc = forkserver.run(["bump", *args, "--output", "json"], env=base)
    assert "Traceback" not in proc.stderr
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in proc.stdout + proc.stderr and basic not in proc.stdout + proc.stderr
    return proc


def tree(tmp_path: Path, image: str) -> Path:
    root = tmp_path / "tree"
    root.mkdir(exist_ok=True)
    (root / "deploy.yaml").write_text(deploy(image))
    return root


def test_bearer_token_with_the_repositorys_pull_scope(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]
) -> None:
    server, pushed = fake
    root = tree(tmp_path, f"{server.host}/acme/app:v1@sha256:{'1' * 64}")
    config = docker_config(tmp_path / "docker", server.host)
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "resolve",
               DOCKER_CONFIG=str(config))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["images"][0]["digest"] == pushed.digest
    assert (root / "deploy.yaml").read_text() == deploy(f"{server.host}/acme/app:v2@{pushed.digest}")
    [(query, with_credentials)] = server.token_requests  # one token, reused for the manifest
    assert query == {"scope": ["repository:acme/app:pull"], "service": [SERVICE]} and with_credentials


@pytest.mark.parametrize("stored", ["auths", "helper"])
def test_an_identity_token_is_exchanged_for_a_bearer_token(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed], stored: str
) -> None:
    """`docker login` through OAuth stores an identity token (a helper answers user `<token>`):
    it goes to the token service as the OAuth2 refresh-token grant, never as Basic."""
    server, pushed = fake
    config = tmp_path / "docker"
    config.mkdir()
    env = {"DOCKER_CONFIG": str(config)}
    if stored == "auths":
        settings: dict[str, object] = {"auths": {server.host: {"identitytoken": IDENTITY_TOKEN}}}
    else:
        settings = {"credHelpers": {server.host: "oauth"}}
        helper = tmp_path / "bin" / "docker-credential-oauth"
        helper.parent.mkdir()
        answer = json.dumps({"ServerURL": server.host, "Username": "<token>", "Secret": IDENTITY_TOKEN})
        helper.write_text(f"#!/bin/sh\ncat >/dev/null\necho '{answer}'\n")
        helper.chmod(0o755)
        env["PATH"] = f"{helper.parent}:{os.environ['PATH']}"
    (config / "config.json").write_text(json.dumps(settings))
    root = tree(tmp_path, f"{server.host}/acme/app:v1")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check", **env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["images"][0]["digest"] == pushed.digest
    [(form, _)] = server.token_requests
    assert form["grant_type"] == ["refresh_token"] and form["scope"] == ["repository:acme/app:pull"]
    assert IDENTITY_TOKEN not in proc.stdout + proc.stderr


def test_anonymous_token_for_a_public_image(tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]) -> None:
    server, _ = fake
    root = tree(tmp_path, f"{server.host}/library/tool:v0")
    proc = run(tmp_path, f"{server.host}/library/tool:v1", "--dir", str(root), "--registry", "check")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["images"][0]["platforms"] == ["linux/amd64"]
    assert [with_credentials for _, with_credentials in server.token_requests] == [False]


def test_a_private_image_without_credentials_says_to_log_in(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]
) -> None:
    server, _ = fake
    root = tree(tmp_path, f"{server.host}/acme/app:v1")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["kind"] == "registry"
    assert "none are stored; log in" in proc.stderr
    assert (root / "deploy.yaml").read_text() == deploy(f"{server.host}/acme/app:v1")


def test_wrong_credentials_at_the_token_service(tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]) -> None:
    server, _ = fake
    root = tree(tmp_path, f"{server.host}/acme/app:v1")
    config = docker_config(tmp_path / "docker", server.host, password="wrong-" + PASSWORD)
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check",
               DOCKER_CONFIG=str(config))  # fmt: skip
    assert proc.returncode == 1
    assert "refused the credentials" in proc.stderr and "wrong-" not in proc.stdout + proc.stderr


def test_429_with_retry_after_is_waited_for(tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]) -> None:
    server, _ = fake
    server.inject(
        (429, {"Retry-After": "0"}, {"errors": [{"code": "TOOMANYREQUESTS"}]}), path="/manifests/", times=2
    )
    root = tree(tmp_path, f"{server.host}/library/tool:v0")
    proc = run(tmp_path, f"{server.host}/library/tool:v1", "--dir", str(root), "--registry", "check")
    assert proc.returncode == 0, proc.stderr
    assert [r.fault for r in server.requests if "/manifests/" in r.path].count("429") == 2


def test_429_that_never_ends_fails_as_a_registry_error(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]
) -> None:
    server, _ = fake
    server.inject((429, {"Retry-After": "0"}, {}), path="/manifests/", times=100)
    root = tree(tmp_path, f"{server.host}/library/tool:v0")
    proc = run(tmp_path, f"{server.host}/library/tool:v1", "--dir", str(root), "--registry", "check")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["kind"] == "registry" and "429" in proc.stderr


def test_without_docker_content_digest_the_digest_is_the_bodys(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]
) -> None:
    server, pushed = fake
    server.digest_header = False
    config = docker_config(tmp_path / "docker", server.host)
    root = tree(tmp_path, f"{server.host}/acme/app:v1")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check",
               DOCKER_CONFIG=str(config))  # fmt: skip
    assert json.loads(proc.stdout)["images"][0]["digest"] == pushed.digest


@pytest.mark.parametrize("header", ["sha256:" + "3" * 64, "not-a-digest\tsha256:x"])
def test_a_digest_header_is_only_believed_when_the_body_hashes_to_it(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed], header: str
) -> None:
    """--registry resolve writes the digest into manifests: a header the body does not hash to
    fails the run; one that is no digest at all is ignored for the body's own digest."""
    server, pushed = fake
    server.digest_header = header
    config = docker_config(tmp_path / "docker", server.host)
    root = tree(tmp_path, f"{server.host}/acme/app:v1@sha256:{'1' * 64}")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "resolve",
               DOCKER_CONFIG=str(config))  # fmt: skip
    if header.startswith("sha256:3"):
        assert proc.returncode == 1
        assert "does not hash to sha256:333" in proc.stderr and "cannot be trusted" in proc.stderr
        assert "3" * 64 not in (root / "deploy.yaml").read_text()
    else:
        assert proc.returncode == 0, proc.stderr
        assert (root / "deploy.yaml").read_text() == deploy(f"{server.host}/acme/app:v2@{pushed.digest}")


def test_basic_challenge(tmp_path: Path) -> None:
    server = FakeOciRegistry(scheme="basic")
    try:
        folder, pushed = layout(tmp_path, "v2", ["linux/amd64"])
        server.serve_layout("acme/app", folder, "v2")
        config = docker_config(tmp_path / "docker", server.host)
        root = tree(tmp_path, f"{server.host}/acme/app:v1")
        proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check",
                   DOCKER_CONFIG=str(config))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["images"][0] == {
            "ref": f"{server.host}/acme/app:v2", "digest": pushed.digest, "platforms": ["linux/amd64"],
        }  # fmt: skip
    finally:
        server.close()


def test_a_token_realm_over_plain_http_elsewhere_is_refused(
    tmp_path: Path, fake: tuple[FakeOciRegistry, Pushed]
) -> None:
    server, _ = fake
    server.realm = "http://auth.example.invalid/token"
    config = docker_config(tmp_path / "docker", server.host)
    root = tree(tmp_path, f"{server.host}/acme/app:v1")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check",
               DOCKER_CONFIG=str(config))  # fmt: skip
    assert proc.returncode == 1
    assert "not HTTPS; refusing to send credentials" in proc.stderr
    assert server.token_requests == []


@pytest.mark.parametrize("trusted", [True, False])
def test_tls_trusts_the_ca_git_and_the_api_trust(tmp_path: Path, trusted: bool) -> None:
    tls = make_ca(tmp_path / "ca")
    server = FakeOciRegistry(tls=tls.context)
    try:
        folder, pushed = layout(tmp_path, "v2", ["linux/amd64"])
        server.serve_layout("library/tool", folder, "v2", public=True)
        root = tree(tmp_path, f"{server.host}/library/tool:v1")
        # A long backoff (a retry would sleep 200 s and more): neither an untrusted certificate nor
        # the TLS probe is retried.
        env = {"GIT_SSL_CAINFO": str(tls.ca_file)} if trusted else {}
        started = time.monotonic()
        proc = run(
            tmp_path, f"{server.host}/library/tool:v2", "--dir", str(root), "--registry", "check",
            BUMPER_API_BACKOFF="100", **env,
        )  # fmt: skip
        assert time.monotonic() - started < 60
        if trusted:
            assert proc.returncode == 0, proc.stderr
            assert json.loads(proc.stdout)["images"][0]["digest"] == pushed.digest
        else:
            assert proc.returncode == 1
            assert "TLS certificate of the registry" in proc.stderr and "not trusted" in proc.stderr
            assert (root / "deploy.yaml").read_text() == deploy(f"{server.host}/library/tool:v1")
    finally:
        server.close()


def test_a_ca_variable_naming_no_file_is_bad_input(tmp_path: Path) -> None:
    root = tree(tmp_path, "127.0.0.1:9/acme/app:v1")
    missing = str(tmp_path / "no-such-ca.pem")
    proc = run(
        tmp_path, "127.0.0.1:9/acme/app:v2", "--dir", str(root), "--registry", "check", SSL_CERT_FILE=missing
    )
    assert proc.returncode == 2
    assert f"SSL_CERT_FILE names {missing!r}, which does not exist" in proc.stderr


def test_a_registry_elsewhere_is_https_only_unless_listed(tmp_path: Path) -> None:
    root = tree(tmp_path, "registry.example.invalid:5000/acme/app:v1")
    proc = run(
        tmp_path, "registry.example.invalid:5000/acme/app:v2", "--dir", str(root), "--registry", "check"
    )
    assert proc.returncode == 1
    assert "BUMPER_INSECURE_REGISTRIES" in proc.stderr


# -- names and credentials (no network) ---------------------------------------------------------


def test_docker_hub_names_its_api_host_and_login_key() -> None:
    hub = endpoint("docker.io", {})
    assert (hub.api_host, hub.plain_http) == ("registry-1.docker.io", False)
    assert hub.credential_keys[0] == "https://index.docker.io/v1/"
    assert endpoint("127.0.0.1:5000", {}).plain_http and endpoint("localhost:5000", {}).plain_http
    assert endpoint("[::1]:5000", {}).plain_http
    listed = {"BUMPER_INSECURE_REGISTRIES": "registry.local:5000, 10.0.0.5"}
    assert endpoint("registry.local:5000", listed).plain_http
    assert not endpoint("registry.local:5001", listed).plain_http
    assert endpoint("10.0.0.5:443", listed).plain_http
    assert not endpoint("registry.local:5000", {}).plain_http
    with pytest.raises(ConfigError):
        endpoint("r.local", {"BUMPER_INSECURE_REGISTRIES": "http://r.local/x"})


def test_docker_hub_credentials_under_the_key_docker_login_writes(tmp_path: Path) -> None:
    auth = base64.b64encode(b"hubuser:hubsecret").decode()
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}})
    )
    creds = find_credentials(endpoint("docker.io", {}), {"DOCKER_CONFIG": str(tmp_path)})
    assert creds is not None and (creds.username, creds.secret) == ("hubuser", "hubsecret")
    assert "hubsecret" not in repr(creds)
    assert find_credentials(endpoint("ghcr.io", {}), {"DOCKER_CONFIG": str(tmp_path)}) is None


def test_auths_keys_with_a_scheme_and_a_path_name_their_host(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"https://ghcr.io/v2/": {"username": "u", "password": "p"}}})
    )
    creds = find_credentials(endpoint("ghcr.io", {}), {"DOCKER_CONFIG": str(tmp_path)})
    assert creds is not None and (creds.username, creds.secret) == ("u", "p")


def test_a_broken_config_is_named_without_its_content(tmp_path: Path) -> None:
    from bumper.errors import RegistryError

    (tmp_path / "config.json").write_text(
        '{"auths": {"ghcr.io": {"auth": "c2VjcmV0"}}}'
    )  # "secret", no colon
    with pytest.raises(RegistryError) as caught:
        find_credentials(endpoint("ghcr.io", {}), {"DOCKER_CONFIG": str(tmp_path)})
    assert "not base64 of user:password" in str(caught.value) and "c2VjcmV0" not in str(caught.value)

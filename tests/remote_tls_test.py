"""End to end over HTTPS with a company CA: git and the API trust the same CA file, named once."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.tls import ServerTls, make_ca
from testing.world import make_world

BRANCH = "bumper/ghcr.io-acme-app"
REF = "ghcr.io/acme/app:v1.2.3"


@pytest.fixture(scope="module")
def company_ca(tmp_path_factory: pytest.TempPathFactory) -> ServerTls:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("variable", ["GIT_SSL_CAINFO", "CI_SERVER_TLS_CA_FILE", "SSL_CERT_FILE"])
def test_a_company_ca_named_once_is_trusted_by_git_and_the_api(
    tmp_path: Path, company_ca: ServerTls, provider: str, variable: str
) -> None:
    with make_world(tmp_path, provider, tls=company_ca) as world:
        env = {variable: str(company_ca.ca_file)}
        if variable == "CI_SERVER_TLS_CA_FILE":  # the GitLab runner's CA of its own server
            env["CI_SERVER_HOST"] = "127.0.0.1"
        proc = world.run("bump", REF, **env)

        assert proc.returncode == 0, proc.stderr
        assert world.repo_url.startswith("https://") and world.host.api_url.startswith("https://")
        assert world.branch_sha(BRANCH) is not None
        [pr] = world.open_pulls()
        assert pr.head == BRANCH
        assert_no_canary(world, proc)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize(
    "env",
    [{}, {"CI_SERVER_TLS_CA_FILE": "{ca}", "CI_SERVER_HOST": "gitlab.elsewhere.test"}],
    ids=["no-ca", "ca-of-another-ci-server"],
)
def test_without_the_ca_git_says_the_certificate_is_not_trusted_in_one_line(
    tmp_path: Path, company_ca: ServerTls, provider: str, env: dict[str, str]
) -> None:
    with make_world(tmp_path, provider, tls=company_ca) as world:
        proc = world.run("bump", REF, **{k: v.format(ca=company_ca.ca_file) for k, v in env.items()})

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"bumper: error: the TLS certificate of {world.repo_url} is not trusted ("), (
            line
        )
        assert "GIT_SSL_CAINFO" in line and "SSL_CERT_FILE" in line
        assert world.branch_sha(BRANCH) is None and world.host.requests == []
        assert_no_canary(world, proc)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_requests_own_ca_variable_wins_for_the_api_and_an_untrusted_api_fails_before_the_push(
    tmp_path: Path, company_ca: ServerTls, provider: str
) -> None:
    other = make_ca(tmp_path / "other-ca", "Some Other CA")
    with make_world(tmp_path, provider, tls=company_ca) as world:
        proc = world.run(
            "bump", REF, GIT_SSL_CAINFO=str(company_ca.ca_file), REQUESTS_CA_BUNDLE=str(other.ca_file)
        )

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        host = "GitHub" if provider == "github" else "GitLab"
        assert line.startswith(f"bumper: error: {host} API (acme/manifests) looking for the "), line
        assert (
            f"the TLS certificate of {world.host.api_url} is not trusted by the CA file {other.ca_file} ("
            in line
        )
        assert "REQUESTS_CA_BUNDLE" in line
        assert world.branch_sha(BRANCH) is None and world.pushes() == []  # no orphan bot branch
        assert_no_canary(world, proc)


@pytest.mark.parametrize("variable", ["GIT_SSL_CAINFO", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_ca_variable_naming_no_file_is_bad_input_before_any_connection(
    tmp_path: Path, company_ca: ServerTls, variable: str
) -> None:
    with make_world(tmp_path, "github", tls=company_ca) as world:
        missing = tmp_path / "no-such-ca.pem"
        proc = world.run("bump", REF, **{variable: str(missing)})

        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines() == [
            f"bumper: error: {variable} names '{missing}', which does not exist; point it at your "
            "CA's certificate file (PEM) or unset it"
        ]
        assert world.git.requests == [] and world.host.requests == []

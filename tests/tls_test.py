"""One CA rule for git and the API client: the first of GIT_SSL_CAINFO, CI_SERVER_TLS_CA_FILE (its
own server only) and SSL_CERT_FILE; requests' own variables win for the API alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import ConfigError
from bumper.tls import CaFile, check_ca_files, git_env, trusted_ca, untrusted


def test_git_and_the_api_trust_the_same_file_unless_requests_is_told_otherwise() -> None:
    env = {"SSL_CERT_FILE": "/ca.pem", "REQUESTS_CA_BUNDLE": "/api.pem"}
    assert trusted_ca(env, "git.example", api=False) == CaFile("SSL_CERT_FILE", "/ca.pem")
    assert trusted_ca(env, "git.example", api=True) == CaFile("REQUESTS_CA_BUNDLE", "/api.pem")
    assert git_env(env, "git.example") == {"GIT_SSL_CAINFO": "/ca.pem"}
    assert git_env({"GIT_SSL_CAINFO": "/g.pem"}, None) == {}  # git reads that one itself
    assert trusted_ca({"SSL_CERT_FILE": "  "}, None, api=True) is None


def test_the_runners_ca_is_for_its_own_server_only() -> None:
    env = {"CI_SERVER_TLS_CA_FILE": "/runner.pem", "CI_SERVER_HOST": "GitLab.Example"}
    assert trusted_ca(env, "gitlab.example", api=False) == CaFile("CI_SERVER_TLS_CA_FILE", "/runner.pem")
    assert trusted_ca(env, "github.com", api=False) is None


def test_a_ca_variable_naming_no_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("pem")
    check_ca_files({"SSL_CERT_FILE": str(tmp_path / "ca.pem")}, None)
    with pytest.raises(ConfigError, match="REQUESTS_CA_BUNDLE names .*which does not exist"):
        check_ca_files({"REQUESTS_CA_BUNDLE": str(tmp_path / "gone.pem")}, None)


@pytest.mark.parametrize(
    "error",
    [
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)",
        "fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate",
    ],
)
def test_an_untrusted_certificate_is_one_line_naming_the_ca_file(error: str) -> None:
    line = untrusted("h", error, "/ca.pem")
    assert line is not None and line.startswith(
        "the TLS certificate of h is not trusted by the CA file /ca.pem ("
    )
    assert "self-signed certificate" in line and "\n" not in line
    assert untrusted("h", "connection refused") is None

"""How the GitHub App's key and id are read from the environment: the forms CI secret stores
produce (one line with literal \\n, CRLF files), and every key that cannot sign RS256 refused
before any request (exit 2), without the key in the message."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bumper.errors import ConfigError
from bumper.providers.github_app import app_credentials
from testing.github_app import new_key_pem

KEY = new_key_pem()


def test_no_app_variables_is_no_app() -> None:
    assert app_credentials({"BUMPER_GITHUB_APP_ID": " ", "HOME": "/root"}) is None


def test_a_key_pasted_on_one_line_with_literal_newlines() -> None:
    one_line = KEY.strip().replace("\n", "\\n")
    app = app_credentials({"BUMPER_GITHUB_APP_ID": "42", "BUMPER_GITHUB_APP_PRIVATE_KEY": one_line})
    assert app is not None and app.private_key == KEY and app.installation_id is None
    assert "BEGIN" not in repr(app)


def test_a_key_file_with_crlf_line_ends_and_an_installation_id(tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_bytes(KEY.replace("\n", "\r\n").encode())
    env = {
        "BUMPER_GITHUB_APP_ID": "Iv23liAbCdEf",
        "BUMPER_GITHUB_APP_PRIVATE_KEY_FILE": str(pem),
        "BUMPER_GITHUB_APP_INSTALLATION_ID": "77",
    }
    app = app_credentials(env)
    assert app is not None and (app.app_id, app.installation_id) == ("Iv23liAbCdEf", 77)


def _ec_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _encrypted_key() -> str:
    key = serialization.load_pem_private_key(KEY.encode(), None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()


@pytest.mark.parametrize(
    "key",
    [_ec_key(), _encrypted_key(), KEY[:200], "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"],
    ids=["ec", "encrypted", "truncated", "public"],
)
def test_keys_that_cannot_sign_rs256_are_refused_without_showing_them(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        app_credentials({"BUMPER_GITHUB_APP_ID": "42", "BUMPER_GITHUB_APP_PRIVATE_KEY": key})
    assert "is not an unencrypted RSA private key" in str(info.value)
    assert all(line not in str(info.value) for line in key.splitlines() if len(line) > 8)

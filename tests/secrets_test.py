"""secrets: tokens come from the variables providers declare, and no printed text keeps one."""

from __future__ import annotations

import json

import pytest

from bumper.providers import registry
from bumper.providers.registry import token_for
from bumper.secrets import basic_credentials, declared_token_variables, keep_secret, redact, strip_userinfo

TOKEN = "t0k3n-value-for-tests"


def test_redact_masks_the_token_raw_and_as_git_sends_it() -> None:
    text = f"fatal: {TOKEN} / Authorization: Basic {basic_credentials(TOKEN)}"
    assert redact(text, TOKEN, env={}) == "fatal: *** / Authorization: Basic ***"


@pytest.mark.parametrize("token", ['pass"word-of-a-server-user', "back\\slash-in-a-password"])
def test_a_secret_quoted_in_a_json_answer_is_masked_as_json_escapes_it(token: str) -> None:
    """A password of Bitbucket Data Center's basic auth may hold `"` or `\\`; an answer echoing it
    as JSON escapes them, so the raw value is not in the text."""
    answer = json.dumps({"authorization": f"Basic {token}"})
    assert token not in answer
    assert redact(answer, token, env={}) == '{"authorization": "Basic ***"}'
    assert redact(answer, env={"BUMPER_TOKEN": token}) == '{"authorization": "Basic ***"}'


@pytest.mark.parametrize("variable", ["BUMPER_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN"])
def test_redact_masks_every_token_variable_even_when_not_told_the_token(variable: str) -> None:
    assert redact(f"error near {TOKEN}", env={variable: TOKEN}) == "error near ***"


def test_redact_masks_the_token_variables_of_every_registered_provider() -> None:
    """secrets.py reads the registrations without the provider layer: the same variables."""
    assert declared_token_variables() == registry.token_variables()
    for variable in registry.token_variables():
        assert redact(f"error near {TOKEN}", env={variable: TOKEN}) == "error near ***", variable


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "A1b2C3d4" * 5,
        "ghs_" + "Z" * 36,
        "github_pat_" + "11ABCDEFG0_" * 4,
        "glpat-" + "x1Y2z3W4v5U6t7S8r9Q0",
        "gldt-" + "a-b_c" * 5,
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MiIsImV4cCI6MX0.c2lnbmF0dXJlLWJ5dGVz_-x",  # a JWT
    ],
)
def test_redact_masks_what_is_shaped_like_a_host_token(secret: str) -> None:
    assert redact(f"remote: see {secret}.", env={}) == "remote: see ***."


def test_redact_masks_credentials_after_an_authorization_scheme() -> None:
    text = "remote: Authorization: Bearer abc.def-123 and authorization: token xyz"
    assert redact(text, env={}) == "remote: Authorization: Bearer *** and authorization: token ***"


def test_redact_leaves_words_that_only_start_like_tokens() -> None:
    text = "image glibc-2.31-ubuntu-focal-amd64-build, ghp_short, gh_pages, the token was refused"
    assert redact(text, env={}) == text


def test_a_value_that_a_mask_completes_is_masked_too() -> None:
    """redact() masks the longest secrets first; a token variable's value that only appears once
    a mask is in (it holds `*`) is still masked, as when every variable was looked up first."""
    keep_secret("XYZ-kept-secret-0123")
    assert redact("abXYZ-kept-secret-0123cd", env={"GITLAB_TOKEN": "b***c"}) == "a***d"


def test_a_value_that_a_mask_completes_in_a_json_answer_is_masked_too() -> None:
    """The same in a host's JSON answer, which escapes the value's `"`: the look-up was skipped
    because the raw value's runs (`p"q`) are not in the text, and the answer printed the token
    as JSON spells it."""
    keep_secret("XYZ-kept-secret-0123")
    answer = json.dumps({"message": 'p"qXYZ-kept-secret-0123rs'})
    assert redact(answer, env={"GITLAB_TOKEN": 'p"q***rs'}) == '{"message": "***"}'


def test_a_text_that_holds_no_variable_value_never_reads_the_provider_registrations() -> None:
    """The one-line error of a --dir run (exit 3 and others) skips the entry-point look-up."""
    declared_token_variables.cache_clear()
    env = {"GITLAB_TOKEN": TOKEN, "HOME": "/home/ci"}
    assert redact("no file references ghcr.io/acme/app:v1.2.3", env=env) == (
        "no file references ghcr.io/acme/app:v1.2.3"
    )
    assert declared_token_variables.cache_info().misses == 0
    assert redact(f"see {TOKEN} in /home/ci", env=env) == "see *** in /home/ci"
    assert declared_token_variables.cache_info().misses == 1


def test_redact_leaves_short_values_and_other_variables_alone() -> None:
    assert redact("a b", env={"GITHUB_TOKEN": "a", "HOME": "b"}) == "a b"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("clone https://x-access-token:s3cret@github.com/a/b.git", "clone https://github.com/a/b.git"),
        ("ssh://git@host:22/a/b and http://u@h/", "ssh://host:22/a/b and http://h/"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),  # scp-like: a user name, no secret
    ],
)
def test_strip_userinfo(text: str, expected: str) -> None:
    assert strip_userinfo(text) == expected


def test_token_for_reads_bumper_token_first_then_the_providers_own() -> None:
    env = {"GITHUB_TOKEN": "gh", "GH_TOKEN": "gh2", "GITLAB_TOKEN": "gl"}
    assert [token_for(p, env) for p in ("github", "gitlab", "none")] == ["gh", "gl", "gh"]
    assert token_for("github", {**env, "BUMPER_TOKEN": " generic "}) == "generic"
    assert token_for("github", {"GITHUB_TOKEN": "  "}) is None


def test_kept_secrets_and_the_app_key_are_masked_whole_and_line_by_line() -> None:
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwiWCTfSJ3yLINEONE\n"
        "ZZ9xq0LINETWOlinetwo1234\n-----END RSA PRIVATE KEY-----\n"
    )
    assert redact(f"key {pem}", env={"BUMPER_GITHUB_APP_PRIVATE_KEY": pem}) == "key ***\n"
    keep_secret(pem)
    keep_secret("minted-installation-token-0123")
    text = (
        "line MIIEowIBAAKCAQEAwiWCTfSJ3yLINEONE and "
        + " ".join(pem.split())
        + " minted-installation-token-0123"
    )
    assert redact(text, env={}) == "line *** and *** ***"


def test_a_hosts_own_git_header_is_masked_once_git_is_given_it() -> None:
    """Bitbucket's `x-token-auth:TOKEN` and Azure's `:TOKEN` Basic values are not the default
    `x-access-token:` form redact() knows: the runner that sends one has redact() mask it."""
    import base64

    from bumper.git.runner import GitRunner
    from bumper.secrets import redact

    value = base64.b64encode(b"x-token-auth:bb-token-0123456789abcdef").decode()
    GitRunner(
        "https://bitbucket.org/acme/app.git",
        token="bb-token-0123456789abcdef",
        env={},
        authorization=f"Basic {value}",
    )
    assert redact(f"fatal: header {value} refused", env={}) == "fatal: header *** refused"

"""Tokens: read only from the environment, and scrubbed from every text bumper prints."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

from bumper.git.url import strip_userinfo as strip_userinfo  # URLs are git/url.py's; redact uses it
from bumper.providers.registry import token_variables


def token_for(provider: str, env: Mapping[str, str]) -> str | None:
    """The first token variable set for `provider` (BUMPER_TOKEN first), as its registration says."""
    for name in token_variables(provider):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def basic_credentials(token: str) -> str:
    """The token as git sends it: Basic auth with any user name (FACTS.md)."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")


# Tokens by their published shapes (GitHub's and GitLab's prefixes, JWTs) and credentials after an
# Authorization scheme: a server's or hook's message may quote a token bumper was never told.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
    r"|gl(?:pat|dt|ptt|rt|cbt|oas|imt|agent|ft|soat|ffct)-[A-Za-z0-9_-]{20,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)"  # a signed JWT (a GitHub App's)
    r"|(?i:(?<=authorization: )(?:basic|bearer|token) )\S+"
)


# Secrets bumper made or read during this run that no variable holds: a minted GitHub App
# installation token, the App's JWT and private key (bumper/providers/github_app.py).
_KEPT: set[str] = set()
# Variables whose value is a secret though no provider reads a token from them.
SECRET_VARIABLES = ("BUMPER_GITHUB_APP_PRIVATE_KEY",)


def keep_secret(value: str) -> None:
    """Mask `value` in every text redact() scrubs from now on; a multi-line value (a PEM key)
    also line by line, as a message may quote one line of it or join its lines."""
    value = value.strip()
    if len(value) < 8:
        return
    _KEPT.add(value)
    _KEPT.update(line.strip() for line in value.splitlines() if len(line.strip()) >= 16)
    _KEPT.add(" ".join(value.split()))


def _mask(match: re.Match[str]) -> str:
    scheme, _, _ = match.group(0).rpartition(" ")
    return f"{scheme} ***" if scheme else "***"


def redact(text: str, token: str | None = None, *, env: Mapping[str, str]) -> str:
    """`text` without `token` (raw or as a Basic header), any token variable's value in `env`,
    anything shaped like a GitHub or GitLab token, or URL userinfo: the one scrubber every
    message passes through."""
    secrets = {env.get(n, "").strip() for n in (*token_variables(), *SECRET_VARIABLES)}
    secrets = {s for s in secrets if len(s) >= 4}  # a stray 1-character variable is no token
    secrets |= _KEPT
    if token:
        secrets |= {token, basic_credentials(token)}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return strip_userinfo(_TOKEN_SHAPES.sub(_mask, text))

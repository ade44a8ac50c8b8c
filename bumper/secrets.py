"""Tokens: read only from the environment, and scrubbed from every text bumper prints."""

from __future__ import annotations

import base64
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


def redact(text: str, token: str | None = None, *, env: Mapping[str, str]) -> str:
    """`text` without `token` (raw or as a Basic header), any token variable's value in `env`,
    or URL userinfo: the one scrubber every message passes through."""
    secrets = {env.get(n, "").strip() for n in token_variables()}
    secrets = {s for s in secrets if len(s) >= 4}  # a stray 1-character variable is no token
    if token:
        secrets |= {token, basic_credentials(token)}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return strip_userinfo(text)

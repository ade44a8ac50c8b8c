"""Tokens: read only from the environment, and scrubbed from every text bumper prints."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

TOKEN_VARIABLES = {
    "github": ("BUMPER_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"),
    "gitlab": ("BUMPER_TOKEN", "GITLAB_TOKEN"),
    "none": ("BUMPER_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN"),
}
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def token_for(provider: str, env: Mapping[str, str] | None = None) -> str | None:
    """The first token variable set for `provider` (BUMPER_TOKEN first)."""
    env = os.environ if env is None else env
    for name in TOKEN_VARIABLES.get(provider, TOKEN_VARIABLES["none"]):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """Remove every token value and URL userinfo from `text`."""
    env = os.environ if env is None else env
    for name in {n for names in TOKEN_VARIABLES.values() for n in names}:
        value = env.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    return _USERINFO.sub("***@", text)

"""Tokens: read only from the environment, and scrubbed from every text bumper prints."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, quote_plus

# This module imports nothing of bumper's: git/ and providers/ both use it. Which variable a run
# reads its token from is providers/registry.py's (token_for); which variables hold one is read
# here from the same registrations (the entry points), so every one is scrubbed.
GENERIC_TOKEN = "BUMPER_TOKEN"  # noqa: S105 - a variable name, read first whatever the provider
PROVIDER_ENTRY_POINTS = "bumper.providers.v1"  # where providers register (providers/registry.py)
# What every host's tokens are made of: printable ASCII, no space. Anything else inside one (a
# line break would split the header it goes into) is refused before it is sent.
TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def strip_userinfo(text: str) -> str:
    """Remove `user[:password]@` from every URL in `text`."""
    return _USERINFO.sub(r"\g<scheme>", text)


def shown_url(url: str) -> str:
    """`url` as an error may quote it: without userinfo, query or fragment (where a token may be
    put). Userinfo goes first: a password may hold `?` or `#`."""
    return strip_userinfo(url).partition("?")[0].partition("#")[0]


def has_query(url: str) -> bool:
    """Whether `url` carries a query or fragment: git appends its own path to a URL, so neither
    ever reaches a host as meant, and either may hold a token an error would print."""
    return "?" in url or "#" in url


@lru_cache(maxsize=1)
def declared_token_variables() -> tuple[str, ...]:
    """BUMPER_TOKEN and every token variable a registered provider declares: each entry point's
    `token_variables`, read without the provider layer (whose registry checks the same entries;
    one it finds broken still has its variables scrubbed here, which costs nothing)."""
    from importlib.metadata import entry_points  # a --dir run that prints no error never needs it

    names = [GENERIC_TOKEN]
    for ep in entry_points(group=PROVIDER_ENTRY_POINTS):
        try:
            declared = getattr(ep.load(), "token_variables", ())
        except Exception:  # noqa: S112 - the registry reports a provider that does not load
            continue
        names += [name for name in declared if isinstance(name, str)] if isinstance(declared, tuple) else []
    return tuple(dict.fromkeys(names))


def basic_credentials(token: str) -> str:
    """The token as git sends it: Basic auth with any user name (GitHub and GitLab take any)."""
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
    secrets = _variable_secrets(text, env) | _KEPT
    if token:
        secrets |= {token, basic_credentials(token)}
    encoded = {form for secret in secrets for form in _encoded(secret)}
    secrets |= {_in_json(secret) for secret in secrets}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    if encoded and any(form in text for form in encoded):
        for form in sorted(encoded, key=len, reverse=True):
            text = text.replace(form, _ENCODED_MASK)
        text = _ENCODED_RUN.sub("***", text)  # with what is left of a Basic credential's user
    return strip_userinfo(_TOKEN_SHAPES.sub(_mask, text))


def holds_secret(text: str, secrets: Iterable[str]) -> bool:
    """Whether `text` holds one of `secrets` (the run's token, its host's token variables'
    values), a value kept secret, or text shaped like a GitHub or GitLab token: what bumper must
    never write into a pull request or a commit (a CI secret expanded into --body)."""
    found = {s.strip() for s in secrets if len(s.strip()) >= 4} | _KEPT
    return any(secret in text for secret in found) or _TOKEN_SHAPES.search(text) is not None


_ENCODED_MASK = "\ue000"  # where an encoded form was, until the base64 run around it is masked
_ENCODED_RUN = re.compile(r"[A-Za-z0-9+/%]*\ue000[A-Za-z0-9+/%]*={0,2}")
_MIN_ENCODED = 16  # shorter values are not looked for in encoded forms (no token is that short)


@lru_cache(maxsize=256)
def _encoded(secret: str) -> tuple[str, ...]:
    """`secret` as a message may quote it encoded: percent-encoded (as in a URL or a form), and
    in base64 at each of the three alignments it can have after a prefix (an HTTP Basic
    credential `USER:SECRET` for any user: Azure DevOps' empty one, Bitbucket's
    `x-token-auth`): the characters that encode its bytes alone, whatever comes before."""
    if len(secret) < _MIN_ENCODED:
        return ()
    raw = secret.encode()
    forms = {quote(secret, safe=""), quote_plus(secret, safe="")}
    for skip in range(3):
        whole = len(raw[skip:]) // 3 * 3  # full groups only: the last one depends on what follows
        forms.add(base64.b64encode(raw[skip : skip + whole]).decode("ascii"))
    return tuple(form for form in forms if form != secret and len(form) >= _MIN_ENCODED)


def _in_json(secret: str) -> str:
    """`secret` as a JSON string spells it (a host's answer quoting it): a `"` or `\\` inside is
    escaped, so the raw value is not found there."""
    return json.dumps(secret)[1:-1]


def _variable_secrets(text: str, env: Mapping[str, str]) -> set[str]:
    """The values of `env`'s token variables that redact() must mask in `text`.

    Which variables hold a token is asked of the registered providers (entry points: ~20 ms
    of metadata reading and provider imports) only when some variable's value is in `text`,
    or holds a `*` and its other characters are in `text` (then a mask put in before it could
    complete it: a mask adds only `*`, so each run between a value's `*` must already be there);
    no other value can change what redact() prints, so the one-line error of a --dir run skips
    the look-up (a variable such as `TOX_TESTENV_PASSENV=OPENBLAS_*` does not force it)."""
    values = {name: value.strip() for name, value in env.items()}
    values = {n: v for n, v in values.items() if len(v) >= 4}  # a stray 1-character value is no token
    if not any(
        v in text
        or _in_json(v) in text
        or _completed_by_a_mask(v, text)
        or _completed_by_a_mask(_in_json(v), text)
        or any(e in text for e in _encoded(v))
        for v in values.values()
    ):
        return set()
    return {values[n] for n in (*declared_token_variables(), *SECRET_VARIABLES) if n in values}


def _completed_by_a_mask(value: str, text: str) -> bool:
    """Whether masking `text` could spell `value`: it holds a `*`, and every run of other
    characters in it is in `text` already (a mask inserts `*` only). Asked of the value as JSON
    spells it too: a host's answer quotes `p"q***rs` as `p\\"q***rs`, whose runs the raw value's
    (`p"q`) are not."""
    return "*" in value and all(run in text for run in value.split("*") if run)

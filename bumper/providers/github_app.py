"""GitHub App authentication: sign a JWT, find the repository's installation, mint one token
limited to that repository (PyGithub's App flow), so a CI job needs no person's token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bumper.errors import ConfigError, ProviderError
from bumper.providers import failures
from bumper.providers.api import ProviderSettings
from bumper.providers.deadline import AnswerTooSlow
from bumper.secrets import TOKEN_TEXT, keep_secret

APP_ID = "BUMPER_GITHUB_APP_ID"
PRIVATE_KEY = "BUMPER_GITHUB_APP_PRIVATE_KEY"
PRIVATE_KEY_FILE = "BUMPER_GITHUB_APP_PRIVATE_KEY_FILE"
INSTALLATION_ID = "BUMPER_GITHUB_APP_INSTALLATION_ID"
VARIABLES = (APP_ID, PRIVATE_KEY, PRIVATE_KEY_FILE, INSTALLATION_ID)
JWT_SECONDS = 540  # GitHub accepts at most 10 minutes; PyGithub backdates `iat` by 60 s
# An App's numeric id, or its client id (`Iv23li...`), which GitHub also accepts as `iss`.
_APP_ID = re.compile(r"[0-9]{1,20}|Iv[0-9A-Za-z.]{4,40}")


@dataclass(frozen=True)
class AppCredentials:
    """A GitHub App as the environment names it; the key never shows in a repr."""

    app_id: str
    private_key: str = field(repr=False)
    installation_id: int | None = None


def app_credentials(env: Mapping[str, str]) -> AppCredentials | None:
    """The App the environment names, or None when it names none. Raises ConfigError (exit 2)
    for a half-given or malformed App: a wrong id, no key, a key that is not a PEM private key."""
    given = {name: env.get(name, "").strip() for name in VARIABLES}
    if not any(given.values()):
        return None
    app_id = given[APP_ID]
    if not app_id:
        raise ConfigError(f"{PRIVATE_KEY} is set but {APP_ID} is not; set the App's id")
    if not _APP_ID.fullmatch(app_id):
        raise ConfigError(f"{APP_ID} must be the App's numeric id (or its client id Iv...)")
    key = _private_key(given[PRIVATE_KEY], given[PRIVATE_KEY_FILE])
    installation = given[INSTALLATION_ID]
    if installation and not installation.isdigit():
        raise ConfigError(f"{INSTALLATION_ID} must be a number (the installation's id)")
    return AppCredentials(app_id, key, int(installation) if installation else None)


def _private_key(text: str, path: str) -> str:
    """The PEM text of the key (given, or read from the file); checked to be a private key."""
    if text and path:
        raise ConfigError(f"set {PRIVATE_KEY} or {PRIVATE_KEY_FILE}, not both")
    if not text and not path:
        raise ConfigError(f"{APP_ID} is set but no key: set {PRIVATE_KEY} (PEM text) or {PRIVATE_KEY_FILE}")
    name = PRIVATE_KEY
    if path:
        name = PRIVATE_KEY_FILE
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{PRIVATE_KEY_FILE}: cannot read {path!r} ({type(exc).__name__}); name the App's .pem file"
            ) from None
    text = text.replace("\\n", "\n").strip() + "\n"  # a key pasted into one line with literal \n
    keep_secret(text)
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(text.encode("ascii", "replace"), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(
            f"{name} is not an unencrypted RSA private key in PEM form; use the .pem file GitHub "
            "generated for the App"
        )
    return text


def mint_token(app: AppCredentials, settings: ProviderSettings) -> str:
    """One installation token, limited to `owner/repo`: `GET /repos/{owner}/{repo}/installation`
    (unless the installation id is given), then `POST /app/installations/{id}/access_tokens` with
    `repositories: [repo]`. Both with the App's JWT (RS256, 9 minutes). Raises ProviderError
    (exit 1) in one line for a key GitHub refuses or an App not installed on the repository."""
    # The provider module holds PyGithub: it loads as in every run, jwt deferred (deferred.py).
    from bumper.providers.builtin import github_location
    from bumper.providers.github import AppRefused, app_requests

    api_url, where = github_location(settings.repo_url, settings.api_url, settings.env)[:2]
    owner, _, repo = where.partition("/")
    call = app_requests(app.app_id, app.private_key, JWT_SECONDS, api_url, settings)
    try:
        installation = app.installation_id
        if installation is None:
            installation = _installation_id(call("GET", f"/repos/{owner}/{repo}/installation", None))
        url = f"/app/installations/{installation}/access_tokens"
        minted = call("POST", url, {"repositories": [repo]})
    except AppRefused as exc:
        raise _refused(app, where, exc.status) from None
    except AnswerTooSlow as exc:  # an answer that trickled past BUMPER_REQUEST_DEADLINE
        raise ProviderError(
            f"GitHub App {app.app_id}: minting a token for {where}: {exc.detail}{exc.hint}", kind="other"
        ) from None
    except failures.MISREAD as exc:  # an answer of the wrong shape
        raise ProviderError(
            f"GitHub App {app.app_id}: minting a token for {where}: GitHub's answer is not what its "
            f"API gives ({type(exc).__name__}: {exc}); check --api-url and rerun",
            kind="other",
        ) from None
    except Exception as exc:  # noqa: BLE001 - no answer at all: network, TLS, retries used up
        detail = failures.unreachable(api_url, exc, settings.ca_file)
        raise ProviderError(
            f"GitHub App {app.app_id}: minting a token for {where}: {detail}", kind="other"
        ) from None
    token = minted.get("token") if isinstance(minted, dict) else None
    token = token if isinstance(token, str) else ""
    if not token or not TOKEN_TEXT.fullmatch(token):
        raise ProviderError(
            f"GitHub App {app.app_id}: GitHub returned no token for {where} (the answer holds none, "
            "or one with a space, a line break or a non-ASCII character); check --api-url and rerun",
            kind="other",
        )
    keep_secret(token)
    return token


def _installation_id(found: Any) -> int:
    """The installation's id in GitHub's answer; a ProviderError-worthy ValueError otherwise."""
    value = found.get("id") if isinstance(found, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("no installation id")
    return value


def _refused(app: AppCredentials, where: str, status: int) -> ProviderError:
    """The one line for a refusal: which variable to look at, never the key or the JWT."""
    if status == 401:
        return ProviderError(
            f"GitHub App {app.app_id}: GitHub refused the App's signed token (401); check that "
            f"{APP_ID} is the App's id and the private key is a current key of that App",
            kind="auth",
        )
    if status == 404 and app.installation_id is None:
        return ProviderError(
            f"GitHub App {app.app_id} is not installed on {where} (404); install the App on the "
            "repository (or its organization) with contents and pull requests write access",
            kind="not-found",
        )
    if status in (403, 404, 422):
        named = f"installation {app.installation_id}" if app.installation_id else "its installation"
        return ProviderError(
            f"GitHub App {app.app_id}: {named} cannot mint a token for {where} ({status}); "
            f"check {INSTALLATION_ID} and that the installation covers this repository",
            kind="auth" if status == 403 else "not-found",
        )
    return ProviderError(
        f"GitHub App {app.app_id}: minting a token for {where} failed ({status}); rerun later",
        kind="rate-limited" if status == 429 else "other",
    )

"""A GitHub App as the fake GitHub knows it: its RSA key pair, its installations, and the checks
GitHub makes of the App's JWT (RS256 signature with the App's public key, `iss`, at most 10
minutes) before it answers `GET /repos/{owner}/{repo}/installation` or mints a token."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from testing.fake_provider import Reply, Response

DOCS = "https://docs.github.com/rest/apps/apps"


def new_key_pem() -> str:
    """A fresh 2048-bit RSA private key in the PEM form GitHub hands out (BEGIN RSA PRIVATE KEY)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


@dataclass
class FakeApp:
    """One App: id, slug, the PEM key a test hands bumper, and where it is installed.

    `installations` maps an installation id to the repositories it covers; `mints` is what the
    fake's token requests asked for; `token` is what a mint returns (the world's canary token,
    so the git server accepts it too)."""

    app_id: int
    slug: str
    private_key_pem: str
    token: str
    installations: dict[int, set[str]] = field(default_factory=dict)
    mints: list[dict[str, Any]] = field(default_factory=list)
    jwts: list[dict[str, Any]] = field(default_factory=list)  # verified claims, for the asserts
    bearers: list[str] = field(default_factory=list)  # the JWTs as sent, in request order

    @property
    def bot(self) -> tuple[str, str]:
        """The author GitHub gives what the App's token makes."""
        login = f"{self.slug}[bot]"
        return login, f"{self.app_id}+{login}@users.noreply.github.com"

    def install(self, installation_id: int, *repos: str) -> None:
        self.installations[installation_id] = set(repos)

    # -- the endpoints --------------------------------------------------------------------------

    def answer(self, method: str, path: str, authorization: str, body: Any) -> Response | None:
        """The answer to an App endpoint, or None when `path` is none of them."""
        if method == "GET" and path.startswith("/api/v3/repos/") and path.endswith("/installation"):
            self._verify(authorization)
            repo = path.removeprefix("/api/v3/repos/").removesuffix("/installation")
            for number, repos in self.installations.items():
                if repo in repos:
                    return 200, {}, self._installation_json(number, repo.split("/")[0])
            raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        prefix, _, rest = path.partition("/api/v3/app/installations/")
        if method == "POST" and not prefix and rest.endswith("/access_tokens"):
            self._verify(authorization)
            return self._mint(int(rest.removesuffix("/access_tokens")), body)
        return None

    def _verify(self, authorization: str) -> None:
        """GitHub's checks of the JWT; 401 "A JSON web token could not be decoded" otherwise."""
        scheme, _, token = authorization.partition(" ")
        self.bearers.append(token)
        public = serialization.load_pem_private_key(self.private_key_pem.encode(), None).public_key()
        try:
            if scheme.lower() != "bearer":
                raise jwt.InvalidTokenError("not a bearer token")
            claims = jwt.decode(
                token, public, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
            )
        except jwt.PyJWTError:
            raise Reply(
                401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS}
            ) from None
        if str(claims["iss"]) != str(self.app_id):
            raise Reply(
                401, {"message": "'Issuer' claim ('iss') must be an Integer", "documentation_url": DOCS}
            )
        if claims["exp"] - claims["iat"] > 600 or claims["exp"] > time.time() + 600:
            raise Reply(401, {"message": "'Expiration time' claim ('exp') is too far in the future"})
        self.jwts.append(claims)

    def _mint(self, installation: int, body: Any) -> Response:
        if installation not in self.installations:
            raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        wanted = (body or {}).get("repositories") if isinstance(body, dict) else None
        covered = {r.split("/", 1)[1] for r in self.installations[installation]}
        if wanted is not None and not set(wanted) <= covered:
            raise Reply(
                422,
                {
                    "message": "There is at least one repository that does not exist or is not "
                    "accessible to the parent installation.",
                    "documentation_url": DOCS,
                },
            )
        self.mints.append({"installation": installation, "repositories": wanted})
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        selection = "selected" if wanted is not None else "all"
        return 201, {}, {"token": self.token, "expires_at": expires, "repository_selection": selection}

    def _installation_json(self, number: int, owner: str) -> dict[str, Any]:
        return {
            "id": number,
            "app_id": self.app_id,
            "app_slug": self.slug,
            "account": {"login": owner},
            "target_type": "Organization",
            "repository_selection": "selected",
            "access_tokens_url": f"/app/installations/{number}/access_tokens",
        }

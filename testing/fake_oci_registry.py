"""A small fake OCI registry for what the real one (testing/oci_registry.py) cannot show: the
bearer-token flow with scopes and anonymous tokens, 429 with Retry-After, TLS with a test CA,
an answer without Docker-Content-Digest. It serves the same bytes an OCI layout holds (written
by testing.oci_registry.Layout), as the real registry serves them after a skopeo push.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from testing.fake_provider import LoopbackServer, RecordedRequest, Response

USER = "robot"
PASSWORD = "fake-registry-PASSWORD-5b1e9c"  # noqa: S105 - grepped for in every output
SERVICE = "fake-registry"
IDENTITY_TOKEN = "fake-refresh-IDENTITYtoken-0c7d"  # noqa: S105 - what `docker login` via OAuth stores


@dataclass
class Repo:
    """One repository: tags to manifest digests, and every blob (manifests too) by digest."""

    public: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest -> (media type, bytes)


class FakeOciRegistry(LoopbackServer):
    """Distribution API under /v2/ with a token service at /token (Docker Hub's and GHCR's flow)."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, scheme: str = "bearer") -> None:
        super().__init__(token=PASSWORD, tls=tls)
        self.scheme = scheme  # "bearer" (token service) or "basic"
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, str] = {}  # token -> the scope it was issued for
        self.digest_header: bool | str = True  # a str is sent in place of the true digest
        self.realm = f"{self.base_url}/token"
        self.token_requests: list[tuple[dict[str, list[str]], bool]] = []  # query, with credentials
        self._auth = ""

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve_layout(self, repository: str, layout: Path, tag: str, *, public: bool = False) -> None:
        """Serve an OCI layout's tag (and every blob it holds) under `repository`."""
        repo = self.repos.setdefault(repository, Repo(public=public))
        index = json.loads((layout / "index.json").read_text())
        for blob in (layout / "blobs" / "sha256").iterdir():
            data = blob.read_bytes()
            try:
                media = str(json.loads(data).get("mediaType", "application/octet-stream"))
            except (ValueError, AttributeError):
                media = "application/octet-stream"
            repo.blobs[f"sha256:{blob.name}"] = (media, data)
        repo.tags[tag] = index["manifests"][0]["digest"]

    def authorized(self, headers: dict[str, str]) -> bool:
        """Each route checks its own credentials: keep the header the request log leaves out
        (called under the server's lock just before `route`)."""
        self._auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return True

    def route(self, req: RecordedRequest) -> Response:
        auth = self._auth
        if req.path == "/token":
            return self._token(req)
        if req.path in ("/v2/", "/v2"):
            return (200, {}, {}) if self._allowed(auth, None) else self._challenge(None)
        parts = req.path.removeprefix("/v2/").split("/")
        if len(parts) < 3 or parts[-2] not in ("manifests", "blobs"):
            return 404, {}, {"errors": [{"code": "NOT_FOUND"}]}
        repository, kind, reference = "/".join(parts[:-2]), parts[-2], parts[-1]
        if not self._allowed(auth, repository):
            return self._challenge(repository)
        repo = self.repos.get(repository)
        if repo is None:
            return 404, {}, {"errors": [{"code": "NAME_UNKNOWN"}]}
        digest = repo.tags.get(reference, reference) if kind == "manifests" else reference
        if digest not in repo.blobs:
            return 404, {}, {"errors": [{"code": "MANIFEST_UNKNOWN"}]}
        media, data = repo.blobs[digest]
        headers = {"Content-Type": media}
        if self.digest_header:
            headers["Docker-Content-Digest"] = digest if self.digest_header is True else self.digest_header
        return 200, headers, data

    # -- auth ---------------------------------------------------------------------------------

    def _challenge(self, repository: str | None) -> Response:
        if self.scheme == "basic":
            return 401, {"WWW-Authenticate": 'Basic realm="fake"'}, {"errors": [{"code": "UNAUTHORIZED"}]}
        scope = f',scope="repository:{repository}:pull"' if repository else ""
        header = f'Bearer realm="{self.realm}",service="{SERVICE}"{scope}'
        return 401, {"WWW-Authenticate": header}, {"errors": [{"code": "UNAUTHORIZED"}]}

    def _allowed(self, auth: str, repository: str | None) -> bool:
        scheme, _, value = auth.partition(" ")
        if self.scheme == "basic":
            return scheme.lower() == "basic" and _basic_ok(value)
        if scheme.lower() != "bearer" or value not in self.tokens:
            return False
        return repository is None or self.tokens[value] == f"repository:{repository}:pull"

    def _token(self, req: RecordedRequest) -> Response:
        auth = self._auth
        if req.method == "POST":  # the OAuth2 refresh-token grant of an identity token
            return self._refresh(parse_qs(req.body if isinstance(req.body, str) else ""))
        self.token_requests.append((dict(req.query), bool(auth)))
        scope = (req.query.get("scope") or [""])[0]
        service = (req.query.get("service") or [""])[0]
        if service != SERVICE:
            return 400, {}, {"errors": [{"code": "DENIED", "message": "unknown service"}]}
        repository = scope.removeprefix("repository:").rsplit(":", 1)[0]
        if auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "basic" or not _basic_ok(value):
                return 401, {}, {"errors": [{"code": "UNAUTHORIZED"}]}
        elif not (repository in self.repos and self.repos[repository].public):
            return 401, {}, {"errors": [{"code": "UNAUTHORIZED"}]}  # Docker Hub: anonymous, private
        token = secrets.token_hex(16)
        self.tokens[token] = scope
        return 200, {}, {"token": token, "expires_in": 300}

    def _refresh(self, form: dict[str, list[str]]) -> Response:
        field = {k: v[0] for k, v in form.items()}
        self.token_requests.append(({k: [v] for k, v in field.items() if k != "refresh_token"}, True))
        if field.get("grant_type") != "refresh_token" or field.get("refresh_token") != IDENTITY_TOKEN:
            return 401, {}, {"error": "invalid_grant"}
        token = secrets.token_hex(16)
        self.tokens[token] = field.get("scope", "")
        return 200, {}, {"access_token": token, "expires_in": 300}


def _basic_ok(value: str) -> bool:
    try:
        return base64.b64decode(value).decode() == f"{USER}:{PASSWORD}"
    except (ValueError, UnicodeDecodeError):
        return False


def docker_config(folder: Path, host: str, password: str = PASSWORD) -> Path:
    """A DOCKER_CONFIG folder logged in to `host` as `robot`."""
    folder.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return folder

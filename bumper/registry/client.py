"""The distribution API over `requests`: the WWW-Authenticate challenge (basic, bearer with
scope, anonymous tokens), manifest GETs, TLS as git and the host API trust it, urllib3 retries.

Why `requests` and not an OCI client library: bumper reads two documents (a manifest, sometimes
a config blob), and requests already carries urllib3's Retry (429 Retry-After, 5xx) and parses
challenge parameters (`requests.utils.parse_dict_header`); oras-py, the maintained Python SDK,
neither types its API nor reads `$REGISTRY_AUTH_FILE`, drops the anonymous-token answer in one
path and logs helper output, so it would save a few lines and cost guarantees.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from requests.utils import parse_dict_header

from bumper.errors import RegistryError
from bumper.image_ref import is_digest
from bumper.providers.deadline import AnswerTooSlow, request_deadline
from bumper.providers.rest import MAX_RETRY_AFTER, BoundedRetry
from bumper.providers.timed_http import DeadlineAdapter
from bumper.registry.credentials import Credentials, find_credentials
from bumper.registry.manifests import ACCEPT, MAX_MANIFEST_BYTES, Manifest, digest_of, parse_manifest
from bumper.registry.names import Endpoint, endpoint, host_of, insecure_hosts, is_loopback
from bumper.tls import check_ca_files, trusted_ca, untrusted

TIMEOUT = 30  # seconds per request
RETRIES = 5


def _session(backoff: float, deadline: float) -> requests.Session:
    retry = BoundedRetry(
        total=RETRIES,
        backoff_factor=backoff,
        backoff_max=16 * max(backoff, 0.001),
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer comes back, and is explained below
    )
    retry.cap = MAX_RETRY_AFTER * max(backoff, 0.001)
    session = requests.Session()
    # No ~/.netrc credentials in place of the registry's own, no CA bundle but bumper.tls's;
    # proxies are still read from the environment, per request (_proxies).
    session.trust_env = False
    adapter = DeadlineAdapter(deadline, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Registry:
    """One registry's API, authorized per repository as its challenges ask."""

    def __init__(self, registry: str, env: Mapping[str, str], backoff: float = 1.0) -> None:
        self.where: Endpoint = endpoint(registry, env)
        self._env = env
        host = host_of(self.where.api_host)
        check_ca_files(env, host)  # a CA variable naming no file: exit 2, as for git and the API
        ca = trusted_ca(env, host, api=True)
        self._ca_file = ca.path if ca is not None else None
        self._verify: str | bool = self._ca_file or True
        self._deadline = request_deadline(env)  # a bad value: exit 2 before any request
        self._session = _session(backoff, self._deadline)
        self._base: str | None = None
        self._auth: dict[str, str] = {}  # repository -> Authorization header value
        self._credentials: Credentials | None = None
        self._looked_up = False

    # -- public -----------------------------------------------------------------------------

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest (or index) a tag or digest names; None when the registry has none."""
        response = self._get(repository, f"manifests/{reference}", {"Accept": ACCEPT})
        if response is None:
            return None
        body = _read_capped(response, MAX_MANIFEST_BYTES, self._what(repository, reference))
        # The digest --registry resolve may write into manifests: the one asked for, else the
        # registry's header, else the body's; whichever it is, the body must hash to it.
        header = response.headers.get("Docker-Content-Digest", "").strip()
        digest = reference if is_digest(reference) else header if is_digest(header) else digest_of(body)
        if digest_of(body, digest.split(":", 1)[0]) != digest:
            raise RegistryError(
                f"{self._what(repository, reference)}: the registry served a manifest that does not hash "
                f"to {digest}; it cannot be trusted"
            )
        try:
            return parse_manifest(body, response.headers.get("Content-Type", ""), digest)
        except (ValueError, TypeError):
            raise RegistryError(
                f"{self._what(repository, reference)}: the registry's answer is not an image manifest"
            ) from None

    def blob(self, repository: str, digest: str, limit: int = 1024 * 1024) -> bytes | None:
        """A small blob (an image config), checked against its digest; None when absent."""
        if not is_digest(digest):  # a config digest is the registry's text: check it first
            return None
        response = self._get(repository, f"blobs/{digest}", {})
        if response is None:
            return None
        body = _read_capped(response, limit, self._what(repository, digest))
        return body if digest_of(body, digest.split(":", 1)[0]) == digest else None

    # -- requests ---------------------------------------------------------------------------

    def _what(self, repository: str, reference: str) -> str:
        sep = "@" if ":" in reference else ":"
        return f"{self.where.registry}/{repository}{sep}{reference}"

    def _get(self, repository: str, path: str, headers: dict[str, str]) -> requests.Response | None:
        url = f"{self._base_url()}/v2/{repository}/{path}"
        response = self._send(url, headers, self._auth.get(repository))
        if response.status_code == 401:
            self._auth[repository] = self._authorize(response, repository)
            response.close()
            response = self._send(url, headers, self._auth[repository])
        if response.status_code == 404:
            response.close()
            return None
        if response.status_code != 200:
            response.close()
            raise RegistryError(self._refusal(response.status_code, repository, path))
        return response

    def _send(self, url: str, headers: dict[str, str], authorization: str | None) -> requests.Response:
        sent = dict(headers)
        if authorization:
            sent["Authorization"] = authorization
        try:
            return self._session.get(
                url, headers=sent, timeout=TIMEOUT, verify=self._verify, stream=True, proxies=_proxies(url)
            )
        except requests.exceptions.RequestException as exc:
            raise RegistryError(self._unreachable(exc)) from None
        except AnswerTooSlow as exc:
            raise self._too_slow(exc) from None

    def _base_url(self) -> str:
        """https://, or http:// for a loopback or listed registry that does not speak TLS."""
        if self._base is not None:
            return self._base
        https = f"https://{self.where.api_host}"
        self._base = https
        if self.where.plain_http:
            try:  # one try, no retries: a registry without TLS refuses the handshake at once
                probe = f"{https}/v2/"
                with requests.Session() as once:
                    once.mount("https://", DeadlineAdapter(self._deadline))
                    once.trust_env = False
                    once.get(probe, timeout=TIMEOUT, verify=self._verify, proxies=_proxies(probe)).close()
            except requests.exceptions.SSLError as exc:
                if untrusted("", exc) is not None:
                    raise RegistryError(self._unreachable(exc)) from None
                self._base = f"http://{self.where.api_host}"
            except requests.exceptions.ConnectionError:
                self._base = f"http://{self.where.api_host}"
            except requests.exceptions.Timeout as exc:  # took the connection, never answered
                raise RegistryError(self._unreachable(exc)) from None
            except AnswerTooSlow as exc:
                raise self._too_slow(exc) from None
        return self._base

    def _too_slow(self, exc: AnswerTooSlow) -> RegistryError:
        return RegistryError(f"the registry {self.where.registry}: {exc.detail}{exc.hint}")

    def _unreachable(self, exc: BaseException) -> str:
        bad_tls = untrusted(f"the registry {self.where.api_host}", exc, self._ca_file)
        if bad_tls is not None:
            return bad_tls
        kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "cannot connect"
        hint = "" if self.where.plain_http else "; a registry without TLS goes in BUMPER_INSECURE_REGISTRIES"
        name = type(exc).__name__
        return f"the registry {self.where.api_host} {kind} ({name}); check the name and the network{hint}"

    def _refusal(self, status: int, repository: str, path: str) -> str:
        where = f"{self.where.registry}/{repository}"
        if status in (401, 403):
            who = f"the credentials of {self._credentials.source}" if self._credentials else "no credentials"
            return (
                f"the registry {self.where.registry} refused {where} (HTTP {status}) with {who}; "
                "log in with a user that may pull it (docker login), or check the name"
            )
        if status == 429:
            return f"the registry {self.where.registry} kept answering 429 (rate limit) for {where}; wait"
        return f"the registry {self.where.registry} answered HTTP {status} for {where}; try again later"

    # -- the challenge ----------------------------------------------------------------------

    def _creds(self) -> Credentials | None:
        if not self._looked_up:
            self._credentials = find_credentials(self.where, self._env)
            self._looked_up = True
        return self._credentials

    def _authorize(self, response: requests.Response, repository: str) -> str:
        """The Authorization value the 401's WWW-Authenticate challenge asks for."""
        challenge = response.headers.get("WWW-Authenticate", "").strip()
        scheme, _, rest = challenge.partition(" ")
        parsed: dict[str, str | None] = parse_dict_header(rest)  # type: ignore[no-untyped-call]
        params = {k.lower(): v for k, v in parsed.items() if v is not None}
        creds = self._creds()
        if scheme.lower() == "basic":
            if creds is None or creds.identity:
                raise RegistryError(self._no_credentials(repository))
            return "Basic " + _basic(creds)
        if scheme.lower() == "bearer" and params.get("realm"):
            return "Bearer " + self._token(params, repository, creds)
        raise RegistryError(
            f"the registry {self.where.registry} asks for an authentication bumper does not know "
            f"({scheme or 'none'}); check the registry name"
        )

    def _token(self, params: dict[str, str], repository: str, creds: Credentials | None) -> str:
        """A bearer token from the challenge's realm for pulling `repository`; with credentials
        when some are stored, else an anonymous one (public images on Docker Hub, GHCR, ...)."""
        realm = params["realm"]
        parts = urlsplit(realm)
        plain_ok = is_loopback(parts.netloc) or parts.netloc.lower() in insecure_hosts(self._env)
        if parts.scheme != "https" and not (parts.scheme == "http" and plain_ok):
            raise RegistryError(
                f"the registry {self.where.registry} sends bumper for a token to "
                f"{parts.scheme}://{parts.netloc}, which is not HTTPS; refusing to send credentials there"
            )
        query = {"scope": f"repository:{repository}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        try:
            answer = self._ask_token(realm, query, creds)
        except requests.exceptions.RequestException as exc:
            raise RegistryError(self._unreachable(exc)) from None
        except AnswerTooSlow as exc:
            raise self._too_slow(exc) from None
        if answer.status_code in (401, 403):
            if creds is None:
                raise RegistryError(self._no_credentials(repository))
            raise RegistryError(
                f"the registry {self.where.registry} refused the credentials of {creds.source} "
                f"(HTTP {answer.status_code} from its token service); log in again (docker login)"
            )
        token = None
        if answer.status_code == 200:
            try:
                data = answer.json()
                token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
            except ValueError:
                token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(
                f"the token service of {self.where.registry} answered HTTP {answer.status_code} without a "
                "token; try again later"
            )
        return token

    def _ask_token(self, realm: str, query: dict[str, str], creds: Credentials | None) -> requests.Response:
        """GET the realm (Basic credentials, or none for an anonymous token); an identity token
        (`docker login` through OAuth, a helper's `<token>` user) is exchanged by the OAuth2
        refresh-token POST of the token specification instead."""
        proxies = _proxies(realm)
        if creds is not None and creds.identity:
            form = {
                **query,
                "grant_type": "refresh_token",
                "refresh_token": creds.secret,
                "client_id": "bumper",
            }
            return self._session.post(realm, data=form, timeout=TIMEOUT, verify=self._verify, proxies=proxies)
        headers = {"Authorization": "Basic " + _basic(creds)} if creds is not None else {}
        return self._session.get(
            realm, params=query, headers=headers, timeout=TIMEOUT, verify=self._verify, proxies=proxies
        )

    def _no_credentials(self, repository: str) -> str:
        return (
            f"the registry {self.where.registry} wants credentials for {self.where.registry}/{repository} "
            "and none are stored; log in (docker login: $DOCKER_CONFIG/config.json, or $REGISTRY_AUTH_FILE)"
        )


def _proxies(url: str) -> dict[str, str]:
    """HTTPS_PROXY/HTTP_PROXY/NO_PROXY as requests would read them."""
    return requests.utils.get_environ_proxies(url)


def _basic(creds: Credentials) -> str:
    return base64.b64encode(f"{creds.username}:{creds.secret}".encode()).decode("ascii")


def _read_capped(response: requests.Response, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise RegistryError(f"{what}: the registry's answer is over {limit} bytes; refusing it")
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        name = type(exc).__name__
        raise RegistryError(f"{what}: the registry's answer broke off ({name}); try again") from None
    except AnswerTooSlow as exc:
        raise RegistryError(f"{what}: {exc.detail}{exc.hint}") from None
    finally:
        response.close()
    return b"".join(chunks)

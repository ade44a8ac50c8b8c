"""Which CA file git and the API clients trust: one rule for both, so a company CA works for both.

git reads only `GIT_SSL_CAINFO`; requests (under PyGithub and python-gitlab) reads only
`REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE` and otherwise trusts certifi's bundle, not the system's.
A CI job that names its CA in one of the usual variables would see one of the two fail.
The rule (docs/providers.md): the first of `GIT_SSL_CAINFO`, `CI_SERVER_TLS_CA_FILE` (only for
the repository on the GitLab CI server it names the CA of) and `SSL_CERT_FILE` is trusted by
git and by the API client; `REQUESTS_CA_BUNDLE` (then `CURL_CA_BUNDLE`), requests' own
variables, when set, win for the API client only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from bumper.errors import ConfigError

GIT_VARIABLES = ("GIT_SSL_CAINFO", "CI_SERVER_TLS_CA_FILE", "SSL_CERT_FILE")
API_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", *GIT_VARIABLES)
UNTRUSTED_HINT = (
    "give the CA's certificate file (PEM) in GIT_SSL_CAINFO or SSL_CERT_FILE "
    "(REQUESTS_CA_BUNDLE for the API alone)"
)


class CaFile(NamedTuple):
    """A CA file and the variable that named it."""

    variable: str
    path: str


def trusted_ca(env: Mapping[str, str], host: str | None, *, api: bool) -> CaFile | None:
    """The CA file git (`api=False`) or the API client trusts for a repository on `host`, or
    None for the default store. `CI_SERVER_TLS_CA_FILE` is the GitLab runner's CA of its own
    server (`CI_SERVER_HOST`): it is not applied to another host."""
    for variable in API_VARIABLES if api else GIT_VARIABLES:
        path = env.get(variable, "").strip()
        if not path:
            continue
        if variable == "CI_SERVER_TLS_CA_FILE":
            server = env.get("CI_SERVER_HOST", "").strip().lower()
            if server and host is not None and server != host.lower():
                continue
        return CaFile(variable, path)
    return None


def git_env(env: Mapping[str, str], host: str | None) -> dict[str, str]:
    """What a git command's environment needs so git trusts the CA the rule picks: git reads
    GIT_SSL_CAINFO itself, the other variables reach it as GIT_SSL_CAINFO."""
    ca = trusted_ca(env, host, api=False)
    return {"GIT_SSL_CAINFO": ca.path} if ca is not None and ca.variable != "GIT_SSL_CAINFO" else {}


def check_ca_files(env: Mapping[str, str], host: str | None) -> None:
    """A CA variable naming no file is exit 2 before the first connection (git and requests
    would fail later with less to go on)."""
    for api in (False, True):
        ca = trusted_ca(env, host, api=api)
        if ca is not None and not os.path.exists(ca.path):
            raise ConfigError(
                f"{ca.variable} names {ca.path!r}, which does not exist; point it at your CA's "
                "certificate file (PEM) or unset it"
            )


# requests/OpenSSL: "certificate verify failed: REASON (_ssl.c…"; git with OpenSSL: "SSL certificate
# problem: REASON"; git with GnuTLS (Debian's): "server certificate verification failed. CAfile: …"
_REASON = re.compile(
    r"(?:certificate verify failed: |ssl certificate problem: |(server certificate verification failed))"
    r"([^('\"\n.]*)",
    re.IGNORECASE,
)


def untrusted(where: str, error: BaseException | str, ca_file: str | None = None) -> str | None:
    """`the TLS certificate of WHERE is not trusted (...); give …`, when `error` is a failed
    certificate verification; None for any other error. `ca_file` is the file the client was
    told to trust, if any: the line names it, since a wrong file is the likely cause then."""
    match = _REASON.search(str(error))
    if match is None:
        return None
    reason = (match[1] or match[2]).strip()
    by = f" by the CA file {ca_file}" if ca_file else ""
    return f"the TLS certificate of {where} is not trusted{by} ({reason}); {UNTRUSTED_HINT}"

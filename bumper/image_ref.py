"""Parse and normalize container image references (the Docker distribution grammar)."""

from __future__ import annotations

import re
from typing import NamedTuple

from bumper.errors import RefParseError

DOCKER_HUB = "docker.io"
HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})  # one registry

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
# What OCI registries accept and resolve: the two registered algorithms, lowercase hex.
_OCI_DIGEST = r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}"
DIGEST_HINT = "a digest is sha256:<64 hex> or sha512:<128 hex>"

_PATH_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(_DOMAIN)
_TAG_RE = re.compile(_TAG)
_DIGEST_RE = re.compile(_DIGEST)
_OCI_DIGEST_RE = re.compile(_OCI_DIGEST)
_NAME_MAX = 255
# name + ":" + 128-character tag + "@" + a sha512 digest
_REF_MAX = _NAME_MAX + 1 + 128 + 1 + 6 + 1 + 128


class ImageRef(NamedTuple):
    """A parsed reference; `name` keeps the spelling of the source, the rest is normalized."""

    name: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse `text`, raising RefParseError with the reason when it is not a reference."""
        if not text or text != text.strip():
            raise RefParseError(f"invalid image reference {text!r}: empty or surrounded by spaces")
        if len(text) > _REF_MAX:
            raise RefParseError(
                f"invalid image reference {text[:40]!r}...: longer than {_REF_MAX} characters"
            )
        rest, _, digest = text.partition("@")
        if "@" in text and not _DIGEST_RE.fullmatch(digest):
            raise RefParseError(f"invalid image reference {text!r}: bad digest {digest!r}")
        if digest.startswith("sha256:") and not re.fullmatch(r"[0-9a-f]{64}", digest[7:]):
            raise RefParseError(
                f"invalid image reference {text!r}: a sha256 digest is 64 lowercase hex digits"
            )
        if digest and not is_digest(digest):
            raise RefParseError(f"invalid image reference {text!r}: bad digest {digest!r}; {DIGEST_HINT}")
        name, tag = _split_tag(rest)
        if tag is not None and not _TAG_RE.fullmatch(tag):
            raise RefParseError(f"invalid image reference {text!r}: bad tag {tag!r}")
        if tag is not None and tag.isdigit() and not digest and _names_host_alone(name):
            raise RefParseError(
                f"invalid image reference {text!r}: {name!r} is a registry host, so {tag!r} is its port, "
                f"not a tag; name the image on it ({text}/NAME:TAG)"
            )
        registry, repository = split_name(name, text)
        return cls(name, registry, repository, tag, digest or None)

    @classmethod
    def try_parse(cls, text: str) -> ImageRef | None:
        """Parse `text`, or None when it is no reference (used on manifest values)."""
        try:
            return cls.parse(text)
        except RefParseError:
            return None

    @property
    def key(self) -> str:
        """The normalized repository identity that matching compares."""
        return f"{self.registry}/{self.repository}"

    @property
    def version(self) -> str:
        """The `:tag@digest` suffix, as it would be written after the name."""
        return (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def __str__(self) -> str:
        return self.name + self.version

    def needle(self) -> bytes:
        """Text every spelling of this repository contains; files without it are never parsed."""
        path = self.repository
        if self.registry == DOCKER_HUB and path.startswith("library/"):
            path = path[len("library/") :]
        return path.encode()

    def needles(self) -> tuple[bytes, ...]:
        """Every spelling of the repository a file may hold: `needle`, and with each `/` written
        `\\/`, as JSON encoders (PHP's json_encode) write it in a double-quoted scalar, which YAML
        reads as `/`: a file written so is a manifest like any other."""
        needle = self.needle()
        return (needle, needle.replace(b"/", b"\\/")) if b"/" in needle else (needle,)

    def split_needle(self) -> tuple[bytes, bytes] | None:
        """The repository's path before its last part, and that part, for a values map that
        spells them apart (`repository: kubespheredev` + `image: kubefed`, kubefed's chart): a
        file holding both may name this image; None for a path of one part."""
        head, slash, last = self.needle().rpartition(b"/")
        return (head, last) if slash and head and last else None

    def slug(self) -> str:
        """A branch-safe spelling of the repository, e.g. `ghcr.io-acme-app`."""
        return re.sub(r"[^a-z0-9._-]+", "-", self.key.lower()).strip("-.")


def is_digest(text: str) -> bool:
    """Whether `text` is an OCI digest (`sha256:` + 64 or `sha512:` + 128 lowercase hex)."""
    return _OCI_DIGEST_RE.fullmatch(text) is not None


def parse_tag_value(text: str) -> tuple[str | None, str | None]:
    """Read a tag field: `1.2.3`, `1.2.3@sha256:<hex>` (tag and digest in one scalar), or empty.

    Raises RefParseError with the reason when the value is no tag (e.g. `sha256:<hex>`, which
    a tag field cannot hold: it would be read as a tag, not as a pin)."""
    tag, at, digest = text.partition("@")
    if at and not is_digest(digest):
        raise RefParseError(f"not-a-digest: {DIGEST_HINT}")
    if tag and not _TAG_RE.fullmatch(tag):
        if is_digest(tag) or _DIGEST_RE.fullmatch(tag):
            raise RefParseError(
                "not-a-tag: a digest in a tag field is read as a tag, not a pin; move it to a digest key"
            )
        raise RefParseError("not-a-tag: letters, digits, '_', '.', '-' (at most 128)")
    if at and not tag:
        raise RefParseError("not-a-tag: no tag before '@'")
    return tag or None, digest or None


def _split_tag(rest: str) -> tuple[str, str | None]:
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :]
    return rest, None


def names_registry_host(name: str) -> bool:
    """Whether `name` starts with a registry host: a first part before a `/` with a `.` or `:`,
    or `localhost` (`ghcr.io/acme/app`, `registry:5000/app`). Docker also reads a first part
    with capitals as a host; split_name does, a guess from a key's text does not."""
    first, sep, _ = name.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def _names_host_alone(name: str) -> bool:
    """Whether a name with no `/` reads as a registry host (`gcr.io`, `localhost`): with digits
    after its `:` it is HOST:PORT (`localhost:5000`, `--registry=gcr.io:5432`), no Docker Hub
    image (none there is named with a `.` or `localhost`). `registry:5000` stays the Hub's
    `registry` image at tag 5000, as Docker reads it."""
    return "/" not in name and ("." in name or name == "localhost")


def split_name(name: str, text: str | None = None) -> tuple[str, str]:
    """Split a name into (normalized registry, normalized repository path)."""
    shown = text if text is not None else name
    if len(name) > _NAME_MAX:
        raise RefParseError(f"invalid image reference {shown[:40]!r}...: name longer than 255")
    first, sep, remainder = name.partition("/")
    if names_registry_host(name) or (sep and first != first.lower()):
        if not _DOMAIN_RE.fullmatch(first):
            raise RefParseError(f"invalid image reference {shown!r}: bad registry host {first!r}")
        # Hosts compare case-insensitively, but a dotless upper-case host lowered would
        # read back as a Docker Hub path: keep that one as written.
        lowered = first.lower()
        registry = lowered if names_registry_host(f"{lowered}/") else first
        path = remainder
    else:
        registry, path = DOCKER_HUB, name
    if not _PATH_RE.fullmatch(path):
        raise RefParseError(
            f"invalid image reference {shown!r}: repository {path!r} must be lowercase "
            "letters and digits separated by '.', '_', '__', '-' or '/'"
        )
    if registry in HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return registry, path


def repository_key(name: str) -> str | None:
    """The normalized identity of a bare name (no tag), or None when it is not a name."""
    try:
        registry, path = split_name(name)
    except RefParseError:
        return None
    return f"{registry}/{path}"

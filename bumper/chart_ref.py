"""Parse and normalize Helm chart references: a chart REF and the chart sources manifests name.

A chart REF is `oci://REGISTRY/PATH/CHART:VERSION` or `https://REPO_URL/CHART:VERSION` (`http://`
too). A chart's identity (`key`) is its normalized source plus its name: the scheme and host
lower-cased, no trailing or doubled slash, so `https://Charts.Acme.io/stable/` and
`https://charts.acme.io/stable` name one repository; Docker Hub's OCI registry is one under
each of its names (`oci://docker.io/bitnamicharts` is `oci://registry-1.docker.io/bitnamicharts`).
An image never shares a key with a chart: chart keys start with their scheme
(`oci://ghcr.io/acme/charts/app` is not `ghcr.io/acme/charts/app`).
"""

from __future__ import annotations

import re

from bumper.errors import RefParseError
from bumper.image_ref import _DOMAIN_RE, _PATH_RE, HUB_ALIASES, ImageRef

CHART_SCHEMES = ("oci://", "https://", "http://")
# Docker Hub's OCI charts as Docker Hub shows them (Bitnami's `oci://registry-1.docker.io/
# bitnamicharts`); Helm pulls the same chart from `oci://docker.io/…` (Envoy Gateway's docs).
HUB_OCI_HOST = "registry-1.docker.io"
# Patterns, compiled (and kept in re's cache) by the first run that reads a chart: every bump
# imports this module for its REFs, and most name only images.
# Helm's chart names are lowercase words; older charts also use upper case, '_' and '.'.
_CHART_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,250}[A-Za-z0-9])?"
# One path segment of an HTTP chart repository URL (no '?', '#', '@', spaces or escapes).
_SEGMENT = r"[A-Za-z0-9._~+-]+"
_VERSION = r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}"
# A version a tool resolves, not one it pins: `^1.2`, `~1.2`, `>=1 <2`, `*`, `1.x`, `1.2.X`, `1 || 2`.
_RANGE = r"[\^~<>=*|, ]|(?:^|\.)[xX](?:$|\.)"
# A version short of its patch (`1`, `1.2`, `v1.2-rc.1`): Helm (Masterminds semver) takes the chart
# of exactly that version if one exists, else reads it as `1.x`, `1.2.x`: a range, never flattened.
_PARTIAL = r"v?[0-9]+(?:\.[0-9]+)?(?:[-+].*)?"
_REF_MAX = 1024
_USERINFO = r"^([A-Za-z]+://)[^/]*@"


class ChartRef(ImageRef):
    """A chart: `registry` is the normalized source (`oci://ghcr.io/acme/charts`,
    `https://charts.acme.io`), `repository` the chart's name, `tag` its version; never a digest."""

    @classmethod
    def at(cls, source: str, chart: str, version: str | None) -> ChartRef:
        """The chart `chart` of the normalized `source` at `version`."""
        return cls(f"{source}/{chart}", source, chart, version, None)

    def at_version(self, version: str | None) -> ChartRef:
        return self._replace(tag=version)

    def needle(self) -> bytes:
        """Every file pinning this chart names it (its `chart:`/`name:` field or the URL's end)."""
        return self.repository.encode()

    def slug(self) -> str:
        """From the source as the REF spells it (`name`): the bot branch of a REF naming Docker
        Hub `oci://docker.io/…` stays the one it was before both names were one registry."""
        return re.sub(r"[^a-z0-9._-]+", "-", self.name.lower()).strip("-.")


def is_chart_ref(text: str) -> bool:
    """Whether `text` is spelled as a chart REF (a URL), not an image REF."""
    return text.lower().startswith(CHART_SCHEMES)


def parse_ref(text: str, *, version: bool = True) -> ImageRef:
    """A REF of the command line: a chart REF when it is a URL, else an image REF. Without
    `version` (`bumper history`), a chart may be named without `:VERSION`."""
    if not is_chart_ref(text):
        return ImageRef.parse(text)
    if not version and ":" not in text.rpartition("/")[2]:
        return parse_chart_ref(f"{text}:0.0.0").at_version(None)
    return parse_chart_ref(text)


def try_parse_ref(text: str) -> ImageRef | None:
    """`parse_ref`, or None when `text` is no REF (used on values a change record holds)."""
    try:
        return parse_ref(text)
    except RefParseError:
        return None


def parse_chart_ref(text: str) -> ChartRef:
    """Parse `oci://REGISTRY/PATH/CHART:VERSION` or `https://REPO_URL/CHART:VERSION`."""
    bare = re.sub(_USERINFO, r"\1", text)  # a user name or password is never repeated
    shown = repr(bare[:80]) + ("..." if len(bare) > 80 else "")
    form = "oci://REGISTRY/PATH/CHART:VERSION or https://REPO_URL/CHART:VERSION"
    if len(text) > _REF_MAX or text != text.strip():
        raise RefParseError(f"invalid chart reference {shown}: surrounded by spaces or too long; give {form}")
    base, slash, last = text.rpartition("/")
    chart, colon, version = last.partition(":")
    if not slash or not colon:
        raise RefParseError(f"invalid chart reference {shown}: no ':VERSION' after the chart; give {form}")
    if "@" in version:
        raise RefParseError(f"invalid chart reference {shown}: a chart REF takes a version, not a digest")
    if version and is_range(version):
        raise RefParseError(
            f"invalid chart reference {shown}: {version!r} is a version range to Helm;"
            " give one version, e.g. 1.2.3"
        )
    if not re.fullmatch(_VERSION, version):
        raise RefParseError(f"invalid chart reference {shown}: bad version {version!r}; give e.g. 1.2.3")
    source = chart_source(base)
    if not isinstance(source, str):
        raise RefParseError(f"invalid chart reference {shown}: {source[1]}; give {form}")
    if not valid_chart_name(chart, source):
        raise RefParseError(f"invalid chart reference {shown}: bad chart name {chart!r}")
    spelled = chart_source(base, one_hub=False)
    assert isinstance(spelled, str)
    return ChartRef(f"{spelled}/{chart}", source, chart, version, None)


def is_version(text: str) -> bool:
    """Whether `text` is one chart version bumper may write over (semver or a plain tag)."""
    return re.fullmatch(_VERSION, text) is not None


def is_range(version: str, *, exact_tag: bool = False) -> bool:
    """Whether a version field holds a range (`^1.2`, `~1.2`, `>=1 <2`, `*`, `1.x`, `1.2`);
    `exact_tag`: the field names one OCI tag as written (an OCIRepository's `ref.tag`), so a
    version short of its patch is that tag."""
    text = version.strip()
    if not text or re.search(_RANGE, text) is not None:
        return True
    return not exact_tag and re.fullmatch(_PARTIAL, text) is not None


def valid_chart_name(chart: str, source: str) -> bool:
    """Whether `chart` can be a chart of `source` (an OCI chart is one repository path component)."""
    if source.startswith("oci://"):
        return _PATH_RE.fullmatch(chart) is not None and "/" not in chart
    return re.fullmatch(_CHART_NAME, chart) is not None


def chart_source(
    url: str, *, oci_without_scheme: bool = False, one_hub: bool = True
) -> str | tuple[None, str]:
    """The normalized chart source of a repository URL, or (None, why) when it is none.

    `oci_without_scheme` reads `ghcr.io/acme/charts` as an OCI registry path (Argo CD's form);
    without `one_hub`, a Docker Hub host keeps its own name (a REF's, as given)."""
    text = url.strip()
    lowered = text.lower()
    scheme = next((s for s in CHART_SCHEMES if lowered.startswith(s)), None)
    if scheme is None:
        if not oci_without_scheme or "://" in text:
            return None, "the repository URL starts with oci://, https:// or http://"
        scheme, rest = "oci://", text
    else:
        rest = text[len(scheme) :]
    host, _, path = rest.rstrip("/").partition("/")
    if "@" in host:
        return None, "user names and passwords do not go in a chart REF (bumper needs none)"
    if not _DOMAIN_RE.fullmatch(host):
        return None, f"bad host {host!r}"
    segments = [s for s in path.split("/") if s] if path else []
    if scheme == "oci://":
        if segments and not _PATH_RE.fullmatch("/".join(segments)):
            return None, f"repository path {path!r} must be lowercase words separated by '.', '_', '-' or '/'"
    elif any(not re.fullmatch(_SEGMENT, s) or s in (".", "..") for s in segments):
        return None, f"bad repository path {path!r} (no query, fragment or escapes)"
    host = host.lower()
    if one_hub and scheme == "oci://" and host in HUB_ALIASES:
        host = HUB_OCI_HOST
    return scheme + "/".join([host, *segments])


def one_hub(pattern: str) -> str:
    """A chart key, or a `.bumper.yaml` `images:` pattern, on Docker Hub's OCI charts with the
    host as chart keys name it: a rule written `oci://docker.io/bitnamicharts/*` covers
    `oci://registry-1.docker.io/…`, and so does a bot branch's `Bumper-Images` trailer written
    before both names were one key."""
    scheme, host_sep, rest = pattern.partition("://")
    host, slash, path = rest.partition("/")
    if host_sep and scheme.lower() == "oci" and host.lower() in HUB_ALIASES:
        return f"oci://{HUB_OCI_HOST}{slash}{path}"
    return pattern


def source_of(url: str, *, oci_without_scheme: bool = False) -> str | None:
    """`chart_source` for a value read from a manifest: the source, or None."""
    found = chart_source(url, oci_without_scheme=oci_without_scheme)
    return found if isinstance(found, str) else None

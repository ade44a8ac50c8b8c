"""What a run searches a tree for before it parses anything: each REF's needle, Flux's marker and
API group, and the names a manifest file may have.

Cheap to import on purpose: a `--dir` run starts grep with these before it loads the modules
that parse YAML, so the search and those imports run at the same time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bumper.shapes import KUSTOMIZATION_NAMES

if TYPE_CHECKING:
    from bumper.image_ref import ImageRef

MARKER_NEEDLE = b"$imagepolicy"  # a Flux image-automation marker comment
API_NEEDLE = b"image.toolkit.fluxcd.io"  # the API group of Flux's ImagePolicy objects
CHART_SOURCE_NEEDLE = b"HelmRepository"  # Flux objects a HelmRelease's chart version resolves through
# A kustomize overlay's patch of a HelmRelease or an Argo CD Application may set its chart
# version without naming the chart: a chart REF also reads the files naming either.
RELEASE_NEEDLE = b"HelmRelease"
HELM_CHART_NEEDLE = b"HelmChart"  # a Flux HelmChart (a HelmRelease's chartRef), or a patch of its version
ARGO_NEEDLE = b"argoproj.io"
OCI_SOURCE_NEEDLE = b"OCIRepository"  # a Flux OCIRepository, or an overlay's patch of its `ref.tag`
# A kustomization applying a patch by `target:` (which may name another object than the patch's
# metadata: bumper.plan.chart_sources): a chart REF reads it too.
PATCH_TARGET_NEEDLE = b"target:"
# A JSON 6902 patch of a chart's object (`path: /spec/chart/spec/version`, an Argo CD
# `/spec/source/targetRevision`, an OCIRepository's `/spec/ref/tag`, or one naming another chart
# or source): it names neither the object nor the chart, its kustomization's `target:` does.
JSON_PATCH_NEEDLES = (b"/spec/chart", b"/spec/source", b"/spec/ref", b"/spec/url", b"/spec/version")
# A kustomization building a folder outside its own (`../platform`, an overlay of an overlay): a
# chart REF reads it to follow what a kind-only patch target reaches (bumper.plan.chart_sources).
UPWARD_NEEDLE = b"../"
CHART_NEEDLES = (
    CHART_SOURCE_NEEDLE,
    RELEASE_NEEDLE,
    HELM_CHART_NEEDLE,
    ARGO_NEEDLE,
    PATCH_TARGET_NEEDLE,
    OCI_SOURCE_NEEDLE,
    *JSON_PATCH_NEEDLES,
    UPWARD_NEEDLE,
)
# What a file holding an overlay's patch of a chart version may say without naming the chart: a
# chart REF plans such files too (bumper.plan.tree).
PATCH_NEEDLES = (RELEASE_NEEDLE, HELM_CHART_NEEDLE, ARGO_NEEDLE, OCI_SOURCE_NEEDLE, *JSON_PATCH_NEEDLES)
# Needles read only to index the tree (what a kustomization builds, a patch applied by its target,
# a JSON 6902 patch's paths): they say nothing of a REF, so a hidden file or chart template
# holding one alone is not listed as left alone for it (bumper.plan.tree).
INDEX_NEEDLES = (UPWARD_NEEDLE, PATCH_TARGET_NEEDLE, *JSON_PATCH_NEEDLES)
PACKAGE_NEEDLE = b"pkg.crossplane.io"  # Crossplane package objects: `spec.package` names an image
# What a file naming an image under any key a shape reads holds, whatever the key: `image:`, keys
# ending in Image (`sidecarImage:`) or _IMAGE (an env var, `WOLF_IMAGE:`), a JSON 6902 `/image`
# path, a `--NAME-image=` flag, a FluxInstance's `artifact: oci://REPO:TAG`, and an Istio
# WasmPlugin's `url:` (which may name its image without `oci://`), KubeVirt's `…_CONTAINER` and
# `…_IMG` variables, `IMAGE_REFERENCE` and the Tekton operator's `IMAGE_PIPELINES_…` ones (both
# `IMAGE_`), a Tekton `taskRef`'s OCI `bundle` (and the bundles resolver's), KubeVirt CDI's
# `registry.url: docker://REF`, an Actions job's `container: REF` (beside its `runs-on`). scan and
# check parse only files holding one of these (or another of their needles); a key a shape reads
# that holds none of them is a file both pass over while a bump rewrites it.
IMAGE_KEY_NEEDLES = (
    b"image",
    b"Image",
    b"_IMAGE",
    b"IMAGE_",
    b"oci://",
    b"WasmPlugin",
    b"_CONTAINER",
    b"_IMG",
    b"bundle",
    b"docker://",
    b"runs-on",
)
# What a file naming an image must contain: anything else is never parsed by scan and check.
# `chart`/`Chart`: Helm chart pins (shapes/chart.py); Crossplane packages (shapes/crossplane.py).
SCAN_NEEDLES = (
    *IMAGE_KEY_NEEDLES,
    b"repository",
    b"tag",
    b"$bumper",
    MARKER_NEEDLE,
    b"chart",
    b"Chart",
    b"targetRevision",  # an Argo CD Application's patch setting its chart version alone
    PACKAGE_NEEDLE,
)
# A file "mentions an image" to check when it has one of these (scan also parses files saying
# `tag`, which would make every broken file mentioning "staging" a problem there).
CHECK_NEEDLES = (*IMAGE_KEY_NEEDLES, b"repository", b"$bumper", MARKER_NEEDLE, PACKAGE_NEEDLE)
MANIFEST_SUFFIXES = (".yaml", ".yml")
# The same choice as glob patterns, for tools that take those (grep --include).
MANIFEST_NAME_GLOBS = (*(f"*{suffix}" for suffix in MANIFEST_SUFFIXES), *sorted(KUSTOMIZATION_NAMES))


# A double-quoted scalar may spell any character of an image's name as an escape (`acme\u002fapp`,
# `\x61`, YAML's `\U0000002f`; JSON's `\/` is each REF's own needle, ImageRef.needles): an image
# REF also reads the files holding an escape of a character of its name (escape_needles), and
# parses those whose text names the REF once such escapes are read (escaped_mention), as `scan`
# lists them.


@functools.cache
def _any_escape() -> re.Pattern[str]:
    r"""`\u`, `\x`, `\U` or `\` and a line break (YAML's escaped line break, `acme/\` at a line's
    end and `app:v1` on the next; the break and the next line's indent are no part of the
    scalar: fold_needles): one pass over a text, not one per escape (a chart's CRDs run to MBs)."""
    return re.compile(r"\\[uxU\r\n]")


def escape_needles(names: Iterable[bytes]) -> tuple[bytes, ...]:
    r"""Each escape that spells a character of `names` (`\x2f`, `\u002F`, `\U0000002f`: either
    case of hex): a file naming one once its escapes are read holds at least one of them. Only
    those characters, not any `\u`: bitnami/charts holds `\x` or `\U` in 6 files, 2 of them chart
    templates, whose every bump would otherwise read them again to know whether to list them."""
    chars = sorted({c for name in names for c in name.decode()})
    forms = (f"\\x{ord(c):02x}" for c in chars if ord(c) < 0x100)
    spelled = [*forms, *(f"\\u{ord(c):04x}" for c in chars), *(f"\\U{ord(c):08x}" for c in chars)]
    cases = (form for text in spelled for form in (text, text[:2] + text[2:].upper()))
    return tuple(dict.fromkeys(form.encode() for form in cases))


def fold_needles(names: Iterable[bytes]) -> tuple[bytes, ...]:
    r"""Each start of `names` followed by `\`: a double-quoted scalar broken inside the name by
    an escaped line break (`acme/\` ending a line) holds one before its first break. grep reads
    lines, so the break itself is not searched (escaped_mention reads it); a start of one
    character only after `/` or `"` (`"a\`, `/a\`): `n\` is any `\n` after an n."""
    listed = tuple(names)
    firsts = (before + name[:1] + b"\\" for name in listed if name for before in (b"/", b'"'))
    cuts = (name[:end] + b"\\" for name in listed for end in range(2, len(name)))
    return tuple(dict.fromkeys((*firsts, *cuts)))


def is_escape_needle(needle: bytes) -> bool:
    """Whether `needle` is one of escape_needles' (no other needle starts with a backslash)."""
    return needle[:2] in (b"\\x", b"\\u", b"\\U")


@functools.cache
def _escape() -> re.Pattern[str]:
    """Compiled by the first file holding an escape (this module is imported before the search)."""
    return re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(/)|(\r?\n[ \t]*))")


def escaped_mention(text: str, wanted: Iterable[str]) -> bool:
    r"""Whether `text` holds one of `wanted` only once its escapes (`\xNN`, `\uNNNN`,
    `\UNNNNNNNN`, `\/`, an escaped line break) are read as the characters they stand for."""
    if _any_escape().search(text) is None:
        return False
    plain = _escape().sub(_unescape, text)
    return any(needle in plain for needle in wanted)


def _unescape(match: re.Match[str]) -> str:
    if match.group(4):
        return "/"
    if match.group(5):
        return ""  # an escaped line break and the indent after it
    code = int(match.group(1) or match.group(2) or match.group(3), 16)
    return chr(code) if code < 0x110000 else match.group(0)


def flux_needles(policies_given: bool) -> tuple[bytes, ...]:
    """What a file must contain to matter to Flux markers: the markers, and (without
    --image-policy) the ImagePolicy objects that resolve them."""
    return (MARKER_NEEDLE,) if policies_given else (MARKER_NEEDLE, API_NEEDLE)


# An Istio-style `hub: REGISTRY/NAMESPACE` beside `tag:` names HUB/COMPONENT without the REF's
# path: a REF in a namespace also reads the files saying `hub:`, to say why it leaves them alone.
HUB_NEEDLE = b"hub:"
# Argo CD's `helm.parameters` name it as a path, `- name: global.hub`: no `hub:` key there.
PARAMETER_HUB_NEEDLE = b".hub"


def says_hub(text: str) -> bool:
    """Whether `text` has a `hub:` key (after an indent, a line break, `{` or `,`), not only
    longer words ending in it: the grep needle also finds `github:`, which a CRD's schema says
    hundreds of times, and a megabyte CRD is no Istio values file (found by str.find: a regex
    scan of such a file costs more than the parse it saves)."""
    at = text.find("hub:")
    while at != -1:
        if at == 0 or text[at - 1] in " \t\r\n{,":
            return True
        at = text.find("hub:", at + 4)
    return _says_parameter_hub(text)


def _says_parameter_hub(text: str) -> bool:
    """Whether `text` names a parameter path ending `.hub` (`- name: global.hub`), not a longer
    word (`docker.hub.io`, `.hubble`)."""
    at = text.find(".hub")
    while at != -1:
        end = at + 4
        if end == len(text) or text[end] in " \t\r\n\"',}]":
            return True
        at = text.find(".hub", end)
    return False


def hub_needles(refs: Iterable[ImageRef]) -> tuple[bytes, ...]:
    """`hub:` (and `.hub`, a parameter's path) when a REF's repository sits in a namespace other
    than Docker Hub's `library/`."""
    spaced = any("/" in r.repository and not r.repository.startswith("library/") for r in refs)
    return (HUB_NEEDLE, PARAMETER_HUB_NEEDLE) if spaced else ()


def needles(refs: Iterable[ImageRef], policies_given: bool) -> tuple[bytes, ...]:
    """Every byte string that makes a file worth parsing for a bump of `refs` (and of the
    --image-policy items when `policies_given`). Flux markers and the ImagePolicy objects that
    resolve them may mention no REF at all."""
    listed = list(refs)
    # A chart REF (its source has a scheme, an image's never does) also reads the tree's
    # HelmRepository objects: a HelmRelease pin resolves through them (bumper.plan.chart_sources).
    chart_refs = any("://" in ref.registry for ref in listed)
    charts = CHART_NEEDLES if chart_refs else ()
    images = [ref for ref in listed if "://" not in ref.registry]
    return (
        tuple(n for ref in listed for n in ref.needles())
        + flux_needles(policies_given)
        + charts
        + hub_needles(images)
        + tuple(n for _, last in split_needles(images) for n in _image_lines(last))
        + escape_needles(ref.needle() for ref in images)
        + fold_needles(n for ref in images for n in ref.needles())
    )


def split_needles(refs: Iterable[ImageRef]) -> tuple[tuple[bytes, bytes], ...]:
    """Each REF's path before its last part and that part: a values map may spell them apart
    (`repository: kubespheredev` + `image: kubefed`, bumper.shapes.helm). grep lists the files
    saying `image: LAST` (`_image_lines`); only those also saying `repository: HEAD` are parsed
    (`says_split`). The words alone would read every megabyte CRD of an operator whose image is
    `prometheus/alertmanager`."""
    return tuple(split for ref in refs if (split := ref.split_needle()) is not None)


def _image_lines(last: bytes) -> tuple[bytes, ...]:
    """`image: LAST`, plain or quoted, as grep needles."""
    return tuple(b"image: " + quote + last + quote for quote in (b"", b'"', b"'"))


def says_split(text: str, splits: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether `text` has a line `image: LAST` and a line `repository: HEAD` (or `…/HEAD`, a host
    before it) for one REF's path spelled apart. Looked for line by line from each place the
    words are (str.find), not by a regex over the file; and once its escapes are read, when it
    holds one (`repository: "kube\\x73pheredev"` is kubespheredev to YAML and to `scan`)."""
    listed = tuple(splits)
    if _says_split(text, listed):
        return True
    escaped = _any_escape().search(text) is not None
    return escaped and _says_split(_escape().sub(_unescape, text), listed)


def _says_split(text: str, splits: tuple[tuple[bytes, bytes], ...]) -> bool:
    for head, last in splits:
        if _says_key(text, last.decode(), "image") and _says_key(text, head.decode(), "repository", True):
            return True
    return False


def _says_key(text: str, word: str, key: str, after_host: bool = False) -> bool:
    """Whether a line holding `word` is `key: word` (in a list item, quoted, before a comment),
    or `key: HOST/word` when `after_host`."""
    at = text.find(word)
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        line = text[start:end].partition(" #")[0].strip()
        said, colon, value = line.removeprefix("- ").partition(":")
        value = value.strip().strip("\"'")
        if colon and said.strip() == key and (value == word or (after_host and value.endswith(f"/{word}"))):
            return True
        at = text.find(word, end)
    return False


# Where a longer name goes on from a repository's (`python3`, `ipython`, `nginx-unprivileged`
# hold `python`, `nginx`): a letter, a digit, `-`, `_` or `.` beside it.
_NAME_CHAR = re.compile(r"[A-Za-z0-9_.-]")
# Besides a REF's name, what makes a file one a bump must read: markers and the Flux objects
# that resolve them, a chart's sources.
_OTHER_NEEDLES = (MARKER_NEEDLE.decode(), API_NEEDLE.decode(), CHART_SOURCE_NEEDLE.decode(), "$bumper")


# What a file pinning a chart says besides the chart's name: a `chart:` key (Argo CD, Flux, k3s,
# helmfile, Fleet, kustomize `helmCharts`), an OCI URL, or a Chart.yaml's `dependencies`.
_CHART_WORDS = ("chart", "Chart", "oci://", "dependencies")
# What an overlay's patch setting a chart version alone says (a HelmRelease's `version`, an
# Argo CD Application's `targetRevision`), naming neither the chart nor its source: a broken one
# may be the version deployed of a chart REF (bumper.shapes.chart), so it is never passed over.
_CHART_PATCH_WORDS = ("HelmRelease", "targetRevision", "OCIRepository")


def names_any(text: str, refs: Iterable[ImageRef]) -> bool:
    """Whether `text` may name one of `refs` (or hold a marker, an ImagePolicy, a chart source):
    False only when every place holding a REF's needle is inside a longer name (`python3` for
    `python`; `app.kubernetes.io` for a chart `app`), or a chart REF's name is in a file that
    says nothing of charts (nor of a HelmRelease or a `targetRevision`, which a version-only patch
    says), so a file that does not parse and says no more is none of this run's."""
    if any(needle in text for needle in _OTHER_NEEDLES):
        return True
    for ref in refs:
        if "://" in ref.registry and any(word in text for word in _CHART_PATCH_WORDS):
            return True
        if "://" in ref.registry and not any(word in text for word in _CHART_WORDS):
            continue  # a chart REF's name (`app`, `web`) is a word of many files that pin no chart
        if any(_names(text, needle.decode()) for needle in ref.needles()):
            return True
        if "://" not in ref.registry and escaped_mention(text, [ref.needle().decode()]):
            return True
    return False


def _names(text: str, needle: str) -> bool:
    """Whether `needle` is in `text` other than inside a longer name."""
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not _NAME_CHAR.match(before) and not _NAME_CHAR.match(after):
            return True
        start = text.find(needle, start + 1)
    return False

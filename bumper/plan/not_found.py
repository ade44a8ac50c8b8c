"""What an exit-3 line says about what was left alone: the values naming the image that bumper
may not rewrite (each `file:line` and why), and the files it did not read."""

from __future__ import annotations

from collections.abc import Sequence

from bumper.changes import Skip, reason_word
from bumper.chart_ref import ChartRef
from bumper.image_ref import ImageRef
from bumper.shapes.hubs import HUB_AND_TAG
from bumper.shapes.left_alone import NO_TAG_FIELD, TAG_ELSEWHERE
from bumper.shapes.version_table import VERSION_TABLE
from bumper.shapes.wasm import CHECKSUM

_SHOWN = 10  # values named in the one error line; the JSON `ignored` lists every one
# Reasons whose text after the word says what to do (shapes/joined_tag.py, shapes/wasm.py,
# shapes/hubs.py, shapes/version_table.py): the first value left alone for each is given in full.
_SAYS_WHAT_TO_DO = (TAG_ELSEWHERE, reason_word(CHECKSUM), HUB_AND_TAG, reason_word(VERSION_TABLE))

# What to do about the first file left alone, when nothing else references the image.
_LEFT_ALONE = {
    "hidden": "; a --path or .bumper.yaml paths: entry naming its hidden folder selects it",
    "helm-template": "; chart templates are never rewritten: bump the chart's values",
    "template": "; a file with template syntax is only YAML once rendered",
}


def left_alone(ignored: list[Skip]) -> str:
    """The text after `no file references REF`: empty when nothing was left alone."""
    values = [s for s in ignored if s.line is not None]
    files = [s for s in ignored if s.line is None]
    text = ""
    if values:
        shown = ", ".join(f"{s.file}:{s.line} ({reason_word(s.reason)})" for s in values[:_SHOWN])
        more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
        text += f" that bumper can rewrite; left alone: {shown}{more}"
        if any(s.reason == NO_TAG_FIELD for s in values):
            text += (
                f"; {NO_TAG_FIELD}: a values map names the image by `repository:` with no tag field "
                "to write (the chart's appVersion applies); add a `tag:` field beside `repository:` "
                "for bumper to pin it"
            )
        says_which_key = [  # the word and which key the chart keeps the tag in
            s.reason for s in values if reason_word(s.reason) == NO_TAG_FIELD and s.reason != NO_TAG_FIELD
        ]
        told = says_which_key[0] if says_which_key else None
        if told is not None:  # an image key whose tag the chart's values.yaml keeps (plan/chart_values.py)
            text += f"; {told}"
        for word in _SAYS_WHAT_TO_DO:
            said = next((s.reason for s in values if reason_word(s.reason) == word), None)
            text += f"; {said}" if said is not None else ""
    if files:
        first = files[0]
        what = _LEFT_ALONE.get(first.reason, "")
        text += f" ({len(files)} file(s) left alone, e.g. {first.file}: {first.reason}{what})"
    return text


def oci_artifact_hint(refs: Sequence[ImageRef], ignored: Sequence[Skip] = ()) -> str:
    """For an `oci://` REF (a chart version) that no chart pin references: an OCI artifact a
    manifest pins as `oci://REPO:TAG` outside a chart pin (a FluxInstance's
    `distribution.artifact`) is an image reference, bumped by the REF `REPO:TAG`. Not when a
    chart pin of it was left alone (a HelmRelease's version range): the REF named the chart
    rightly, and the image REF would find nothing."""
    ref = next((r for r in refs if isinstance(r, ChartRef) and r.registry.startswith("oci://")), None)
    if ref is None or any(s.shape == "chart" and s.line is not None for s in ignored):
        return ""
    image = f"{ref.registry.removeprefix('oci://')}/{ref.repository}:{ref.tag}"
    return (
        f"; {ref} names a Helm chart version: an OCI artifact pinned as oci://REPO:TAG outside a "
        f"chart pin (a FluxInstance's distribution.artifact) is bumped by the REF {image}"
    )

"""The text an exit-3 line adds about what was left alone: values with their file:line and why,
at most ten named, and the first file not read with what to do about it."""

from __future__ import annotations

from bumper.changes import Skip
from bumper.chart_ref import parse_chart_ref
from bumper.plan.not_found import left_alone, oci_artifact_hint


def _value(n: int, reason: str = "template: {{ .Values.tag }}") -> Skip:
    return Skip(f"f{n}.yaml", n, "ghcr.io/acme/app", None, reason)


def test_nothing_left_alone_adds_nothing() -> None:
    assert left_alone([]) == ""


def test_values_are_named_with_their_reason_word_and_the_rest_counted() -> None:
    text = left_alone([_value(n) for n in range(1, 13)])
    assert text.startswith(" that bumper can rewrite; left alone: f1.yaml:1 (template), f2.yaml:2 (template)")
    assert "f10.yaml:10" in text and "f11.yaml" not in text and text.endswith(" and 2 more")


def test_a_file_left_alone_says_what_selects_it() -> None:
    text = left_alone([Skip(".hidden/a.yaml", None, None, None, "hidden")])
    assert text == (
        " (1 file(s) left alone, e.g. .hidden/a.yaml: hidden; a --path or .bumper.yaml paths: entry"
        " naming its hidden folder selects it)"
    )


def test_a_reason_saying_what_to_do_is_given_once_in_full() -> None:
    """`tag-elsewhere` (an image its chart appends a version to) and `checksum` (a Wasm image
    beside its `sha256`): the first of each is spelled out, as the way out is in its text."""
    joined = "tag-elsewhere: the chart joins it with `imageVersion` (line 2): move `imageVersion`"
    text = left_alone([_value(4, joined), _value(6, joined), _value(9, "checksum: drop `sha256`")])
    assert text == (
        " that bumper can rewrite; left alone: f4.yaml:4 (tag-elsewhere), f6.yaml:6 (tag-elsewhere),"
        f" f9.yaml:9 (checksum); {joined}; checksum: drop `sha256`"
    )


def test_an_oci_chart_ref_pinned_by_a_range_gets_no_image_ref_hint() -> None:
    """An `oci://` REF whose chart a HelmRelease pins by a range (left alone `range`) named the
    chart rightly: the hint to bump `REPO:TAG` as an image instead would find nothing."""
    ref = parse_chart_ref("oci://ghcr.io/stefanprodan/charts/podinfo:6.7.0")
    pinned = Skip("apps/podinfo-values.yaml", 8, "chart", "HelmRelease/-/podinfo:>=1.0.0", "range")

    assert oci_artifact_hint([ref], [pinned]) == ""
    assert "is bumped by the REF ghcr.io/stefanprodan/charts/podinfo:6.7.0" in oci_artifact_hint([ref])

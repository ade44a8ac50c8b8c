"""Chart REFs: `oci://REGISTRY/PATH/CHART:VERSION`, `https://REPO_URL/CHART:VERSION`, their keys."""

from __future__ import annotations

import pytest

from bumper.chart_ref import ChartRef, is_range, parse_ref, source_of
from bumper.errors import RefParseError
from bumper.image_ref import ImageRef
from bumper.plan.needles import CHART_SOURCE_NEEDLE, needles


@pytest.mark.parametrize(
    "text,key,version",
    [
        ("oci://ghcr.io/acme/charts/app:1.2.3", "oci://ghcr.io/acme/charts/app", "1.2.3"),
        ("OCI://GHCR.IO/acme/charts/app:1.2.3", "oci://ghcr.io/acme/charts/app", "1.2.3"),
        ("oci://localhost:5000/app:0.1.0", "oci://localhost:5000/app", "0.1.0"),
        ("https://charts.acme.io/app:1.2.3", "https://charts.acme.io/app", "1.2.3"),
        ("https://Charts.Acme.io/stable//app:v2.0.0", "https://charts.acme.io/stable/app", "v2.0.0"),
        ("http://127.0.0.1:8080/charts/app:1.0.0+b7", "http://127.0.0.1:8080/charts/app", "1.0.0+b7"),
        ("https://charts.acme.io/My_Chart:1.2.3-rc.1", "https://charts.acme.io/My_Chart", "1.2.3-rc.1"),
    ],
)
def test_chart_refs_parse_and_normalize(text: str, key: str, version: str) -> None:
    ref = parse_ref(text)
    assert isinstance(ref, ChartRef)
    assert ref.key == key
    assert ref.tag == version
    assert ref.digest is None
    assert str(ref) == f"{key}:{version}"
    assert parse_ref(str(ref)) == ref  # the shown form reads back as itself


@pytest.mark.parametrize(
    "text,message",
    [
        ("https://user:secret@charts.acme.io/app:1.2.3", "user names and passwords"),
        ("https://token@charts.acme.io/app:1.2.3", "user names and passwords"),
        ("https://charts.acme.io/app", "no ':VERSION'"),
        ("oci://ghcr.io/acme/app:", "bad version"),
        ("oci://ghcr.io/acme/app:^1.2", "version range"),
        ("oci://ghcr.io/acme/app:~1.2", "version range"),
        ("oci://ghcr.io/acme/app:1.x", "version range"),
        ("oci://ghcr.io/acme/app:*", "version range"),
        ("https://charts.acme.io/app:>=1 <2", "version range"),
        ("oci://ghcr.io/acme/app:1.2.3@sha256:" + "a" * 64, "not a digest"),
        ("oci://ghcr.io/Acme/app:1.2.3", "lowercase"),
        ("oci://ghcr.io/acme/App:1.2.3", "bad chart name"),
        ("https://charts.acme.io/a?b=c/app:1.2.3", "bad repository path"),
        ("https://charts.acme.io/../app:1.2.3", "bad repository path"),
        ("https://charts.acme.io/app#x:1.2.3", "bad chart name"),
        ("https://bad_host!/app:1.2.3", "bad host"),
        ("https:///app:1.2.3", "bad host"),
        ("ftp://charts.acme.io/app:1.2.3", "invalid image reference"),  # not a chart scheme
        (" oci://ghcr.io/acme/app:1.2.3", "invalid"),
    ],
)
def test_bad_chart_refs_say_why(text: str, message: str) -> None:
    with pytest.raises(RefParseError) as caught:
        parse_ref(text)
    assert message in caught.value.message
    assert "secret" not in caught.value.message and "token@" not in caught.value.message


def test_image_refs_are_unchanged() -> None:
    ref = parse_ref("ghcr.io/acme/charts/app:1.2.3")
    assert type(ref) is ImageRef
    assert ref.key == "ghcr.io/acme/charts/app"
    # The chart of the same path is another key: a bump of one never rewrites the other.
    assert parse_ref("oci://ghcr.io/acme/charts/app:1.2.3").key != ref.key


def test_docker_hub_charts_are_one_registry_under_each_of_its_names() -> None:
    """Helm pulls `oci://docker.io/bitnamicharts/redis` and `oci://registry-1.docker.io/...` alike:
    one key, so a REF spelled either way moves a pin spelled either way. The REF keeps its own
    spelling in what is said of it and in its bot branch's name."""
    keys = {
        parse_ref(f"oci://{host}/bitnamicharts/redis:28.0.11").key
        for host in ("docker.io", "registry-1.docker.io", "Index.Docker.io")
    }
    assert keys == {"oci://registry-1.docker.io/bitnamicharts/redis"}
    ref = parse_ref("oci://docker.io/envoyproxy/gateway-helm:v1.3.1")
    assert str(ref) == "oci://docker.io/envoyproxy/gateway-helm:v1.3.1"
    assert ref.slug() == "oci-docker.io-envoyproxy-gateway-helm"
    assert source_of("oci://docker.io/envoyproxy") == "oci://registry-1.docker.io/envoyproxy"
    assert source_of("https://docker.io/charts") == "https://docker.io/charts"  # not an OCI registry


def test_one_source_spelled_many_ways() -> None:
    assert source_of("https://Charts.Acme.io/stable/") == "https://charts.acme.io/stable"
    assert source_of("oci://ghcr.io/acme/charts/") == "oci://ghcr.io/acme/charts"
    assert source_of("ghcr.io/acme/charts", oci_without_scheme=True) == "oci://ghcr.io/acme/charts"
    assert source_of("ghcr.io/acme/charts") is None  # only Argo CD and helmfile `oci: true` say so
    assert source_of("git@github.com:acme/charts.git", oci_without_scheme=True) is None
    assert source_of("file://../charts") is None


@pytest.mark.parametrize(
    "version,ranged",
    [
        ("^1.2", True),
        ("~1.2.0", True),
        (">=1.0.0 <2.0.0", True),
        ("*", True),
        ("1.x", True),
        ("1.2.X", True),
        ("x", True),
        ("1.0.0 || 2.0.0", True),
        ("", True),
        ("1.2.3", False),
        ("v1.2.3", False),
        ("1.2.3-rc.1", False),
        ("1.2.3+xyz", False),
        ("0.10.0-next", False),
    ],
)
def test_ranges(version: str, ranged: bool) -> None:
    assert is_range(version) is ranged


def test_a_chart_ref_reads_helm_repository_objects_too() -> None:
    chart = parse_ref("https://charts.acme.io/app:1.2.3")
    image = parse_ref("ghcr.io/acme/app:1.2.3")
    assert chart.needle() == b"app"
    assert CHART_SOURCE_NEEDLE in needles([chart], False)
    assert CHART_SOURCE_NEEDLE not in needles([image], False)


def test_history_and_promote_name_a_chart_without_a_version() -> None:
    chart = parse_ref("https://Charts.Acme.io/app", version=False)
    assert isinstance(chart, ChartRef) and chart.tag is None and chart.key == "https://charts.acme.io/app"
    assert parse_ref("oci://ghcr.io/acme/charts/app:1.2.3", version=False).tag == "1.2.3"
    with pytest.raises(RefParseError):
        parse_ref("https://charts.acme.io/app")  # a bump needs the version

"""The OCI artifact a chart REF names, as the registry client asks for it."""

from __future__ import annotations

from bumper.chart_ref import parse_chart_ref
from bumper.image_ref import ImageRef
from bumper.registry.check import oci_artifact
from bumper.registry.names import endpoint


def test_a_docker_hub_chart_is_asked_of_docker_hub_with_its_credentials() -> None:
    """Under either name of Docker Hub's OCI registry, the chart is asked on its API host with
    the credentials `docker login` stored (`oci://docker.io/...` was so before both names were
    one key; `oci://registry-1.docker.io/...` was asked without them)."""
    for host in ("docker.io", "registry-1.docker.io"):
        artifact = oci_artifact(parse_chart_ref(f"oci://{host}/bitnamicharts/redis:28.0.11"))
        assert artifact == ImageRef(
            "docker.io/bitnamicharts/redis", "docker.io", "bitnamicharts/redis", "28.0.11", None
        )
        assert "https://index.docker.io/v1/" in endpoint(artifact.registry, {}).credential_keys


def test_a_chart_of_another_registry_is_its_repository_there() -> None:
    artifact = oci_artifact(parse_chart_ref("oci://ghcr.io/stefanprodan/charts/podinfo:6.7.0"))
    assert artifact == ImageRef(
        "ghcr.io/stefanprodan/charts/podinfo", "ghcr.io", "stefanprodan/charts/podinfo", "6.7.0", None
    )
    assert oci_artifact(parse_chart_ref("https://charts.jetstack.io/cert-manager:v1.16.0")) is None

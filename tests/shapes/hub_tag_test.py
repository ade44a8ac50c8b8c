"""Shape `hub_tag` on inline YAML: Istio's `hub` + `tag` and the bare `image: NAME` its chart
joins with them (HUB/NAME:TAG) are noted, never read as Docker Hub's library/NAME."""

from __future__ import annotations

from testing.shapes import find


def test_a_hub_and_tag_map_and_the_documents_component_names_are_noted() -> None:
    finding = find(
        """\
        global:
          hub: docker.io/istio
          tag: 1.20.0
          proxy:
            image: proxyv2
        pilot:
          image: pilot
          hub: ""
          tag: ""
        ztunnel:
          image: docker.io/istio/ztunnel:1.20.0
        """
    )
    assert finding.found == [(11, "container", "docker.io/istio/ztunnel:1.20.0")]
    assert [(line, shape, value, reason.split(":")[0]) for line, shape, value, reason in finding.left] == [
        (3, "helm", "docker.io/istio/*:1.20.0", "hub-and-tag"),
        (5, "container", "proxyv2", "hub-and-tag"),
        (7, "container", "pilot", "hub-and-tag"),
    ]
    assert "(docker.io/istio/pilot:TAG), not Docker Hub's pilot" in finding.left[2][3]


def test_a_components_own_hub_names_its_image() -> None:
    finding = find(
        "global: {hub: docker.io/istio, tag: '1.20'}\n"
        "pilot: {hub: gcr.io/mirror, tag: '1.19', image: pilot}\n"
    )
    assert finding.found == []
    assert any("(gcr.io/mirror/pilot:TAG)" in reason for _, _, _, reason in finding.left)


def test_without_a_hub_in_the_document_a_bare_image_is_pinned_as_ever() -> None:
    text = """\
        global: {hub: docker.io/istio, tag: 1.20.0}
        ---
        services:
          busy:
            image: busybox
        """
    finding = find(text)
    assert finding.found == [(5, "container", "busybox")]
    assert [n[0] for n in finding.left] == [1]


def test_a_marker_on_the_shared_tag_moves_it_and_leaves_no_note() -> None:
    finding = find(
        'global:\n  hub: docker.io/istio\n  tag: 1.20.0  # {"$bumper": "docker.io/istio/pilot:tag"}\n'
        "  proxy:\n    image: proxyv2\n"
    )
    assert finding.found == [(3, "marker", "docker.io/istio/pilot:1.20.0")]
    assert finding.left == []


def test_a_hub_that_is_a_map_or_has_no_tag_beside_it_is_no_istio_hub() -> None:
    """zero-to-jupyterhub's `hub:` is a component's settings map; `hub` alone names nothing."""
    text = """\
        hub:
          image: {name: quay.io/jupyterhub/k8s-hub, tag: "4.1.0"}
        proxy:
          hub: docker.io/istio
          image: traefik
        """
    assert find(text).found == [(2, "helm", "quay.io/jupyterhub/k8s-hub:4.1.0"), (5, "container", "traefik")]

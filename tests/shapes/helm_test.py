"""Shape `helm` on inline YAML: a values map naming an image beside a tag key; the tag is bumped."""

from __future__ import annotations

import pytest

from testing.shapes import find

SHA = "b" * 64


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("image:\n  repository: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("image:\n  registry: ghcr.io\n  repository: acme/app\n  tag: v1\n", [(4, "ghcr.io/acme/app:v1")]),
        ("image:\n  repository: ghcr.io/acme/app\n  imageTag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("image:\n  repository: ghcr.io/acme/app\n  version: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("app:\n  image: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("app:\n  name: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        # a plain number is the tag as written; an empty tag is a place to write one
        ("image:\n  repository: nginx\n  tag: 1.25\n", [(3, "nginx:1.25")]),
        ("image:\n  repository: nginx\n  tag:\n", [(3, "nginx")]),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1@sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        # democratic-csi runs `registry:tag`: a registry naming a path is the repository
        (
            "image:\n  registry: registry.k8s.io/sig-storage/csi-provisioner\n  tag: v5.3.0\n",
            [(3, "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0")],
        ),
        (
            "image:\n  registry: democraticcsi/democratic-csi\n  tag: v1.9.3\n",
            [(3, "democraticcsi/democratic-csi:v1.9.3")],
        ),
    ],
    ids=[
        "repository",
        "registry",
        "imageTag",
        "version",
        "image-key",
        "name-key",
        "number",
        "empty",
        "digest",
        "digest-in-tag",
        "registry-holds-the-path",
        "registry-holds-a-docker-hub-path",
    ],
)
def test_what_a_values_map_holds(text: str, found: list[tuple[int, str]]) -> None:
    assert find(text).found == [(line, "helm", value) for line, value in found]


def test_a_merge_key_brings_the_repository_and_the_tag_is_written_once() -> None:
    finding = find(
        """\
        base: &base
          repository: ghcr.io/acme/app
          tag: v1
        api:
          <<: *base
        web:
          <<: *base
          pullPolicy: Always
        """
    )
    assert finding.found == [(3, "helm", "ghcr.io/acme/app:v1")]


@pytest.mark.parametrize(
    ("text", "left"),
    [
        # a chart's `name`/`version`, a CI checkout: no image
        ("dependencies:\n  - name: redis\n    version: 1.2.3\n", []),
        ("with:\n  repository: acme/app\n  ref: main\n", []),
        # a registry host alone names no image; `version` beside a registry is no image's tag
        ("global:\n  registry: ghcr.io\n  tag: v1\n", []),
        ("global:\n  registry: registry.k8s.io/\n  tag: v1\n", []),
        ("release:\n  registry: ghcr.io/acme/charts\n  version: 1.2.3\n", []),
        ("image:\n  repository: ghcr.io/acme/app\n  tag: $TAG\n", [(3, "$TAG", "placeholder")]),
        ("image:\n  repository: ghcr.io/acme/app\n", [(2, "ghcr.io/acme/app", "no-tag-field")]),
        (
            "image:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: latest\n",
            [(4, "latest", "not-a-digest")],
        ),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1@sha256:{SHA}\n  digest: sha256:{SHA}\n",
            [(3, f"v1@sha256:{SHA}", "two-digests")],
        ),
    ],
    ids=[
        "chart-dependency",
        "ci-checkout",
        "registry-host-alone",
        "registry-host-slash",
        "registry-beside-version",
        "placeholder",
        "no-tag-field",
        "not-a-digest",
        "two-digests",
    ],
)
def test_what_it_leaves_and_why(text: str, left: list[tuple[int, str, str]]) -> None:
    finding = find(text)
    assert finding.found == []
    assert [(line, value, reason.split(":")[0]) for line, _, value, reason in finding.left] == left

"""What a registry's manifest says: an index's platforms (attestations left out) or a single
manifest's config blob; the digest is of the exact bytes served."""

from __future__ import annotations

import json

import pytest

from bumper.registry.manifests import DOCKER_MANIFEST, OCI_INDEX, config_platform, digest_of, parse_manifest


def test_an_index_lists_its_platforms_without_attestations() -> None:
    body = json.dumps(
        {
            "mediaType": OCI_INDEX,
            "manifests": [
                {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "amd64"}},
                {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
                {"digest": "sha256:c", "platform": {"os": "unknown", "architecture": "unknown"}},
            ],
        }
    ).encode()
    manifest = parse_manifest(body, "application/json", digest_of(body))
    assert manifest.is_index and manifest.platforms == ["linux/amd64", "linux/arm/v7"]
    assert manifest.digest == digest_of(body) and manifest.digest.startswith("sha256:")


def test_a_single_manifest_names_its_config_and_the_served_type_counts() -> None:
    body = json.dumps({"config": {"digest": "sha256:cfg"}, "layers": []}).encode()
    manifest = parse_manifest(body, f"{DOCKER_MANIFEST}; charset=utf-8", "sha256:x")
    assert (manifest.is_index, manifest.media_type, manifest.config_digest) == (
        False,
        DOCKER_MANIFEST,
        "sha256:cfg",
    )
    assert config_platform(b'{"os": "linux", "architecture": "arm64"}') == "linux/arm64"
    assert config_platform(b"not json") == ""


def test_a_body_that_is_no_object_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_manifest(b"[1, 2]", OCI_INDEX, "sha256:x")

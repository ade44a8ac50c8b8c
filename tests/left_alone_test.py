"""Values that name an image but hold nothing bumper may write: placeholders, `tagSuffix`."""

from __future__ import annotations

import pytest

from bumper.shapes.left_alone import is_placeholder, placeholder_whole


@pytest.mark.parametrize(
    "text,placeholder",
    [
        ("CONTAINER_IMAGES_TAG", True),
        ("__TAG__", True),
        ("IMAGE_TAG_2", True),
        ("$TAG", True),
        ("${TAG}", True),
        ("$(APP_TAG)", True),
        ("v${VERSION}", True),
        ("{{ .Values.tag }}", True),
        ("LATEST", True),
        ("v1.2.3", False),
        ("1.2.3", False),
        ("1234", False),  # digits only: a build number
        ("_", False),
        ("latest", False),
        ("12-debian-12-r98", False),
        ("V1.2", False),
        ("main-ABC1234", False),
        ("", False),
    ],
)
def test_is_placeholder(text: str, placeholder: bool) -> None:
    assert is_placeholder(text) is placeholder


@pytest.mark.parametrize(
    "text,key",
    [
        ("ghcr.io/acme/app:$TAG", "ghcr.io/acme/app"),
        ("app:${TAG}", "docker.io/library/app"),
        ("registry.local:5000/app:BUILD_TAG", "registry.local:5000/app"),
        ("ghcr.io/acme/app:${TAG}@sha256:" + "a" * 64, "ghcr.io/acme/app"),
        ("ghcr.io/acme/app:v1.2.3", None),
        ("registry.local:5000/app", None),  # the port is no tag
        ("${REGISTRY}/app:1.2.3", None),  # no repository to name
        ("$IMAGE", None),
    ],
)
def test_placeholder_whole_names_the_repository(text: str, key: str | None) -> None:
    assert placeholder_whole(text) == key

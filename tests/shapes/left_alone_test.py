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
        # words release tooling writes where it fills the version in (zero-to-jupyterhub's chartpress)
        ("set-by-chartpress", True),
        ("0.0.1-set.by.chartpress", True),
        ("replaced-by-ci", True),
        ("overridden_at_deploy", True),
        ("changeme", True),
        ("REPLACE-ME", True),
        ("to-be-replaced", True),
        ("placeholder", True),
        # ... and words that only look alike
        ("stable", False),
        ("edge", False),
        ("offset-by-one", False),
        ("reset-at-noon", False),
        ("sunset-by-2026", False),
        ("todo", False),
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


def notes(text: str, path: str = "values.yaml") -> list[tuple[int, str, str | None]]:
    from bumper.shapes.reference import Ignored
    from bumper.shapes.walk import find_references
    from bumper.yaml_edit import Source, compose_all

    source = Source(path, text)
    found: list[Ignored] = []
    find_references(source, compose_all(source), found)
    return [(n.line, n.reason, n.key) for n in found]


APP = "ghcr.io/acme/app"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("image:\n  repository: ghcr.io/acme/app\n", [(2, "no-tag-field", APP)]),
        ("image:\n  repository: ghcr.io/acme/app\n  pullPolicy: Always\n", [(2, "no-tag-field", APP)]),
        ("sidecarImage:\n  repository: ghcr.io/acme/app\n", [(2, "no-tag-field", APP)]),
        ("x:\n  registry: ghcr.io\n  repository: acme/app\n", [(3, "no-tag-field", APP)]),
        ("x:\n  repository: ghcr.io/acme/app\n  digest: ''\n", [(2, "no-tag-field", APP)]),
        # through a merge key: the anchored map has the repository, neither has a tag
        (
            "base: &b\n  repository: ghcr.io/acme/app\n  pullPolicy: Always\nimage:\n  <<: *b\n",
            [(2, "no-tag-field", APP)],
        ),
        # an anchored repository whose users add the tag: a reference, not a note
        (
            "x-img: &img\n  repository: ghcr.io/acme/app\n  pullPolicy: Always\n"
            "api:\n  image:\n    <<: *img\n    tag: v1\n",
            [],
        ),
        # Argo CD parameters: image.repository and no image.tag
        (
            "spec:\n  source:\n    helm:\n      parameters:\n"
            "        - {name: image.repository, value: ghcr.io/acme/app}\n",
            [(5, "no-tag-field", APP)],
        ),
        # not an image's repository: a chart dependency, a CI job's checkout, a URL
        ("dependencies:\n  - name: redis\n    repository: oci://registry-1.docker.io/bitnamicharts\n", []),
        ("steps:\n  - with:\n      repository: acme/app\n      ref: main\n", []),
        ("image:\n  repository: https://charts.example.com\n", []),
        ("image:\n  repository: 42\n", []),
        # a tag field, even empty: a reference, not a note
        ("image:\n  repository: ghcr.io/acme/app\n  tag: ''\n", []),
        ("image:\n  repository: ghcr.io/acme/app\n  version: v1\n", []),
    ],
)
def test_values_without_a_tag_field(text: str, expected: list[tuple[int, str, str | None]]) -> None:
    assert notes(text) == expected


@pytest.mark.parametrize(
    "entry,expected",
    [
        ("- name: ghcr.io/acme/app\n  tagSuffix: -debug\n", [(2, "tag-suffix", APP)]),
        ("- name: ghcr.io/acme/app\n  newTag: ''\n  tagSuffix: -debug\n", [(3, "tag-suffix", APP)]),
        ("- name: ghcr.io/acme/app\n  newTag: v1\n  tagSuffix: -debug\n", []),  # newTag is bumped
        ("- name: ghcr.io/acme/app\n  newTag: CONTAINER_IMAGES_TAG\n", [(2, "placeholder", APP)]),
        ("- name: ghcr.io/acme/app\n  newTag: ${TAG}\n  digest: $DIGEST\n", [(2, "placeholder", APP)]),
        ("- name: app\n  newName: ghcr.io/acme/app\n  tagSuffix: X\n", [(3, "tag-suffix", APP)]),
        ("- name: ghcr.io/acme/app\n  newName: CONTAINER_IMAGES_REGISTRY/app\n", [(2, "placeholder", APP)]),
        ("- name: ghcr.io/acme/app\n  newTag: set-by-ci\n", [(2, "placeholder", APP)]),
        # a name part may be any word: a todo app named `placeholder` is an image
        ("- name: app\n  newName: ghcr.io/acme/placeholder\n  newTag: v1\n", []),
    ],
)
def test_kustomize_entries_left_alone(entry: str, expected: list[tuple[int, str, str | None]]) -> None:
    body = "".join(f"  {line}\n" for line in entry.splitlines())
    assert notes(f"kind: Kustomization\nimages:\n{body}", "kustomization.yaml") == [
        (line + 2, reason, key) for line, reason, key in expected
    ]

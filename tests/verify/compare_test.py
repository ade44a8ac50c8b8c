"""Rendered objects by identity, and every image field of one: containers, init and ephemeral
containers, image volumes, at any depth (a CronJob's pod template)."""

from __future__ import annotations

from bumper.image_ref import ImageRef
from bumper.verify.compare import carries, image_fields, parse_objects

RENDERED = b"""\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: jobs}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: init, image: busybox:1.36}]
          containers: [{name: app, image: ghcr.io/acme/app:v2}]
          volumes: [{name: data, image: {reference: ghcr.io/acme/data:v1}}]
---
just a string
"""


def test_objects_are_keyed_by_api_kind_namespace_name() -> None:
    assert list(parse_objects(RENDERED)) == [("batch/v1", "CronJob", "jobs", "nightly")]


def test_every_image_field_at_any_depth() -> None:
    [obj] = parse_objects(RENDERED).values()
    found = {(what, value) for _, what, value in image_fields(obj)}
    assert found == {
        ("initContainer init", "busybox:1.36"),
        ("container app", "ghcr.io/acme/app:v2"),
        ("image volume data", "ghcr.io/acme/data:v1"),
    }


def test_carries_compares_repository_tag_and_digest() -> None:
    want = ImageRef.parse("ghcr.io/acme/app:v2")
    assert carries("ghcr.io/acme/app:v2", want)
    assert not carries("ghcr.io/acme/app:v1", want)
    assert not carries(f"ghcr.io/acme/app:v2@sha256:{'a' * 64}", want)  # want names no digest
    assert not carries("not a reference!", want)

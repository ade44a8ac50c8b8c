"""Shape `marker`, Flux's kind, on inline YAML: `# {"$imagepolicy": "NAMESPACE:NAME[:part]"}`;
and Flux's own image-automation objects, which hold no image to run."""

from __future__ import annotations

from textwrap import dedent

from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all
from testing.shapes import find


def test_what_each_marked_scalar_holds() -> None:
    text = """\
        image: ghcr.io/acme/app:v1 # {"$imagepolicy": "flux-system:app"}
        repository: ghcr.io/acme/web # {"$imagepolicy": "flux-system:web:name"}
        tag: v2 # {"$imagepolicy": "flux-system:web:tag"}
        """
    source = Source("values.yaml", dedent(text))
    refs = find_references(source, compose_all(source))
    assert [(r.line, r.shape, type(r), r.target, r.value) for r in refs] == [
        (1, "marker", PolicyRef, "flux-system:app", "ghcr.io/acme/app:v1"),
        (2, "marker", PolicyRef, "flux-system:web:name", "ghcr.io/acme/web"),
        (3, "marker", PolicyRef, "flux-system:web:tag", "v2"),
    ]


def test_a_digest_part_holding_no_digest_is_left_with_its_reason() -> None:
    finding = find('digest: latest # {"$imagepolicy": "flux-system:app:digest"}\n')
    assert finding.found == []
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(1, "not-a-digest")]


def test_flux_image_automation_objects_are_skipped() -> None:
    """An ImageRepository names a repository to watch, not an image to run."""
    text = """\
        apiVersion: image.toolkit.fluxcd.io/v1beta2
        kind: ImageRepository
        spec:
          image: ghcr.io/acme/app:v1
        ---
        apiVersion: apps/v1
        kind: Deployment
        spec:
          image: ghcr.io/acme/app:v1
        """
    assert find(text, "flux.yaml").found == [(9, "container", "ghcr.io/acme/app:v1")]

"""Shape `image-volume` on inline YAML: Kubernetes image volumes, `volumes[].image.reference`."""

from __future__ import annotations

from testing.shapes import find


def test_an_image_volume_reference() -> None:
    finding = find(
        """\
        apiVersion: v1
        kind: Pod
        spec:
          volumes:
            - name: models
              image:
                reference: ghcr.io/acme/models:v3
                pullPolicy: IfNotPresent
        """,
        "pod.yaml",
    )
    assert finding.found == [(7, "image-volume", "ghcr.io/acme/models:v3")]


def test_a_reference_key_elsewhere_is_no_image() -> None:
    """Only a mapping under `image:` is a volume's image source; other `reference:` keys are
    anything (a Git ref, a document link)."""
    assert find("source:\n  reference: ghcr.io/acme/models:v3\n").found == []
    assert find("image:\n  reference: 42\n").found == []


def test_a_values_map_under_image_wins() -> None:
    """`image: {repository, tag}` is a Helm values map even beside a `reference` key."""
    text = "image:\n  repository: ghcr.io/acme/app\n  tag: v1\n  reference: ghcr.io/acme/other:v2\n"
    assert find(text).found == [(3, "helm", "ghcr.io/acme/app:v1")]


def test_a_reference_with_a_broken_digest_is_listed() -> None:
    """A volume's `reference: REPO@sha256:` with a digest cut short (ArthurVardevanyan/
    k8s-gitops-ci's oci-volume testdata: 62 hex) is listed `not-a-digest`, as under `image:`;
    it was passed over in silence. A reference that is no image at all is still not listed."""
    finding = find(
        f"""\
        spec:
          volumes:
            - name: pinned-artifact
              image:
                reference: registry.io/tools@sha256:{"c" * 62}
                pullPolicy: IfNotPresent
            - name: other
              image:
                reference: "not a reference"
        """,
        "task.yaml",
    )
    assert finding.found == []
    assert [(line, shape, reason.split(":")[0]) for line, shape, _, reason in finding.left] == [
        (5, "image-volume", "not-a-digest")
    ]

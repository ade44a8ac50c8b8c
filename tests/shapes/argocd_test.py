"""Shape `argocd` on inline YAML: an Application's `helm.parameters` (reported as `helm`) and
`kustomize.images` strings (reported as `kustomize`)."""

from __future__ import annotations

from textwrap import dedent

from testing.shapes import find

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
spec:
  source:
{body}"""


def application(body: str) -> str:
    return APP.format(body="".join(f"    {line}\n" for line in dedent(body).splitlines()))


def test_helm_parameters_read_as_one_values_map() -> None:
    text = application(
        """\
        helm:
          parameters:
            - name: image.repository
              value: ghcr.io/acme/app
            - name: image.tag
              value: v1
            - name: sidecar.image
              value: ghcr.io/acme/side:2.0
            - name: replicaCount
              value: "3"
        """
    )
    assert find(text, "app.yaml").found == [
        (10, "helm", "ghcr.io/acme/app:v1"),
        (12, "helm", "ghcr.io/acme/side:2.0"),
    ]


def test_a_repository_parameter_without_a_tag_is_left_alone() -> None:
    text = application("helm:\n  parameters:\n    - {name: image.repository, value: ghcr.io/acme/app}\n")
    finding = find(text, "app.yaml")
    assert finding.found == []
    assert [(n[0], n[3]) for n in finding.left] == [(7, "no-tag-field")]


def test_kustomize_image_strings_keep_their_alias() -> None:
    text = application(
        "kustomize:\n  images:\n    - ghcr.io/acme/app:v1\n    - web=ghcr.io/acme/web:2.0\n    - app:$TAG\n"
    )
    finding = find(text, "app.yaml")
    assert finding.found == [
        (7, "kustomize", "ghcr.io/acme/app:v1"),
        (8, "kustomize", "ghcr.io/acme/web:2.0"),
    ]
    assert [(n[0], n[2], n[3]) for n in finding.left] == [(9, "app:$TAG", "placeholder")]


def test_parameters_and_images_outside_helm_and_kustomize_are_not_argo_cds() -> None:
    text = (
        "parameters:\n"
        "  - {name: image.repository, value: ghcr.io/acme/app}\n"
        "  - {name: image.tag, value: v1}\n"
    )
    assert find(text).found == []
    assert find("kustomize:\n  other:\n    - ghcr.io/acme/app:v1\n").found == []

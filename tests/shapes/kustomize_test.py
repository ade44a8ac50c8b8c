"""Shape `kustomize` on inline YAML: `images:` entries of a kustomization or a Flux Kustomization."""

from __future__ import annotations

import pytest

from testing.shapes import find

SHA = "c" * 64
ENTRIES = """\
images:
  - name: ghcr.io/acme/app
    newTag: v1
  - name: nginx
    newName: ghcr.io/acme/nginx
    newTag: "1.25"
  - name: ghcr.io/acme/worker
  - name: redis
    newName: ghcr.io/acme/redis:7@sha256:{sha}
"""


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("kustomization.yaml", ""),
        ("Kustomization", ""),
        ("overlay.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"),
    ],
    ids=["file-name", "bare-name", "component-api"],
)
def test_entries_of_a_kustomization(path: str, header: str) -> None:
    lines = header.count("\n")
    found = find(header + ENTRIES.format(sha=SHA), path).found
    assert found == [
        (3 + lines, "kustomize", "ghcr.io/acme/app:v1"),
        (6 + lines, "kustomize", "ghcr.io/acme/nginx:1.25"),
        (7 + lines, "kustomize", "ghcr.io/acme/worker"),  # no newTag: the name, where one is added
        (9 + lines, "kustomize", f"ghcr.io/acme/redis:7@sha256:{SHA}"),
    ]


def test_a_flux_kustomization_spec() -> None:
    text = """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        spec:
          images:
            - name: ghcr.io/acme/app
              newTag: v1
        """
    assert find(text, "flux.yaml").found == [(6, "kustomize", "ghcr.io/acme/app:v1")]


def test_images_elsewhere_are_walked_as_anything_else() -> None:
    """An `images:` list in another file is no kustomize entry list (its `image:` keys still are)."""
    text = "images:\n  - name: ghcr.io/acme/app\n    newTag: v1\n  - image: nginx:1.25\n"
    assert find(text, "values.yaml").found == [(4, "container", "nginx:1.25")]


@pytest.mark.parametrize(
    ("entry", "left"),
    [
        ("- name: ghcr.io/acme/app\n  tagSuffix: -debug\n", [(2, "-debug", "tag-suffix")]),
        ("- name: ghcr.io/acme/app\n  newTag: ${TAG}\n", [(2, "${TAG}", "placeholder")]),
        ("- name: ghcr.io/acme/app\n  newTag: v1\n  digest: latest\n", [(3, "latest", "not-a-digest")]),
        (
            f"- name: ghcr.io/acme/app\n  newTag: v1@sha256:{SHA}\n  digest: sha256:{SHA}\n",
            [(2, f"v1@sha256:{SHA}", "two-digests")],
        ),
        (
            "- name: app\n  newName: ghcr.io/acme/app:v1\n  newTag: v2\n",
            [(3, "ghcr.io/acme/app:v1", "ambiguous")],
        ),
    ],
    ids=["tag-suffix", "placeholder", "not-a-digest", "two-digests", "ambiguous"],
)
def test_what_it_leaves_and_why(entry: str, left: list[tuple[int, str, str]]) -> None:
    body = "".join(f"  {line}\n" for line in entry.splitlines())
    finding = find(f"images:\n{body}", "kustomization.yaml")
    assert finding.found == []
    assert [(line - 1, value, reason.split(":")[0]) for line, _, value, reason in finding.left] == left

"""Shape `embedded` on inline YAML: a values document inside a `|` block (Argo CD `helm.values`,
k3s `valuesContent`), its references at the outer file's lines with their own shapes."""

from __future__ import annotations

from testing.shapes import find

ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
spec:
  source:
    helm:
      values: {header}
        image:
          repository: ghcr.io/acme/app
          tag: v1
        sidecar:
          image: ghcr.io/acme/side:2.0
"""


def test_argo_cd_helm_values_block() -> None:
    assert find(ARGO.format(header="|"), "app.yaml").found == [
        (9, "helm", "ghcr.io/acme/app:v1"),
        (11, "container", "ghcr.io/acme/side:2.0"),
    ]


def test_k3s_values_content() -> None:
    text = (
        "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nspec:\n  valuesContent: |-\n    image: nginx:1.25\n"
    )
    assert find(text, "chart.yaml").found == [(5, "container", "nginx:1.25")]


def test_a_block_it_cannot_map_back_line_for_line_is_left_with_its_reason() -> None:
    """An indentation digit (`|2`) shifts every line: left alone, and said so."""
    finding = find(ARGO.format(header="|2"), "app.yaml")
    assert finding.found == []
    assert [(n[0], n[1], n[3].split(":")[0]) for n in finding.left] == [(6, "embedded", "embedded-yaml")]


def test_a_folded_block_is_text() -> None:
    """`>` folds its lines into one: no document to walk, nothing to note."""
    assert find(ARGO.format(header=">"), "app.yaml") == ([], [])


def test_an_unparseable_block_is_left_with_its_reason() -> None:
    text = "spec:\n  valuesContent: |\n    image: [nginx:1.25\n"
    finding = find(text)
    assert finding.found == []
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(2, "unparseable")]


def test_values_elsewhere_are_a_string() -> None:
    """Only `helm.values` and `spec.valuesContent` hold YAML; another `values: |` is text."""
    assert find("config:\n  values: |\n    image: nginx:1.25\n").found == []


CHART = """\
apiVersion: v2
name: zookeeper
annotations:
  images: |
    - name: os-shell
      image: docker.io/bitnami/os-shell:12-debian-12-r50
  artifacthub.io/images: |
    - name: zookeeper
      image: docker.io/bitnami/zookeeper:3.9.3
  artifacthub.io/changes: |
    - description: "image: docker.io/bitnami/os-shell:12-debian-12-r40"
"""


def test_a_charts_image_lists_in_its_annotations() -> None:
    """Bitnami's `images` and Artifact Hub's `artifacthub.io/images`: the list of images the chart
    runs, kept beside the values that set them; another annotation is text."""
    assert find(CHART, "charts/zookeeper/Chart.yaml").found == [
        (6, "container", "docker.io/bitnami/os-shell:12-debian-12-r50"),
        (9, "container", "docker.io/bitnami/zookeeper:3.9.3"),
    ]


def test_images_annotations_outside_a_chart_file_are_text() -> None:
    """Only a Chart.yaml's annotations list images; a workload's `metadata.annotations.images`
    is whatever its owner means by it."""
    deployment = "metadata:\n  annotations:\n    images: |\n      - image: nginx:1.25\n"
    assert find(deployment, "deployment.yaml").found == []
    assert find(CHART.replace("annotations:", "labels:"), "Chart.yaml").found == []

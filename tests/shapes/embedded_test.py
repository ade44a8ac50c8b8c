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


def test_a_block_broken_by_a_line_break_yaml_alone_reads_says_so_on_one_line() -> None:
    """A lone CR, NEL, U+2028 or U+2029 inside the block ends a line to YAML, not to the file's
    lines: left alone with that reason (it named an indentation digit the block does not have),
    the note's value its first line only (the break was printed raw inside the note)."""
    for brk in ("\r", "\x85", "\u2028", "\u2029"):
        text = ARGO.format(header="|").replace("\n          tag: v1", f"{brk}          tag: v1")
        finding = find(text, "app.yaml")
        assert finding.found == [], brk
        (note,) = finding.left
        assert note[3].startswith("embedded-yaml: the block's lines cannot be mapped back"), note
        assert note[2] == "image:", repr(note[2])


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


CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
data:
  podspec.yaml: |-
    containers:
      - name: main
        image: ghcr.io/acme/runner:ubuntu-24.04
  trialTemplate: |-
    apiVersion: batch/v1
    kind: Job
    spec:
      template:
        spec:
          containers:
            - image: ghcr.io/acme/trial:v1
  entrypoint.sh: |
    #!/bin/sh
    image: ghcr.io/acme/not-yaml:v1 is started by the script
  notes: |
    The apiVersion and kind of the Job are read by the operator.
    image: ghcr.io/acme/prose:v1
"""


def test_a_yaml_file_in_a_block_and_a_block_holding_an_object_are_read() -> None:
    """`podspec.yaml: |` says it is YAML (app-template's configMaps, ahinko/home-ops's
    forgejo-runner); `trialTemplate: |` holds a Kubernetes object (kubeflow/manifests' Katib
    trial templates). A script and prose beside them stay text, with nothing noted."""
    assert find(CONFIG_MAP, "cm.yaml") == (
        [(7, "container", "ghcr.io/acme/runner:ubuntu-24.04"), (15, "container", "ghcr.io/acme/trial:v1")],
        [],
    )


def test_a_block_of_key_value_lines_without_an_object_is_text() -> None:
    """A block that parses as YAML but holds no `apiVersion`+`kind` root is not guessed to be one."""
    text = "data:\n  settings: |\n    apiVersion: none\n    image: ghcr.io/acme/app:v1\n"
    assert find(text, "cm.yaml") == ([], [])


def test_kubectl_last_applied_configuration_is_a_record() -> None:
    """The annotation holds the object as it was applied (JSON with apiVersion and kind): it runs
    nothing, and a bump of the image must not rewrite the record (argoproj/argo-cd's testdata)."""
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n"
        "    kubectl.kubernetes.io/last-applied-configuration: |\n"
        '      {"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":'
        '{"containers":[{"image":"ghcr.io/acme/app:v1"}]}}}}\n'
        "spec:\n  template:\n    spec:\n      containers:\n        - image: ghcr.io/acme/app:v1\n"
    )
    assert find(text, "deploy.yaml").found == [(11, "container", "ghcr.io/acme/app:v1")]


def test_kustomize_patch_blocks_strategic_and_json_6902() -> None:
    text = """\
        patches:
        - patch: |-
            - op: add
              path: /spec/template/spec/initContainers
              value:
                - name: init
                  image: busybox:1.36
        - patch: |-
            apiVersion: apps/v1
            kind: Deployment
            spec:
              template:
                spec:
                  containers:
                  - image: ghcr.io/acme/app:v1
        """
    assert find(text, "kustomization.yaml").found == [
        (7, "container", "busybox:1.36"),
        (15, "container", "ghcr.io/acme/app:v1"),
    ]


def test_kustomizes_older_patches_json_6902_field() -> None:
    text = """\
        patchesJson6902:
        - target: {kind: Deployment, name: app}
          patch: |-
            - op: replace
              path: /spec/template/spec/containers/0/image
              value: ghcr.io/acme/app:v1
        """
    assert find(text, "kustomization.yaml").found == [(6, "container", "ghcr.io/acme/app:v1")]


def test_kyvernos_patches_json_6902_string() -> None:
    """Kyverno's `mutate.patchesJson6902: |` (and a `foreach` entry's) holds the operations as a
    string: read as a kustomize patch is; a `test` operation sets nothing; one that does not
    parse (a template) is noted, as any named block."""
    text = """\
        rules:
          - mutate:
              patchesJson6902: |-
                - op: replace
                  path: /spec/containers/0/image
                  value: ghcr.io/acme/app:v1
                - op: test
                  path: /spec/containers/1/image
                  value: ghcr.io/acme/app:v0
              foreach:
                - list: request.object.spec.containers
                  patchesJson6902: |-
                    - op: replace
                      path: /spec/containers/{{elementIndex}}/image
                      value: ghcr.io/acme/side:v2
          - mutate:
              patchesJson6902: |-
                {{- if .debug }}
                - op: remove
                {{- end }}
        """
    finding = find(text, "policy.yaml")
    assert finding.found == [
        (6, "container", "ghcr.io/acme/app:v1"),
        (15, "container", "ghcr.io/acme/side:v2"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(17, "template")]


def test_a_patch_elsewhere_is_text() -> None:
    """`patch:` holds YAML under `patches` only; a `patch: |` anywhere else is text."""
    assert find("notes:\n  patch: |\n    - image: busybox:1.36\n").found == []


def test_a_named_yaml_block_that_cannot_be_read_is_noted_never_a_failure() -> None:
    """`config.yaml: |` holding template syntax (reason `template`, as a file's), or a duplicate
    key, is noted with its reason and the block's first line; the file around it is still read
    (an ExternalSecret's template, a ConfigMap an app tolerates)."""
    text = (
        "data:\n"
        "  config.yaml: |\n    {{- if .debug }}\n    image: busybox:1.36\n    {{- end }}\n"
        "  other.yaml: |\n    image: busybox:1.36\n    image: busybox:1.35\n"
        "image: ghcr.io/acme/app:v1\n"
    )
    finding = find(text, "secret.yaml")
    assert finding.found == [(9, "container", "ghcr.io/acme/app:v1")]
    assert [(n[0], n[1], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (2, "embedded", "{{- if .debug }}", "template"),
        (6, "embedded", "image: busybox:1.36", "unparseable"),
    ]


def test_a_one_line_single_quoted_document_is_read_where_its_key_says_yaml() -> None:
    """kustomize's own tests write `patch: '[{"op": "replace", …}]'`: one line, its text its value
    character for character, so it is read as a `|` block is; a quoted string anywhere else
    (a key saying nothing of YAML) stays text."""
    text = """\
        patches:
        - patch: '[{"op": "replace", "path": "/spec/containers/0/image", "value": "ghcr.io/acme/app:v1"}]'
        - patch: '{image: ghcr.io/acme/app:v2}'
        data:
          pod.yaml: 'image: ghcr.io/acme/app:v3'
          notes: 'image: ghcr.io/acme/app:v4'
        """
    assert find(text, "kustomization.yaml") == (
        [
            (2, "container", "ghcr.io/acme/app:v1"),
            (3, "container", "ghcr.io/acme/app:v2"),
            (5, "container", "ghcr.io/acme/app:v3"),
        ],
        [],
    )


def test_a_quoted_document_that_does_not_map_back_one_to_one_is_noted() -> None:
    """Escapes (`\\"`, `\\n`), a doubled `''` or a string folded over lines: its characters are
    not its value's, so nothing in it is edited, and it is said; a one-line quoted string that
    holds no document (`'x: 1'` without a line break or a flow collection) is not noted."""
    text = """\
        patches:
        - patch: "[{\\"op\\": \\"add\\", \\"path\\": \\"/a/image\\", \\"value\\": \\"ghcr.io/a/b:v1\\"}]"
        - patch: '[{"op": "replace", "path": "/a/image", "value": "ghcr.io/acme/app:v1"}, {"x": ''y''}]'
        - patch: '[{"op": "replace", "path": "/a/image",
            "value": "ghcr.io/acme/app:v1"}]'
        - patch: "x: 1"
        """
    finding = find(text, "kustomization.yaml")
    assert finding.found == []
    assert [(n[0], n[1], n[3].split(":")[0]) for n in finding.left] == [
        (2, "embedded", "embedded-yaml"),
        (3, "embedded", "embedded-yaml"),
        (4, "embedded", "embedded-yaml"),
    ]


def test_a_block_under_a_key_naming_a_configuration_is_read_when_it_parses_as_yaml() -> None:
    """Katib's chart values `config.runtimeConfig: |` (kubeflow/manifests), which the chart writes
    into its YAML config: read as YAML under `config`, `…Config`, `…_config`, `…-config`. Another
    language there (INI, TOML, a template that does not parse), a quoted string, an annotation and
    a key naming no configuration stay text with nothing noted; a `|2` block it cannot map back is
    noted when it holds a reference, never passed over in silence."""
    text = """\
        config:
          runtimeConfig: |
            metricsCollectors:
              - kind: StdOut
                image: ghcr.io/kubeflow/katib/file-metrics-collector:v0.19.0
          config: |
            - image: ghcr.io/acme/a:v1
          worker_config: |
            image: ghcr.io/acme/b:v1
          ini-config: |
            [server]
            image = ghcr.io/acme/c:v1
          toml_config: |
            [[runners]]
              image = "ghcr.io/acme/d:v1"
          templatedConfig: |
            image: {{ .Values.image }}
          quotedConfig: "image: ghcr.io/acme/e:v1"
          runtimeNotes: |
            image: ghcr.io/acme/f:v1
          indentedConfig: |2
              image: ghcr.io/acme/g:v1
          emptyConfig: |
            no colon here
        metadata:
          annotations:
            lastConfig: |
              image: ghcr.io/acme/h:v1
        """
    finding = find(text)
    assert finding.found == [
        (5, "container", "ghcr.io/kubeflow/katib/file-metrics-collector:v0.19.0"),
        (7, "container", "ghcr.io/acme/a:v1"),
        (9, "container", "ghcr.io/acme/b:v1"),
    ]
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(21, "embedded-yaml")]

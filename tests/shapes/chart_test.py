"""Shape `chart` on inline YAML: each pin form, and what is left alone (as Renovate's extract.spec)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from bumper.plan.chart_sources import ChartSources
from bumper.shapes.chart import ChartReference, chart_references
from bumper.shapes.reference import Ignored
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all


def pins(text: str, path: str = "app.yaml") -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """(line, value) of each chart pin the finder returns, and (line, value, reason) of each note."""
    source = Source(path, dedent(text))
    notes: list[Ignored] = []
    found: list[ChartReference] = []
    for doc in compose_all(source):
        found += chart_references(source, doc, notes.append)
    return [(r.line, r.value) for r in found], [(n.line, n.value, n.reason) for n in notes]


def test_argo_application_source_and_sources() -> None:
    found, notes = pins(
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        spec:
          source:
            repoURL: https://Charts.Acme.io/
            chart: app
            targetRevision: 1.2.3
          sources:
            - repoURL: ghcr.io/acme/charts
              chart: app
              targetRevision: "1.2.3"
            - repoURL: oci://ghcr.io/acme/charts/web
              targetRevision: 2.0.0
              path: .
            - repoURL: https://github.com/acme/gitops.git
              path: apps/app
              targetRevision: main
            - repoURL: https://charts.acme.io
              chart: app
              targetRevision: ^1.2.0
            - repoURL: https://charts.acme.io
              chart: app
              targetRevision: "{{ .values.version }}"
        """
    )
    assert found == [
        (7, "https://charts.acme.io/app:1.2.3"),
        (11, "oci://ghcr.io/acme/charts/app:1.2.3"),
        (13, "oci://ghcr.io/acme/charts/web:2.0.0"),
    ]
    assert notes == [
        (20, "https://charts.acme.io/app:^1.2.0", "range"),
        (23, "https://charts.acme.io/app:{{ .values.version }}", "placeholder"),
    ]


def test_argo_application_set_template() -> None:
    found, _ = pins(
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        spec:
          template:
            spec:
              source: {repoURL: 'oci://ghcr.io/acme/charts', chart: app, targetRevision: '1.0.0'}
        """
    )
    assert found == [(6, "oci://ghcr.io/acme/charts/app:1.0.0")]


def test_chart_yaml_dependencies() -> None:
    text = """\
        apiVersion: v2
        name: umbrella
        version: 0.1.0
        dependencies:
          - name: app
            repository: https://charts.acme.io
            version: 1.2.3
          - name: app
            alias: app-two
            repository: oci://ghcr.io/acme/charts
            version: 1.2.3
          - name: db
            repository: "@acme"
            version: 1.0.0
          - name: cache
            repository: alias:acme
            version: 1.0.0
          - name: local
            repository: file://../local
            version: 0.1.0
          - name: web
            repository: https://charts.acme.io
            version: ~1.2.0
          - name: x
            repository: https://charts.acme.io
            version: 1.x
        """
    found, notes = pins(text, "charts/umbrella/Chart.yaml")
    assert found == [(7, "https://charts.acme.io/app:1.2.3"), (11, "oci://ghcr.io/acme/charts/app:1.2.3")]
    assert notes == [
        (14, "@acme/db:1.0.0", "repository-alias"),
        (17, "alias:acme/cache:1.0.0", "repository-alias"),
        (23, "https://charts.acme.io/web:~1.2.0", "range"),
        (26, "https://charts.acme.io/x:1.x", "range"),
    ]
    assert pins(text, "values.yaml") == ([], [])  # dependencies only mean charts in Chart.yaml


def test_flux_helm_release_resolves_through_helm_repository() -> None:
    release = """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: app, namespace: apps}
        spec:
          chart:
            spec:
              chart: app
              version: 1.2.3
              sourceRef: {kind: HelmRepository, name: acme, namespace: flux-system}
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: local}
        spec:
          chart:
            spec:
              chart: ./charts/local
              sourceRef: {kind: GitRepository, name: repo}
        """
    found, _ = pins(release)
    assert found == [(8, "HelmRepository/flux-system/acme/app:1.2.3")]  # unresolved until planned
    repositories = dedent(
        """\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata: {name: acme, namespace: flux-system}
        spec: {url: https://charts.acme.io/}
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata: {name: acme, namespace: other}
        spec: {url: https://other.io}
        """
    )
    index = ChartSources.from_sources([Source("repos.yaml", repositories)])
    source = Source("release.yaml", dedent(release))
    resolved = [index.resolve(r) for r in find_references(source, compose_all(source))]
    assert [r.value for r in resolved] == ["https://charts.acme.io/app:1.2.3"]
    assert resolved[0].ref.key == "https://charts.acme.io/app"


@pytest.mark.parametrize(
    "repositories",
    [
        "",  # no HelmRepository in the tree
        # the same name in two namespaces and a release that names none: never guessed
        "metadata: {name: acme, namespace: a}\nspec: {url: https://a.io}\n---\n"
        "metadata: {name: acme, namespace: b}\nspec: {url: https://b.io}\n",
        # an oci:// URL without `type: oci` is refused by Flux
        "metadata: {name: acme}\nspec: {url: oci://ghcr.io/acme/charts}\n",
    ],
)
def test_flux_helm_release_unresolved_is_never_guessed(repositories: str) -> None:
    docs = "\n---\n".join(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n" + doc
        for doc in repositories.split("---\n")
        if doc
    )
    index = ChartSources.from_sources([Source("repos.yaml", docs)])
    release = Source(
        "release.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  chart:\n    spec:\n"
        "      chart: app\n      version: 1.2.3\n      sourceRef: {kind: HelmRepository, name: acme}\n",
    )
    (ref,) = find_references(release, compose_all(release))
    assert index.resolve(ref).ref.key == "HelmRepository/-/acme/app"


def test_flux_oci_helm_repository() -> None:
    index = ChartSources.from_sources(
        [
            Source(
                "r.yaml",
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: acme}\n"
                "spec: {type: oci, url: 'oci://GHCR.io/acme/charts/'}\n",
            )
        ]
    )
    assert index.urls == {("", "acme"): frozenset({"oci://ghcr.io/acme/charts"})}


def test_flux_oci_repository() -> None:
    found, notes = pins(
        """\
        apiVersion: source.toolkit.fluxcd.io/v1beta2
        kind: OCIRepository
        metadata: {name: app}
        spec:
          url: oci://ghcr.io/acme/charts/app
          ref:
            tag: 1.2.3
        ---
        apiVersion: source.toolkit.fluxcd.io/v1beta2
        kind: OCIRepository
        metadata: {name: ranged}
        spec:
          url: oci://ghcr.io/acme/charts/app
          ref:
            semver: ">=1.0.0"
        ---
        apiVersion: source.toolkit.fluxcd.io/v1beta2
        kind: OCIRepository
        metadata: {name: pinned}
        spec:
          url: oci://ghcr.io/acme/charts/app
          ref:
            tag: 1.2.3
            digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
        """
    )
    assert found == [(7, "oci://ghcr.io/acme/charts/app:1.2.3")]
    assert notes == [(15, "oci://ghcr.io/acme/charts/app:>=1.0.0", "range")]


def test_kustomize_helm_charts() -> None:
    text = """\
        helmCharts:
          - name: app
            repo: https://charts.acme.io
            version: 1.2.3
            releaseName: app
          - name: app
            repo: oci://ghcr.io/acme/charts
            version: 1.2.3
          - name: nover
            repo: https://charts.acme.io
          - name: app
            repo: https://charts.acme.io
            version: 1.2.3@sha256:0123
        """
    found, notes = pins(text, "overlays/prod/kustomization.yaml")
    assert found == [(4, "https://charts.acme.io/app:1.2.3"), (8, "oci://ghcr.io/acme/charts/app:1.2.3")]
    assert notes == [(13, "https://charts.acme.io/app:1.2.3@sha256:0123", "not-a-version")]
    assert pins(text, "values.yaml") == ([], [])


def test_helmfile_releases_through_repositories() -> None:
    found, notes = pins(
        """\
        repositories:
          - name: acme
            url: https://charts.acme.io
          - name: acmeoci
            url: ghcr.io/acme/charts
            oci: true
        releases:
          - name: a
            chart: acme/app
            version: 1.2.3
          - name: b
            chart: acmeoci/app
            version: 1.2.3
          - name: c
            chart: oci://ghcr.io/acme/charts/app
            version: 1.2.3
          - name: d
            chart: unknown/app
            version: 1.2.3
          - name: e
            chart: ./charts/local
          - name: f
            chart: acme/app
            version: ">=1.2.3"
        """,
        "helmfile.yaml",
    )
    assert found == [
        (10, "https://charts.acme.io/app:1.2.3"),
        (13, "oci://ghcr.io/acme/charts/app:1.2.3"),
        (16, "oci://ghcr.io/acme/charts/app:1.2.3"),
    ]
    assert notes == [(24, "https://charts.acme.io/app:>=1.2.3", "range")]


def test_images_beside_charts_keep_their_shape() -> None:
    source = Source(
        "app.yaml",
        dedent(
            """\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            spec:
              source:
                repoURL: ghcr.io/acme/charts
                chart: app
                targetRevision: 1.2.3
                helm:
                  values: |
                    image:
                      repository: ghcr.io/acme/charts/app
                      tag: 1.2.3
            """
        ),
    )
    found = find_references(source, compose_all(source))
    assert [(r.shape, r.ref.key) for r in found] == [
        ("chart", "oci://ghcr.io/acme/charts/app"),
        ("helm", "ghcr.io/acme/charts/app"),
    ]


def test_k3s_helm_chart() -> None:
    found, notes = pins(
        """\
        apiVersion: helm.cattle.io/v1
        kind: HelmChart
        metadata: {name: app, namespace: kube-system}
        spec:
          repo: https://charts.acme.io
          chart: app
          version: 1.2.3
          valuesContent: |-
            image:
              repository: ghcr.io/acme/app
              tag: 1.2.3
        ---
        apiVersion: helm.cattle.io/v1
        kind: HelmChart
        metadata: {name: oci}
        spec:
          chart: oci://ghcr.io/acme/charts/app
          version: 1.2.3
        ---
        apiVersion: helm.cattle.io/v1
        kind: HelmChart
        metadata: {name: bundled}
        spec:
          chart: https://%{KUBERNETES_API}%/static/charts/traefik-25.0.0.tgz
        """
    )
    assert found == [(7, "https://charts.acme.io/app:1.2.3"), (18, "oci://ghcr.io/acme/charts/app:1.2.3")]
    assert notes == []


def test_flux_helm_chart_object_and_helm2_requirements() -> None:
    found, _ = pins(
        """\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmChart
        metadata: {name: app, namespace: flux-system}
        spec:
          chart: app
          version: 1.2.3
          sourceRef: {kind: HelmRepository, name: acme}
        """
    )
    assert found == [(6, "HelmRepository/flux-system/acme/app:1.2.3")]
    found, _ = pins(
        "dependencies:\n- name: app\n  repository: https://charts.acme.io\n  version: 1.2.3\n",
        "charts/umbrella/requirements.yaml",
    )
    assert found == [(4, "https://charts.acme.io/app:1.2.3")]


def test_a_version_patch_of_a_release_charted_from_git_stays_unresolved() -> None:
    """A version-only overlay patch whose release takes its chart from a GitRepository names no
    chart source a REF can: `bumper scan` listed it as `another chart or source/:6.5.0`
    (`repository: null`); it now stays the unresolved patch scan does not list."""
    release = Source(
        "base/release.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo}\n"
        "spec:\n  chart:\n    spec:\n      chart: ./charts/podinfo\n      version: 6.5.0\n"
        "      sourceRef: {kind: GitRepository, name: charts}\n",
    )
    patch = Source(
        "prod/patch.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo}\n"
        "spec:\n  chart:\n    spec:\n      version: 6.5.0\n",
    )
    index = ChartSources.from_sources([release, patch])
    (ref,) = find_references(patch, compose_all(patch))
    assert index.resolve(ref).ref.key == "HelmRelease/-/podinfo"

"""What `bumper scan` reports for each shape: the scalar a bump rewrites, and what it ignores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bumper.cli import main

SHA = "cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4"


def _scan(tmp_path: Path, files: dict[str, str], *args: str) -> dict:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", "--dir", str(tmp_path), "--output", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _found(tmp_path: Path, text: str, name: str = "values.yaml") -> list[tuple[int, int, str, str]]:
    images = _scan(tmp_path, {name: text})["images"]
    return [(i["line"], i["column"], i["shape"], i["value"]) for i in images]


# (id, file text, expected (line, column, shape, value) of each reference)
CASES = [
    (
        "helm-tag-with-digest",
        f"image:\n  repository: ghcr.io/acme/app\n  tag: v1.0.0@sha256:{SHA}\n",
        [(3, 8, "helm", f"ghcr.io/acme/app:v1.0.0@sha256:{SHA}")],
    ),
    (
        "helm-empty-tag-points-after-the-colon",
        "image:\n  repository: ghcr.io/acme/app\n  tag:\n",
        [(3, 7, "helm", "ghcr.io/acme/app")],
    ),
    (
        "helm-null-tag",
        "image:\n  repository: ghcr.io/acme/app\n  tag: ~\n",
        [(3, 8, "helm", "ghcr.io/acme/app")],
    ),
    (
        "helm-name-tag",
        "image:\n  name: ghcr.io/acme/app\n  tag: '2.0'\n",
        [(3, 8, "helm", "ghcr.io/acme/app:2.0")],
    ),
    (
        "helm-image-version",
        "image:\n  image: ghcr.io/acme/app\n  version: 2.0.1\n",
        [(3, 12, "helm", "ghcr.io/acme/app:2.0.1")],
    ),
    (
        "helm-image-beside-image-tag",
        "app:\n  image: ghcr.io/acme/app\n  imageTag: v1\n  pullPolicy: Always\n",
        [(3, 13, "helm", "ghcr.io/acme/app:v1")],
    ),
    (
        "keys-ending-in-image",
        "sidecarImage: ghcr.io/acme/side:1.0\ninit_image: busybox:1.36\nbaseImage: none\npullImage: true\n",
        [(1, 15, "container", "ghcr.io/acme/side:1.0"), (2, 13, "container", "busybox:1.36")],
    ),
    (
        "merge-key-repository-at-the-anchor",
        "base: &base\n  registry: ghcr.io\n  repository: acme/app\napi:\n  <<: *base\n  tag: v1\n"
        "worker:\n  <<: *base\n  tag: v2\n",
        [(6, 8, "helm", "ghcr.io/acme/app:v1"), (9, 8, "helm", "ghcr.io/acme/app:v2")],
    ),
    (
        "merge-key-tag-from-the-anchor-reported-once",
        "base: &base\n  repository: ghcr.io/acme/app\n  tag: v1\na:\n  <<: *base\nb:\n  <<: [*base]\n",
        [(3, 8, "helm", "ghcr.io/acme/app:v1")],
    ),
    (
        "container-and-port-names-are-no-images",
        "spec:\n  containers:\n    - name: app\n      image: ghcr.io/acme/app:1\n      ports:\n"
        "        - name: http\n          containerPort: 80\n",
        [(4, 14, "container", "ghcr.io/acme/app:1")],
    ),
    (
        "chart-dependencies-are-no-images",
        "apiVersion: v2\nname: app\nversion: 1.2.3\ndependencies:\n  - name: redis\n    version: 17.3.2\n"
        "    repository: https://charts.bitnami.com/bitnami\n  - name: pg\n    version: 1.0.0\n"
        "    repository: oci://registry-1.docker.io/bitnamicharts\n",
        [],
    ),
    (
        "image-volume",
        "spec:\n  volumes:\n    - name: data\n      image:\n        reference: ghcr.io/acme/data:v1\n"
        "        pullPolicy: IfNotPresent\n",
        [(5, 20, "image-volume", "ghcr.io/acme/data:v1")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_scan_reports(tmp_path: Path, text: str, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(tmp_path, text) == expected


def test_scan_lists_values_that_are_not_digests_or_tags_under_ignored(tmp_path: Path) -> None:
    files = {
        "values.yaml": "a:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: 02641143766\n"
        f"b:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: {SHA}\n"
        "c:\n  image: ghcr.io/acme/app:v1@md5:0123456789abcdef0123456789abcdef\n",
        "kustomization.yaml": f"images:\n  - name: ghcr.io/acme/app\n    newTag: sha256:{SHA}\n",
    }
    report = _scan(tmp_path, files)
    assert report["images"] == []
    ignored = sorted((i["file"], i["line"], i["reason"].split(":")[0]) for i in report["ignored"])
    assert ignored == [
        ("kustomization.yaml", 3, "not-a-tag"),
        ("values.yaml", 4, "not-a-digest"),
        ("values.yaml", 8, "not-a-digest"),
        ("values.yaml", 10, "not-a-digest"),
    ]


def test_verbose_bump_names_each_ignored_value_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(
        "a:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: 02641143766\n"
        "b:\n  repository: ghcr.io/acme/app\n  tag: v1\n"
    )
    result = CliRunner().invoke(main, ["bump", "ghcr.io/acme/app:v2", "--dir", str(tmp_path), "-v"])
    assert result.exit_code == 0, result.output
    assert "bumper: ignored values.yaml:4: 02641143766: not-a-digest:" in result.stderr
    assert (tmp_path / "values.yaml").read_text().count("tag: v2") == 1


ARGO_VALUES = (
    "spec:\n  source:\n    helm:\n      values: |\n        image:\n          repository: ghcr.io/acme/app\n"
    "          tag: v1\n        replicas: 2\n"
)


def test_embedded_values_report_outer_lines_and_columns(tmp_path: Path) -> None:
    assert _found(tmp_path, ARGO_VALUES, "app.yaml") == [(7, 16, "helm", "ghcr.io/acme/app:v1")]


@pytest.mark.parametrize(
    ("after", "text"),
    [("replicas: ", "1"), ("acme/app\n", " ")],  # another inner value (2 -> 12); a re-indented key
)
def test_embedded_edit_is_refused_unless_only_the_intended_value_changed(after: str, text: str) -> None:
    from bumper.errors import ManifestError
    from bumper.image_ref import ImageRef
    from bumper.shapes.walk import find_references
    from bumper.yaml_edit import Edit, Plan, Source, apply_and_verify, compose_all

    source = Source("app.yaml", ARGO_VALUES)
    docs = compose_all(source)
    (ref,) = find_references(source, docs)
    new = ImageRef.parse("ghcr.io/acme/app:v2")
    plan = Plan()
    assert ref.rewrite(plan, source, new) == "ghcr.io/acme/app:v2"
    assert apply_and_verify(source, docs, plan) == ARGO_VALUES.replace("tag: v1", "tag: v2")

    docs = compose_all(source)
    (ref,) = find_references(source, docs)
    plan = Plan()
    ref.rewrite(plan, source, new)
    (inner,) = plan.embedded.values()
    at = inner.source.text.index(after) + len(after)  # type: ignore[attr-defined]
    inner.plan.edits.append(Edit(at, at, text))  # type: ignore[attr-defined]
    with pytest.raises(ManifestError, match="refusing to write|no longer parses"):
        apply_and_verify(source, docs, plan)

"""End to end, as a user runs it: shapes of public repositories first tried in round 10 (README,
"What gets rewritten"): operator images named by environment variables (OLM's `RELATED_IMAGE_…`,
CloudNativePG's `OPERATOR_IMAGE_NAME`), Wasm plugin images, an untagged image whose chart appends
`imageVersion`, a map merging two anchors, and an envsubst template."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testing import forkserver

SHA = "b" * 64


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run([*args, "--dir", str(root)])
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


OPERATOR = {
    "manager.yaml": (
        "spec:\n  template:\n    spec:\n      containers:\n        - name: manager\n"
        "          env:\n            - name: RELATED_IMAGE_LOKI\n"
        "              value: docker.io/grafana/loki:3.7.3\n"
        "            - name: OPERATOR_IMAGE_NAME\n              value: ghcr.io/acme/operator:1.30.0\n"
        "            - name: CONFIG_IMAGE_NAME\n              value: ghcr.io/acme/config\n"
        "          image: ghcr.io/acme/operator:1.30.0\n"
    ),
    # no `image`, `Image`, `_IMAGE` nor `oci://` in it: scan must still read a WasmPlugin
    "plugin.yaml": (
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: auth\n"
        "spec:\n  url: ghcr.io/acme/auth-wasm:1.12.0\n"
    ),
    "eep.yaml": (
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nspec:\n  wasm:\n"
        "    - name: eep\n      code:\n        type: Image\n        image:\n"
        "          url: oci://ghcr.io/acme/eep:0.2.1\n"
    ),
}


def test_scan_lists_operator_env_images_and_wasm_plugins_and_a_bump_moves_them(tmp_path: Path) -> None:
    root = write_tree(tmp_path, OPERATOR)
    scan = run(root, "scan")
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.splitlines() == [
        "eep.yaml:9:16: container: ghcr.io/acme/eep:0.2.1",
        "manager.yaml:8:22: container: docker.io/grafana/loki:3.7.3",
        "manager.yaml:10:22: container: ghcr.io/acme/operator:1.30.0",
        "manager.yaml:13:18: container: ghcr.io/acme/operator:1.30.0",
        "plugin.yaml:6:8: container: ghcr.io/acme/auth-wasm:1.12.0",
    ]
    proc = run(
        root,
        "bump",
        "ghcr.io/acme/operator:1.30.1",
        "docker.io/grafana/loki:3.7.4",
        "ghcr.io/acme/auth-wasm:1.13.0",
        "ghcr.io/acme/eep:0.3.0",
        "--output",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    changed = sorted((c["file"], c["line"]) for c in json.loads(proc.stdout)["changes"])
    assert changed == [
        ("eep.yaml", 9),
        ("manager.yaml", 8),
        ("manager.yaml", 10),
        ("manager.yaml", 13),
        ("plugin.yaml", 6),
    ]
    assert (root / "manager.yaml").read_text() == (
        OPERATOR["manager.yaml"]
        .replace("loki:3.7.3", "loki:3.7.4")
        .replace("operator:1.30.0", "operator:1.30.1")
    )
    assert (root / "plugin.yaml").read_text() == OPERATOR["plugin.yaml"].replace("1.12.0", "1.13.0")
    assert (root / "eep.yaml").read_text() == OPERATOR["eep.yaml"].replace("eep:0.2.1", "eep:0.3.0")


def test_a_wasm_image_beside_its_checksum_is_left_with_the_way_out(tmp_path: Path) -> None:
    text = OPERATOR["plugin.yaml"] + f"  sha256: {SHA}\n"
    root = write_tree(tmp_path, {"plugin.yaml": text})
    proc = run(root, "bump", "ghcr.io/acme/auth-wasm:1.13.0")
    assert proc.returncode == 3, proc.stderr
    assert "left alone: plugin.yaml:6 (checksum); checksum: the `sha256` beside it must match" in proc.stderr
    assert (root / "plugin.yaml").read_text() == text


KUBECOST = (
    "cost-analyzer:\n  imageVersion: prod-1.100.2\n  kubecostFrontend:\n"
    "    image: public.ecr.aws/kubecost/frontend\n  kubecostModel:\n"
    "    image: public.ecr.aws/kubecost/cost-model\n"
)


def test_an_image_whose_chart_appends_image_version_is_left_and_a_marker_moves_the_version(
    tmp_path: Path,
) -> None:
    """Writing a tag into `image:` rendered `frontend:NEW:prod-1.100.2`: exit 3 naming the line,
    the field and the marker; with that marker the shared field moves."""
    root = write_tree(tmp_path, {"values.yaml": KUBECOST})
    proc = run(root, "bump", "public.ecr.aws/kubecost/frontend:prod-1.101.0")
    assert proc.returncode == 3, proc.stderr
    assert (
        "left alone: values.yaml:4 (tag-elsewhere); "
        "tag-elsewhere: the chart joins it with `imageVersion` (line 2)" in proc.stderr
    )
    assert (root / "values.yaml").read_text() == KUBECOST
    scan = run(root, "scan", "--output", "json")
    ignored = [(i["line"], i["reason"].split(":")[0]) for i in json.loads(scan.stdout)["ignored"]]
    assert ignored == [(4, "tag-elsewhere"), (6, "tag-elsewhere")]

    marked = KUBECOST.replace(
        "prod-1.100.2\n", 'prod-1.100.2 # {"$bumper": "public.ecr.aws/kubecost/frontend:tag"}\n'
    )
    (root / "values.yaml").write_text(marked)
    proc = run(root, "bump", "public.ecr.aws/kubecost/frontend:prod-1.101.0")
    assert proc.returncode == 0, proc.stderr
    assert (root / "values.yaml").read_text() == marked.replace("prod-1.100.2", "prod-1.101.0")


MERGES = (
    "mounts: &mounts\n  extraVolumeMounts: [{name: tls, mountPath: /var/tls}]\n"
    "volumes: &volumes\n  extraVolumes: [{name: tls, secret: {secretName: tls}}]\n"
    "gateway:\n  <<: *mounts\n  <<: *volumes\n  image:\n    repository: nginxinc/nginx-unprivileged\n"
    "    tag: 1.29-alpine\n"
)


def test_a_map_merging_two_anchors_is_read_and_one_bringing_a_key_twice_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"values.yaml": MERGES})
    proc = run(root, "bump", "nginxinc/nginx-unprivileged:1.30-alpine")
    assert proc.returncode == 0, proc.stderr
    assert (root / "values.yaml").read_text() == MERGES.replace("1.29-alpine", "1.30-alpine")

    clash = MERGES.replace("extraVolumes:", "extraVolumeMounts:")
    (root / "values.yaml").write_text(clash)
    proc = run(root, "bump", "nginxinc/nginx-unprivileged:1.31-alpine")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines == [
        "bumper: error: values.yaml:7: duplicate key '<<': the maps merged here and at line 6 both bring "
        "'extraVolumeMounts', and tools differ on which wins; merge them in one `<<: [*a, *b]` (the "
        "first wins) or set the key in this map"
    ]
    assert (root / "values.yaml").read_text() == clash


def test_an_envsubst_template_is_left_alone_and_a_broken_file_still_fails(tmp_path: Path) -> None:
    template = "# grafana/loki\nlimits_config:\n  volume_enabled: true\n  ${STORAGE_CONFIG}\nmemberlist: {}\n"
    app = "image: docker.io/grafana/loki:3.7.3\n"
    root = write_tree(tmp_path, {"config/template.yaml": template, "app.yaml": app})
    proc = run(root, "bump", "docker.io/grafana/loki:3.7.4", "-v")
    assert proc.returncode == 0, proc.stderr
    assert "bumper: ignored config/template.yaml:5: template" in proc.stderr
    assert (root / "app.yaml").read_text() == "image: docker.io/grafana/loki:3.7.4\n"

    (root / "config/template.yaml").write_text(
        template.replace("  ${STORAGE_CONFIG}\n", "  x: ${A}\n  bad: [\n")
    )
    proc = run(root, "bump", "docker.io/grafana/loki:3.7.5")
    assert proc.returncode == 1
    assert proc.stderr.startswith("bumper: error: config/template.yaml:")
    assert (root / "app.yaml").read_text() == "image: docker.io/grafana/loki:3.7.4\n"

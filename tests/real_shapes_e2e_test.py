"""End to end, as a user runs it: shapes of real repositories bumper must leave alone or explain
(README, "What gets rewritten"): variant tags, kustomize `tagSuffix`/placeholders, Helm values
without a tag field, and the digest-pin refusal's ways out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver
from testing.world import CANARY, make_world


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def bump(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(["bump", *args, "--dir", str(root)])
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc.stderr
    return lines[0]


# --- variants ------------------------------------------------------------------------------------

VARIANTS = {
    "db.yaml": "services:\n  db:\n    image: postgres:12-alpine\n  old:\n    image: postgres:12\n",
    "maria.yaml": "image: mariadb:10.6.4-focal\n",
}


def test_a_plain_ref_keeps_variant_tags_and_says_why(tmp_path: Path) -> None:
    root = write_tree(tmp_path, VARIANTS)
    proc = bump(root, "postgres:16.4", "mariadb:10.11.9")
    assert proc.returncode == 0, proc.stderr
    assert (root / "db.yaml").read_text() == VARIANTS["db.yaml"].replace("postgres:12\n", "postgres:16.4\n")
    assert (root / "maria.yaml").read_text() == VARIANTS["maria.yaml"]
    assert "bumper: skipped db.yaml:3: postgres:12-alpine: variant (" in proc.stderr
    assert "bumper: skipped maria.yaml:1: mariadb:10.6.4-focal: variant (" in proc.stderr
    assert "skipped 2 variant" in proc.stderr.splitlines()[-1]


def test_a_ref_of_the_same_variant_bumps_and_json_names_the_reason(tmp_path: Path) -> None:
    root = write_tree(tmp_path, VARIANTS)
    proc = bump(root, "postgres:16.4-alpine", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    changes = [(c["file"], c["line"], c["new"]) for c in result["changes"]]
    assert changes == [("db.yaml", 3, "postgres:16.4-alpine")]
    assert [(s["file"], s["line"], s["reason"]) for s in result["skipped"]] == [("db.yaml", 5, "variant")]


def test_a_variant_skip_on_a_pinned_reference_is_no_digest_refusal(tmp_path: Path) -> None:
    pinned = "image: postgres:12-alpine@sha256:" + "a" * 64 + "\n"
    root = write_tree(tmp_path, {"pinned.yaml": pinned, "plain.yaml": "image: postgres:12\n"})
    proc = bump(root, "postgres:16.4")
    assert proc.returncode == 0, proc.stderr
    assert (root / "pinned.yaml").read_text() == pinned
    assert (root / "plain.yaml").read_text() == "image: postgres:16.4\n"


def test_remote_run_with_only_variant_skips_pushes_nothing(tmp_path: Path) -> None:
    tree = {"apps/db.yaml": b"image: postgres:12-alpine\n"}
    with make_world(tmp_path, "github", tree) as world:
        proc = world.run("bump", "postgres:16.4", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "up-to-date"
        assert [s["reason"] for s in result["skipped"]] == ["variant"]
        assert world.pushes() == [] and world.writes() == []


@pytest.mark.parametrize(
    "old,ref,new",
    [
        ("os-shell:12-debian-12-r98", "os-shell:12-debian-12-r99", "os-shell:12-debian-12-r99"),
        ("ghcr.io/acme/app:1.2.3-rc.1", "ghcr.io/acme/app:1.2.3", "ghcr.io/acme/app:1.2.3"),
        ("nginx:1.25-alpine3.19", "nginx:1.27-alpine3.20", "nginx:1.27-alpine3.20"),
        ("nginx:alpine", "nginx:1.27", "nginx:alpine"),
        ("nginx:latest", "nginx:1.27", "nginx:1.27"),
    ],
)
def test_contract_examples(tmp_path: Path, old: str, ref: str, new: str) -> None:
    root = write_tree(tmp_path, {"app.yaml": f"image: {old}\n"})
    proc = bump(root, ref)
    assert proc.returncode == 0, proc.stderr
    assert (root / "app.yaml").read_text() == f"image: {new}\n"


# --- kustomize tagSuffix and placeholders ----------------------------------------------------------

BOUTIQUE = Path(__file__).parent / "golden" / "kustomize-components-placeholders-online-boutique" / "input"
ADSERVICE = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/adservice"


def copy_boutique(tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(BOUTIQUE, tmp_path / "boutique"))


def test_an_older_ref_leaves_the_whole_online_boutique_alone_consistently(tmp_path: Path) -> None:
    """The issue's run: the base was skipped as a downgrade while the components got a newTag
    inserted and their placeholder overwritten. Now every file stays as it was."""
    root = copy_boutique(tmp_path)
    before = snapshot(root)
    proc = bump(root, f"{ADSERVICE}:v0.10.5", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(root) == before
    result = json.loads(proc.stdout)
    assert result["status"] == "up-to-date" and result["changes"] == []
    assert [(s["file"], s["reason"]) for s in result["skipped"]] == [
        ("kustomize/base/adservice.yaml", "downgrade")
    ]
    reasons = {(i["file"], i["line"], i["reason"]) for i in result["ignored"]}
    assert reasons == {
        ("kustomize/components/container-images-registry/kustomization.yaml", 19, "placeholder"),
        ("kustomize/components/container-images-tag-suffix/kustomization.yaml", 19, "tag-suffix"),
        ("kustomize/components/container-images-tag/kustomization.yaml", 19, "placeholder"),
    }


def test_verbose_text_names_each_entry_left_alone(tmp_path: Path) -> None:
    root = copy_boutique(tmp_path)
    proc = bump(root, f"{ADSERVICE}:v0.10.7", "-v")
    assert proc.returncode == 0, proc.stderr
    tag_suffix = "kustomize/components/container-images-tag-suffix/kustomization.yaml:19"
    assert f"bumper: ignored {tag_suffix}: CONTAINER_IMAGES_TAG_SUFFIX: tag-suffix" in proc.stderr
    placeholder = "kustomize/components/container-images-tag/kustomization.yaml:19"
    assert f"bumper: ignored {placeholder}: CONTAINER_IMAGES_TAG: placeholder" in proc.stderr
    # another image's entries are not this run's news
    assert not [line for line in proc.stderr.splitlines() if "ignored" in line and "cartservice" in line]


def test_only_placeholders_is_exit_3_naming_them(tmp_path: Path) -> None:
    files = {
        "kustomization.yaml": "images:\n  - name: ghcr.io/acme/app\n    newTag: CONTAINER_IMAGES_TAG\n",
        "values.yaml": "image:\n  repository: ghcr.io/acme/app\n  tag: ${TAG}\n",
        "suffix/kustomization.yaml": "images:\n  - name: ghcr.io/acme/app\n    tagSuffix: -debug\n",
    }
    root = write_tree(tmp_path, files)
    before = snapshot(root)
    proc = bump(root, "ghcr.io/acme/app:v1.2.3")
    assert proc.returncode == 3
    line = error_line(proc)
    for where in ("kustomization.yaml:3 (placeholder)", "values.yaml:3 (placeholder)"):
        assert where in line, line
    assert "suffix/kustomization.yaml:3 (tag-suffix)" in line, line
    assert snapshot(root) == before


# --- Helm values without a tag field ---------------------------------------------------------------

UNTAGGED = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  values:
    image:
      repository: ghcr.io/acme/app
    sidecar:
      image:
        registry: ghcr.io
        repository: acme/app
"""


def test_only_untagged_values_is_exit_3_naming_each_and_what_to_do(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"apps/app/release.yaml": UNTAGGED})
    proc = bump(root, "ghcr.io/acme/app:v1.2.3")
    assert proc.returncode == 3, proc.stderr
    line = error_line(proc)
    assert "apps/app/release.yaml:8 (no-tag-field), apps/app/release.yaml:12 (no-tag-field)" in line
    assert "no tag field to write" in line and "add a `tag:` field beside `repository:`" in line
    assert (root / "apps/app/release.yaml").read_text() == UNTAGGED


def test_untagged_values_in_json_and_through_a_remote_run(tmp_path: Path) -> None:
    with make_world(tmp_path, "gitlab", {"apps/app/release.yaml": UNTAGGED.encode()}) as world:
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--output", "json")
        assert proc.returncode == 3, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "not-found"
        assert [(i["file"], i["line"], i["reason"]) for i in result["ignored"]] == [
            ("apps/app/release.yaml", 8, "no-tag-field"),
            ("apps/app/release.yaml", 12, "no-tag-field"),
        ]
        assert "no tag field to write" in result["error"]["message"]
        assert world.pushes() == [] and world.writes() == []


def test_a_tag_field_beside_makes_it_a_reference_again(tmp_path: Path) -> None:
    text = UNTAGGED.replace(
        "repository: ghcr.io/acme/app\n", "repository: ghcr.io/acme/app\n      tag: v1.0.0\n"
    )
    root = write_tree(tmp_path, {"release.yaml": text})
    proc = bump(root, "ghcr.io/acme/app:v1.2.3", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [c["line"] for c in result["changes"]] == [9]
    assert [(i["line"], i["reason"]) for i in result["ignored"]] == [(13, "no-tag-field")]


# --- the digest-pin refusal and its ways out -------------------------------------------------------

PINNED = "image: ghcr.io/acme/app:v0.9.0@sha256:" + "0" * 64 + "\n"
PIN_TREE = {"apps/app.yaml": "image: ghcr.io/acme/app:v1.0.0\n", "archive/2023 [old]/app.yaml": PINNED}


def test_the_refusal_names_file_line_and_each_way_out_that_works(tmp_path: Path) -> None:
    import re
    import shlex

    root = write_tree(tmp_path, PIN_TREE)
    before = snapshot(root)
    proc = bump(root, "ghcr.io/acme/app:v1.2.3")
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith("bumper: error: archive/2023 [old]/app.yaml:1: ghcr.io/acme/app:v0.9.0@sha256:")
    for way in ("(ghcr.io/acme/app:v1.2.3@sha256:<digest>)", "--registry resolve", "'# bumper: hold'"):
        assert way in line, line
    assert snapshot(root) == before
    # the --path exclusion it names, as a shell reads it, selects everything but that folder
    match = re.search(r"--path '\*\*' --path ('[^']*')", line)
    assert match is not None, line
    proc = bump(root, "ghcr.io/acme/app:v1.2.3", "--path", "**", "--path", *shlex.split(match.group(1)))
    assert proc.returncode == 0, proc.stderr
    assert (root / "apps/app.yaml").read_text() == "image: ghcr.io/acme/app:v1.2.3\n"
    assert (root / "archive/2023 [old]/app.yaml").read_text() == PINNED


def test_a_hold_or_a_ref_with_a_digest_is_a_way_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "hold", PIN_TREE)
    held = PINNED.replace("\n", "  # bumper: hold\n")
    (root / "archive/2023 [old]/app.yaml").write_text(held)
    proc = bump(root, "ghcr.io/acme/app:v1.2.3")
    assert proc.returncode == 0, proc.stderr
    assert (root / "archive/2023 [old]/app.yaml").read_text() == held
    root = write_tree(tmp_path / "digest", PIN_TREE)
    digest = "sha256:" + "1" * 64
    proc = bump(root, f"ghcr.io/acme/app:v1.2.3@{digest}")
    assert proc.returncode == 0, proc.stderr
    assert (root / "archive/2023 [old]/app.yaml").read_text() == f"image: ghcr.io/acme/app:v1.2.3@{digest}\n"


def test_the_refusal_through_a_remote_run_pushes_nothing(tmp_path: Path) -> None:
    tree = {"apps/app.yaml": b"image: ghcr.io/acme/app:v1.0.0\n", "archive/app.yaml": PINNED.encode()}
    with make_world(tmp_path, "github", tree) as world:
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--output", "json")
        assert proc.returncode == 2, proc.stderr
        result = json.loads(proc.stdout)
        assert (result["error"]["file"], result["error"]["line"]) == ("archive/app.yaml", 1)
        assert "--path '**' --path '!archive/**'" in result["error"]["message"]
        assert world.pushes() == [] and world.writes() == []


def test_scan_counts_values_left_alone_apart_from_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"release.yaml": UNTAGGED, "charts/c/Chart.yaml": "name: c\n"})
    (root / "charts/c/templates").mkdir(parents=True)
    (root / "charts/c/templates/d.yaml").write_text("image: {{ .Values.image }}\n")
    proc = forkserver.run(["scan", "--dir", str(root)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "bumper: 0 reference(s) in 0 file(s); 1 file(s) and 2 value(s) left alone (-v lists them)"
    )
    proc = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    reasons = [(i["file"], i["line"], i["reason"]) for i in json.loads(proc.stdout)["ignored"]]
    assert ("release.yaml", 8, "no-tag-field") in reasons and ("release.yaml", 12, "no-tag-field") in reasons


def test_flux_image_policy_markers_keep_their_variant_too(tmp_path: Path) -> None:
    files = {
        "release.yaml": (
            "image:\n"
            '  repository: postgres # {"$imagepolicy": "flux-system:pg:name"}\n'
            '  tag: 12-alpine # {"$imagepolicy": "flux-system:pg:tag"}\n'
            'sidecar: postgres:12-alpine # {"$imagepolicy": "flux-system:pg"}\n'
        )
    }
    root = write_tree(tmp_path, files)
    proc = forkserver.run(
        ["bump", "--dir", str(root), "--image-policy", "flux-system:pg=postgres:16.4", "--output", "json"]
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    skipped = [(s["line"], s["reason"]) for s in result["skipped"]]
    assert skipped == [(2, "up-to-date"), (3, "variant"), (4, "variant")]  # the name is the same
    assert (root / "release.yaml").read_text() == files["release.yaml"]
    proc = forkserver.run(
        ["bump", "--dir", str(root), "--image-policy", "flux-system:pg=postgres:16.4-alpine"]
    )
    assert proc.returncode == 0, proc.stderr
    assert (root / "release.yaml").read_text() == files["release.yaml"].replace("12-alpine", "16.4-alpine")


# --- keys ending in Image that hold no image ----------------------------------------------------

# external-secrets/external-secrets hack/api-docs/mkdocs.yml (commit
# cc5bfbc2234ace9cb0caff4ea89c435cf517b27b): a nav title ending in "Image" beside a page path.
MKDOCS_NAV = """\
nav:
  - Guides:
      - Operations:
          - Upgrading to v1beta1: guides/v1beta1.md
          - Using Latest Image: guides/using-latest-image.md
          - Disable Cluster Features: guides/disable-cluster-features.md
"""


def test_a_page_path_under_a_key_ending_in_image_is_no_image(tmp_path: Path) -> None:
    """`bumper scan` listed the page `guides/using-latest-image.md` as an image (and a bump of
    `docker.io/guides/using-latest-image.md:1` rewrote the nav); a path without a tag, digest or
    registry host under a key other than `image` is no reference."""
    root = write_tree(
        tmp_path, {"hack/api-docs/mkdocs.yml": MKDOCS_NAV, "app.yaml": "logoImage: img/logo.png\n"}
    )
    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    assert json.loads(scan.stdout)["images"] == [], scan.stdout
    before = snapshot(root)
    proc = bump(root, "guides/using-latest-image.md:1.0")
    assert proc.returncode == 3, proc.stderr
    assert snapshot(root) == before


def test_scan_lists_a_crossplane_providers_package(tmp_path: Path) -> None:
    """A file naming no image, repository or tag but a Crossplane Provider was never parsed by
    `scan`; its `spec.package` is listed (xunholy/k8s-gitops providers/provider.yaml)."""
    provider = (
        "apiVersion: pkg.crossplane.io/v1\nkind: Provider\n"
        "spec:\n  package: xpkg.upbound.io/upbound/provider-gcp-gke:v1.1.0\n"
    )
    root = write_tree(tmp_path, {"provider.yaml": provider})
    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    [found] = json.loads(scan.stdout)["images"]
    assert (found["file"], found["line"], found["shape"], found["registry"], found["tag"]) == (
        "provider.yaml",
        4,
        "container",
        "xpkg.upbound.io",
        "v1.1.0",
    )


# --- a file that is not YAML -------------------------------------------------------------------

# external-secrets/external-secrets docs/snippets/1password-connect-server-deployment.yaml (commit
# cc5bfbc2234ace9cb0caff4ea89c435cf517b27b): a documentation snippet eliding lines with `...`.
SNIPPET = """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: onepassword-connect-staging
spec:
  template:
    spec:
      containers:
      - name: connect-api
        image: 1password/connect-api:1.5.0
        env:
        - name: OP_SESSION
        ...
      - name: connect-sync
        image: 1password/connect-sync:1.5.0
"""


def test_an_unparseable_file_error_says_what_to_do_and_that_works(tmp_path: Path) -> None:
    """The error named file:line and the parser's complaint, and no way out."""
    root = write_tree(
        tmp_path,
        {"docs/snippets/connect.yaml": SNIPPET, "apps/connect.yaml": SNIPPET.replace("        ...\n", "")},
    )
    before = snapshot(root)
    line = error_line(bump(root, "1password/connect-api:1.6.0"))
    assert line == (
        "bumper: error: docs/snippets/connect.yaml:15: cannot parse YAML: could not find expected ':'; "
        "fix its YAML, or leave the file out with '!/docs/snippets/connect.yaml' "
        "(after --path '**' for bump, after the other --to for promote)"
    )
    assert snapshot(root) == before
    proc = bump(root, "1password/connect-api:1.6.0", "--path", "**", "--path", "!/docs/snippets/connect.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "1password/connect-api:1.6.0" in (root / "apps/connect.yaml").read_text()


# --- keys ending in Image ------------------------------------------------------------------------
CAMEL_KEYS = {
    "sidecar.yaml": "sidecarImage: ghcr.io/acme/app:v1.0.0\n",
    "prometheus.yaml": "spec:\n  baseImage: quay.io/prometheus/prometheus\n  version: v2.11.0\n",
    "broken.yaml": "initImage: ghcr.io/acme/app:v1.0.0\n  bad: [\n",
}


def test_scan_and_check_read_files_whose_only_image_key_ends_in_Image(tmp_path: Path) -> None:  # noqa: N802
    """A file naming its image only under `sidecarImage:` or `baseImage:` (no `image`, `tag` or
    `repository` in it) was never parsed by scan and check: scan listed nothing a bump then
    rewrote, and check passed a file the bump fails on."""
    root = write_tree(tmp_path, CAMEL_KEYS)
    scan = forkserver.run(["scan", "--dir", str(root)])
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.splitlines() == [
        "prometheus.yaml:3:12: helm: quay.io/prometheus/prometheus:v2.11.0",
        "sidecar.yaml:1:15: container: ghcr.io/acme/app:v1.0.0",
    ]
    check = forkserver.run(["check", "--dir", str(root)])
    assert check.returncode == 1, check.stderr
    assert "broken.yaml:2: mentions an image but does not parse" in check.stdout + check.stderr


# --- keys that name an image without saying `image` ----------------------------------------------
UPPER_AND_OCI_KEYS = {
    "env.yaml": "env:\n  WOLF_IMAGE: ghcr.io/acme/app:v1.0.0\n",
    "driver.yaml": "- {name: V2_DRIVER_IMAGE, value: ghcr.io/acme/app:v1.0.0}\n",
    "flux.yaml": "kind: FluxInstance\nspec:\n  distribution:\n    artifact: oci://ghcr.io/acme/app:v1.0.0\n",
    "broken.yaml": "RUNNER_IMAGE: ghcr.io/acme/app:v1.0.0\n  bad: [\n",
}


def test_scan_and_check_read_files_naming_an_image_by_IMAGE_or_oci(tmp_path: Path) -> None:  # noqa: N802
    """An env var ending in _IMAGE and a FluxInstance's `artifact: oci://…` are shapes a bump
    rewrites, but a file naming its image only so (no `image`, `Image`, `tag` or `repository`
    in it) was never parsed by scan and check: scan listed nothing, check passed the broken one."""
    root = write_tree(tmp_path, UPPER_AND_OCI_KEYS)
    scan = forkserver.run(["scan", "--dir", str(root)])
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.splitlines() == [
        "driver.yaml:1:34: container: ghcr.io/acme/app:v1.0.0",
        "env.yaml:2:15: container: ghcr.io/acme/app:v1.0.0",
        "flux.yaml:4:15: container: ghcr.io/acme/app:v1.0.0",
    ]
    check = forkserver.run(["check", "--dir", str(root)])
    assert check.returncode == 1, check.stderr
    assert "broken.yaml:2: mentions an image but does not parse" in check.stdout + check.stderr
    (root / "broken.yaml").unlink()
    proc = bump(root, "ghcr.io/acme/app:v1.2.3")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3  # what scan listed is what a bump rewrites


def test_every_key_suffix_a_shape_reads_is_a_needle_of_scan_and_check() -> None:
    """The class of the two tests above: a shape reading keys by their ending (or their start:
    the Tekton operator's `IMAGE_ADDONS_…` in a ConfigMap's `data`) must have scan and check
    parse the files holding such a key."""
    from bumper.plan.needles import CHECK_NEEDLES, SCAN_NEEDLES
    from bumper.shapes.table import DISPATCH

    for needles in (SCAN_NEEDLES, CHECK_NEEDLES):
        read = (*DISPATCH.any_suffix, *DISPATCH.any_prefix)
        missed = [s for s in read if not any(n.decode() in s for n in needles)]
        assert missed == []

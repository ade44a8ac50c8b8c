"""End to end: values that resemble an image reference are read the same by `scan`, `check` and
`bump` (`--dir`, and `--repo` with and without `--path`, which clones sparsely and greps):
a split pair spelled but for case, a chartpress placeholder tag, a duration under `image`,
Istio's `hub` + `tag`, and `RELATED_IMAGE_*` as a map key (docs/reference.md, "Values that look
like references")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver
from testing.runs import run_bump
from testing.world import make_world

TREE = {
    # a chart mixing the spellings: `{{ .Values.web.image }}:{{ .Values.web.ImageTag }}`
    "apps/web/values.yaml": b'web:\n  image: ghcr.io/acme/web\n  ImageTag: "1.2.0"\n',
    # zero-to-jupyterhub's chart as kept in git: chartpress fills the tag in when it publishes
    "charts/jupyterhub/values.yaml": (
        b'hub:\n  image:\n    name: quay.io/jupyterhub/k8s-hub\n    tag: "set-by-chartpress"\n'
        b"proxy:\n  chp:\n    image:\n      name: quay.io/jupyterhub/configurable-http-proxy\n"
        b'      tag: "5.3.0"\n'
    ),
    # Double Take's configuration: how long an image's access token lives
    "apps/double-take/config.yml": b"auth: true\ntoken:\n  image: 24h\n",
    # an istiod release's values: every component runs docker.io/istio/COMPONENT:1.20.0
    "clusters/prod/istiod-values.yaml": (
        b"global:\n  hub: docker.io/istio\n  tag: 1.20.0\n  proxy:\n    image: proxyv2\n"
    ),
    # the Ondat operator's images, read by `envFrom` from a ConfigMap
    "apps/ondat/related-images.yaml": (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storageos-related-images\ndata:\n"
        b"  RELATED_IMAGE_API_MANAGER: storageos/api-manager:v1.1.2\n"
        b"  RELATED_IMAGE_STORAGEOS_NODE: storageos/node:v2.4.0\n"
    ),
}


def _write(root: Path) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _scan(root: Path) -> dict[str, Any]:
    proc = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_scan_lists_what_bump_moves_and_what_it_leaves_alone(tmp_path: Path) -> None:
    scan = _scan(_write(tmp_path / "tree"))
    images = {(i["file"], i["line"], i["shape"], i["value"]) for i in scan["images"]}
    assert images == {
        ("apps/web/values.yaml", 3, "helm", "ghcr.io/acme/web:1.2.0"),
        ("charts/jupyterhub/values.yaml", 9, "helm", "quay.io/jupyterhub/configurable-http-proxy:5.3.0"),
        ("apps/ondat/related-images.yaml", 6, "container", "storageos/api-manager:v1.1.2"),
        ("apps/ondat/related-images.yaml", 7, "container", "storageos/node:v2.4.0"),
    }
    ignored = {(i["file"], i["line"], i["reason"].split(":")[0]) for i in scan["ignored"]}
    assert ignored == {
        ("charts/jupyterhub/values.yaml", 4, "placeholder"),
        ("clusters/prod/istiod-values.yaml", 3, "hub-and-tag"),
        ("clusters/prod/istiod-values.yaml", 5, "hub-and-tag"),
    }


def test_check_finds_no_problem_in_any_of_them(tmp_path: Path) -> None:
    proc = forkserver.run(["check", "--dir", str(_write(tmp_path / "tree")), "--output", "json"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["problems"] == []


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        ("quay.io/jupyterhub/k8s-hub:4.3.0", "charts/jupyterhub/values.yaml:4 (placeholder)"),
        ("24h:1.0", "no file references 24h:1.0\n"),
        ("docker.io/istio/pilot:1.21.0", "clusters/prod/istiod-values.yaml:3 (hub-and-tag)"),
        ("docker.io/istio/proxyv2:1.21.0", "clusters/prod/istiod-values.yaml:5 (hub-and-tag)"),
        ("proxyv2:1.21.0", "no file references proxyv2:1.21.0\n"),
    ],
)
def test_a_bump_of_what_is_left_alone_exits_3_and_writes_nothing(tmp_path: Path, ref: str, said: str) -> None:
    root = _write(tmp_path / "tree")
    proc = forkserver.run(["bump", ref, "--dir", str(root)])
    assert proc.returncode == 3, proc.stderr
    assert said in proc.stderr
    for rel, data in TREE.items():
        assert (root / rel).read_bytes() == data, rel


@pytest.mark.parametrize("paths", [(), ("--path", "apps/**", "--path", "clusters/**")])
def test_a_repo_run_moves_the_tag_key_and_the_related_image_and_names_the_hub(
    tmp_path: Path, paths: tuple[str, ...]
) -> None:
    refs = ("ghcr.io/acme/web:1.3.0", "storageos/node:v2.4.1", "docker.io/istio/pilot:1.21.0")
    with make_world(tmp_path, "github", TREE) as world:
        proc = run_bump(world, *refs, *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        branch = result["branch"]
        assert world.read(branch, "apps/web/values.yaml") == TREE["apps/web/values.yaml"].replace(
            b'"1.2.0"', b'"1.3.0"'
        )
        ondat = "apps/ondat/related-images.yaml"
        assert world.read(branch, ondat) == TREE[ondat].replace(b"node:v2.4.0", b"node:v2.4.1")
        istio = "clusters/prod/istiod-values.yaml"
        assert world.read(branch, istio) == TREE[istio]
    assert result["not_found"] == ["docker.io/istio/pilot:1.21.0"]
    assert [(i["file"], i["line"], i["reason"].split(":")[0]) for i in result["ignored"]] == [
        (istio, 3, "hub-and-tag")
    ]


def test_a_file_read_for_hub_only_that_does_not_parse_never_fails_a_bump(tmp_path: Path) -> None:
    """`hub:` makes a file worth a look (an Istio hub may hold the REF's namespace), and also
    matches `github:`: such a file that names no REF is as if never parsed when it does not
    parse. One that names the REF still fails the run, file and line named."""
    root = _write(tmp_path / "tree")
    (root / "ci").mkdir()
    (root / "ci/notify.yaml").write_bytes(b"notify:\n  github: true\n  on: *undefined\n")
    proc = forkserver.run(["bump", "ghcr.io/acme/web:1.3.0", "--dir", str(root)])
    assert proc.returncode == 0, proc.stderr
    web = (root / "apps/web/values.yaml").read_bytes()
    assert web == b'web:\n  image: ghcr.io/acme/web\n  ImageTag: "1.3.0"\n'

    (root / "ci/notify.yaml").write_bytes(b"notify:\n  github: ghcr.io/acme/web\n  on: *undefined\n")
    proc = forkserver.run(["bump", "ghcr.io/acme/web:1.4.0", "--dir", str(root)])
    assert proc.returncode == 1
    assert "ci/notify.yaml:3: cannot parse YAML" in proc.stderr

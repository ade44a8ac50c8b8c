"""What `bumper scan` lists: one entry per reference, in file order, with the files it read; a
--path glob selecting nothing is exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import NotFoundError
from bumper.plan.inventory import take_inventory


def _tree(root: Path) -> Path:
    (root / "apps").mkdir()
    (root / "apps" / "a.yaml").write_text(
        "spec:\n  containers:\n  - image: ghcr.io/acme/app:v1\n  - image: nginx:1.27\n"
    )
    (root / "apps" / "b.yaml").write_text("kind: ConfigMap\ndata: {}\n")
    return root


def test_every_reference_once_in_file_order(tmp_path: Path) -> None:
    inventory = take_inventory(_tree(tmp_path), ())
    found = [(e["file"], e["line"], e["value"], e["repository"], e["tag"]) for e in inventory.images]
    assert found == [
        ("apps/a.yaml", 3, "ghcr.io/acme/app:v1", "acme/app", "v1"),
        ("apps/a.yaml", 4, "nginx:1.27", "library/nginx", "1.27"),
    ]
    assert inventory.policy_markers == [None, None] and inventory.unmatched == []
    assert "apps/a.yaml" in inventory.considered


def test_a_glob_selecting_nothing_is_exit_3(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="--path 'clusters/\\*\\*' matches no YAML file"):
        take_inventory(_tree(tmp_path), ("clusters/**",))


FLUX_OBJECTS = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec: {imageRepositoryRef: {name: app}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {url: "https://stefanprodan.github.io/podinfo"}
"""

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  chart:
    spec:
      chart: podinfo
      version: 6.5.0
      sourceRef: {kind: HelmRepository, name: podinfo, namespace: flux-system}
"""


@pytest.mark.parametrize("paths", [(), ("apps/**",)])
def test_objects_in_a_later_file_outside_the_paths_resolve_earlier_references(
    tmp_path: Path, paths: tuple[str, ...]
) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "a.yaml").write_text(
        'tag: v1 # {"$imagepolicy": "flux-system:app:tag"}\n'
        'other: ghcr.io/acme/b:v1 # {"$imagepolicy": "flux-system:gone"}\n'
    )
    (tmp_path / "apps" / "release.yaml").write_text(RELEASE)
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "flux.yaml").write_text(FLUX_OBJECTS)
    inventory = take_inventory(tmp_path, paths)
    found = [(e["file"], e["value"], e["repository"], e.get("policy")) for e in inventory.images]
    assert found[:2] == [
        ("apps/a.yaml", "v1", "acme/app", "flux-system:app"),
        ("apps/a.yaml", "ghcr.io/acme/b:v1", "acme/b", "flux-system:gone"),
    ]
    assert found[2] == (
        "apps/release.yaml",
        "https://stefanprodan.github.io/podinfo/podinfo:6.5.0",
        "podinfo",
        None,
    )
    assert [(u.line, u.target) for u in inventory.unresolved] == [(2, "flux-system:gone")]

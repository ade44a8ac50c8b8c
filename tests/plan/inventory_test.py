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

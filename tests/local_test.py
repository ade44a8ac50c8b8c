"""The --dir flow: plan the whole tree, then write every edit or none; a dry run writes nothing,
a tree already at the REF is up to date."""

from __future__ import annotations

import os
from pathlib import Path

from bumper.image_ref import ImageRef
from bumper.local import bump_dir
from bumper.options import BumpOptions, Status

OLD, NEW = "image: ghcr.io/acme/app:v1.0.0\n", "image: ghcr.io/acme/app:v2.0.0\n"


def _tree(root: Path) -> Path:
    for name in ("a.yaml", "b/c.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(OLD)
    return root


def _options(root: Path, **extra: object) -> BumpOptions:
    return BumpOptions(refs=[ImageRef.parse("ghcr.io/acme/app:v2.0.0")], directory=root, **extra)  # type: ignore[arg-type]


def test_a_dry_run_plans_every_file_and_writes_none(tmp_path: Path) -> None:
    result = bump_dir(_options(_tree(tmp_path), dry_run=True), os.environ)
    assert result.status is Status.DRY_RUN and len(result.plan.edits) == 2
    assert (tmp_path / "a.yaml").read_text() == OLD and (tmp_path / "b" / "c.yaml").read_text() == OLD


def test_a_run_writes_all_then_finds_the_tree_up_to_date(tmp_path: Path) -> None:
    assert bump_dir(_options(_tree(tmp_path)), os.environ).status is Status.WRITTEN
    assert {p.read_text() for p in tmp_path.rglob("*.yaml")} == {NEW}
    again = bump_dir(_options(tmp_path), os.environ)
    assert again.status is Status.UP_TO_DATE and again.plan.edits == []

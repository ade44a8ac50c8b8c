"""`bumper scan` prints each reference as FILE:LINE:COLUMN: SHAPE: VALUE and a count, or one JSON
object with `images`, `ignored` and `unresolved`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bumper.cli import main


def _tree(root: Path) -> Path:
    (root / "deploy.yaml").write_text("spec:\n  containers:\n  - name: app\n    image: ghcr.io/acme/app:v1\n")
    return root


def test_the_text_lists_each_reference_where_it_is(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "--dir", str(_tree(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "deploy.yaml:4:12: container: ghcr.io/acme/app:v1" in result.output
    assert "1 reference(s) in 1 file(s)" in result.output


def test_the_json_is_one_object(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "--dir", str(_tree(tmp_path)), "--output", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"images", "ignored", "unresolved"}
    assert [(i["file"], i["line"], i["tag"]) for i in payload["images"]] == [("deploy.yaml", 4, "v1")]

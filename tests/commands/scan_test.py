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


def test_verbose_stderr_keeps_its_order_while_the_list_is_written_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("image: ghcr.io/acme/a:v1\n")
    (tmp_path / "b.yaml").write_text("image: nginx:1\n  bad: [\n")
    (tmp_path / "c.yaml").write_text('image: ghcr.io/acme/c:v1\nx: 1 # {"$imagepolicy": "ns:gone"}\n')
    result = CliRunner().invoke(main, ["scan", "--dir", str(tmp_path), "-v"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "a.yaml:1:8: container: ghcr.io/acme/a:v1",
        "c.yaml:1:8: container: ghcr.io/acme/c:v1",
        "c.yaml:2:4: marker: 1 [$imagepolicy ns:gone]",
    ]
    said = [line.split(" ")[1] for line in result.stderr.splitlines()]
    assert said == ["considered", "considered", "considered", "ignored", "unresolved", "3"], result.stderr
    assert "bumper: considered b.yaml" in result.stderr and "ignored b.yaml:2: unparseable" in result.stderr

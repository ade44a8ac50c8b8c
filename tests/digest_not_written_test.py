"""A tag@digest REF given to a reference with no field for the digest (a values map `{repository,
tag}`): the tag moves, as references without a digest stay without one, and the change says the
digest was not written, in every place a user reads it (README "What gets rewritten")."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bumper.changes import commit_message, pr_text, template_values
from bumper.cli import main
from bumper.image_ref import ImageRef
from bumper.plan.tree import TreeRequest, plan_tree

DIGEST = "sha256:" + "a" * 64
REF = f"ghcr.io/acme/app:v1.1.0@{DIGEST}"
VALUES = "image:\n  repository: ghcr.io/acme/app\n  tag: v1.0.0\n"
PINNED = "image: ghcr.io/acme/app:v1.0.0\n"
NOTE = "no-digest-field: the tag moved, but the reference has no field for the REF's digest"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "values.yaml").write_text(VALUES)
    (tmp_path / "deploy.yaml").write_text(PINNED)
    return tmp_path


def test_the_text_output_says_the_digest_was_not_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bump", REF, "--dir", str(_tree(tmp_path))])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "values.yaml").read_text() == VALUES.replace("v1.0.0", "v1.1.0")
    assert (tmp_path / "deploy.yaml").read_text() == f"image: {REF}\n"
    assert f"bumper: note values.yaml:3: {NOTE}" in result.stderr
    assert "deploy.yaml:1: note" not in result.stderr  # the digest was written there


def test_the_json_change_carries_the_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bump", REF, "--dir", str(_tree(tmp_path)), "--output", "json"])
    changes = {c["file"]: c for c in json.loads(result.stdout)["changes"]}
    assert changes["values.yaml"]["new"] == "ghcr.io/acme/app:v1.1.0"
    assert changes["values.yaml"]["note"].startswith(NOTE)
    assert "note" not in changes["deploy.yaml"]


def test_the_pr_table_and_commit_message_say_it(tmp_path: Path) -> None:
    plan = plan_tree(TreeRequest(_tree(tmp_path), [ImageRef.parse(REF)]))
    values = template_values([REF], plan.changes, "bumper/x", "main", {})
    _, body = pr_text(None, None, values, plan.changes)
    row = next(line for line in body.splitlines() if "values.yaml" in line)
    cells = "| `values.yaml` | 3 | `ghcr.io/acme/app:v1.0.0` | `ghcr.io/acme/app:v1.1.0`"
    assert row.startswith(f"{cells} (no-digest-field:")
    assert row.endswith(" |") and "add digest: beside the tag" in row
    message = commit_message(None, values, plan.changes)
    assert f"- values.yaml:3: ghcr.io/acme/app:v1.0.0 -> ghcr.io/acme/app:v1.1.0 ({NOTE}" in message

"""A reference a `.bumper.yaml` rule refuses (`policy`) or holds says which rule: JSON `rule` and
the text line name the rule's file:line, its paths and what it allows."""

from __future__ import annotations

import json
from pathlib import Path

from testing import forkserver

POLICY = b"""version: 1
rules:
  - paths: ["legacy/**"]
    hold: true
  - paths: ["apps/prod/**"]
    images: ["ghcr.io/acme/*"]
    allow: '^v\\d+\\.\\d+\\.\\d+$'
"""
TREE = {
    ".bumper.yaml": POLICY,
    "apps/prod/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/staging/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "legacy/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/dev/web.yaml": b"a:\n  image: ghcr.io/acme/app:v1.0.0 # bumper: hold\n",
}
REF = "ghcr.io/acme/app:v2.0.0-rc.1"
PROD_RULE = (
    ".bumper.yaml:5 (rule 2): paths apps/prod/**; images ghcr.io/acme/*; allow '^v\\d+\\.\\d+\\.\\d+$'"
)


def _tree(root: Path) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_json_names_the_rule_of_each_rule_made_skip(tmp_path: Path) -> None:
    proc = forkserver.run(["bump", REF, "--dir", str(_tree(tmp_path)), "--output", "json", "--dry-run"])
    assert proc.returncode == 0, proc.stderr
    skipped = {f"{s['file']}:{s['line']}": s for s in json.loads(proc.stdout)["skipped"]}
    assert skipped["apps/prod/web.yaml:1"]["reason"] == "policy"  # the reason itself is unchanged
    assert skipped["apps/prod/web.yaml:1"]["rule"] == PROD_RULE
    assert skipped["legacy/web.yaml:1"]["rule"] == ".bumper.yaml:3 (rule 1): paths legacy/**; hold"
    assert "rule" not in skipped["apps/dev/web.yaml:2"]  # held by its own line: no rule to name


def test_the_text_line_says_which_rule(tmp_path: Path) -> None:
    proc = forkserver.run(["bump", REF, "--dir", str(_tree(tmp_path)), "--dry-run"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert f"bumper: skipped apps/prod/web.yaml:1: ghcr.io/acme/app:v1.0.0: policy (by {PROD_RULE})" in lines
    assert "bumper: skipped apps/dev/web.yaml:2: ghcr.io/acme/app:v1.0.0: held" in lines

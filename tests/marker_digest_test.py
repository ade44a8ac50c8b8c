"""A `:digest` marker on a value that is no digest (`latest`, a bare hex string) marks nothing a
bump may move: it is listed under `ignored` (reason `not-a-digest`), never as an image, and
`check` names the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import forkserver

DIGEST = "sha256:" + "a" * 64
NEW = "ghcr.io/acme/app:v1.1.0@sha256:" + "b" * 64
VALUES = (
    "app:\n"
    "  image: ghcr.io/acme/app:v1.0.0\n"
    '  digest: latest # {"$bumper": "ghcr.io/acme/app:digest"}\n'
    '  pinned: 02641143766 # {"$bumper": "ghcr.io/acme/app:digest"}\n'
    f'  good: {DIGEST} # {{"$bumper": "ghcr.io/acme/app:digest"}}\n'
    '  flux: main # {"$imagepolicy": "flux-system:app:digest"}\n'
)
REASON = "not-a-digest: a digest is sha256:<64 hex> or sha512:<128 hex>"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "values.yaml").write_text(VALUES)
    return tmp_path


def test_scan_lists_them_under_ignored_not_images(tree: Path) -> None:
    proc = forkserver.run(["scan", "--dir", str(tree), "--output", "json"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [(i["line"], i["shape"]) for i in result["images"]] == [(2, "container"), (5, "marker")]
    assert [(i["line"], i["value"], i["reason"]) for i in result["ignored"]] == [
        (3, "latest", REASON),
        (4, "02641143766", REASON),
        (6, "main", REASON),
    ]


def test_bump_leaves_them_alone_and_says_so(tree: Path) -> None:
    proc = forkserver.run(["bump", NEW, "--dir", str(tree), "--output", "json"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert sorted(c["line"] for c in result["changes"]) == [2, 5]
    assert {(i["line"], i["reason"]) for i in result["ignored"]} >= {(3, REASON), (4, REASON)}
    lines = (tree / "values.yaml").read_text().splitlines()
    assert lines[2:4] == VALUES.splitlines()[2:4]  # not a byte of them moved
    verbose = forkserver.run(["bump", NEW, "--dir", str(tree), "--dry-run", "-v"])
    assert f"bumper: ignored values.yaml:3: latest: {REASON}" in verbose.stderr.splitlines()


def test_check_names_each_line(tree: Path) -> None:
    proc = forkserver.run(["check", "--dir", str(tree)])
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "values.yaml:3: $bumper marker 'ghcr.io/acme/app:digest' resolves to no image: "
        "the value on this line is no digest of ghcr.io/acme/app",
        "values.yaml:4: $bumper marker 'ghcr.io/acme/app:digest' resolves to no image: "
        "the value on this line is no digest of ghcr.io/acme/app",
        "values.yaml:6: $imagepolicy marker 'flux-system:app:digest' resolves to no image: "
        "the value on this line is no digest of flux-system:app",
    ]

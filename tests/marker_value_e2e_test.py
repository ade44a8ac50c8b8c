"""End to end: a Flux or bumper marker on a line whose value is no single scalar (a nested map,
a list, a flow map of several values) is listed under `unresolved` with the reason
docs/flux.md names, and nothing on that line is rewritten."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver

FLUX = b"""\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: web
  namespace: ns
spec:
  imageRepositoryRef:
    name: web
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: web
  namespace: ns
spec:
  image: ghcr.io/acme/web
"""
NESTED = b"""\
spec:
  image: # {"$imagepolicy": "ns:web"}
    name: web
    pullPolicy: Always
"""
# (file text, the reason's words)
CASES = {
    "nested-map": (NESTED, "the value on this line is a nested map, not a scalar"),
    "nested-map-tag": (NESTED.replace(b'ns:web"', b'ns:web:tag"'), "is a nested map"),
    "anchored-map": (NESTED.replace(b"image: #", b"image: &i #"), "is a nested map"),
    "list": (b'spec:\n  images: # {"$imagepolicy": "ns:web"}\n    - a\n', "is a list, not a scalar"),
    "flow-map": (
        b'spec:\n  image: {repository: ghcr.io/acme/web, tag: v1.0.0} # {"$imagepolicy": "ns:web:tag"}\n',
        "is a flow map of several values",
    ),
    "flow-list": (
        b'spec:\n  args: [v1.0.0, v1.0.0] # {"$imagepolicy": "ns:web:tag"}\n',
        "flow list of several values",
    ),
}
MOVE = "put the marker at the end of the line of the one scalar it sets"


def bumper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args), cwd=cwd)
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def tree(root: Path, text: bytes) -> None:
    (root / "flux.yaml").write_bytes(FLUX)
    (root / "app.yaml").write_bytes(text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scan_and_check_list_the_marker_with_its_reason(name: str, tmp_path: Path) -> None:
    text, words = CASES[name]
    tree(tmp_path, text)
    scan = bumper("scan", "--dir", ".", "--output", "json", cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    result = json.loads(scan.stdout)
    [unresolved] = result["unresolved"]
    assert (unresolved["file"], unresolved["line"], unresolved["marker"]) == ("app.yaml", 2, "$imagepolicy")
    assert words in unresolved["reason"] and MOVE in unresolved["reason"]
    assert [i for i in result["images"] if i["shape"] == "marker"] == []
    check = bumper("check", "--dir", ".", cwd=tmp_path)
    assert check.returncode == 1 and words in check.stdout, check.stdout + check.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_bump_rewrites_nothing_there_and_says_why(name: str, tmp_path: Path) -> None:
    text, words = CASES[name]
    tree(tmp_path, text)
    proc = bumper(
        "bump", "--image-policy", "ns:web=ghcr.io/acme/web:v2.0.0", "--dir", ".", "-v", cwd=tmp_path
    )
    assert proc.returncode == 3, proc.stderr
    assert words in proc.stderr and "app.yaml:" in proc.stderr, proc.stderr
    assert "add the ImagePolicy" not in proc.stderr  # the policy exists; the marker's place is wrong
    assert (tmp_path / "app.yaml").read_bytes() == text


def test_bump_by_ref_lists_it_with_v_and_keeps_the_other_shapes(tmp_path: Path) -> None:
    """The helm map under a marked `image:` line is still a helm reference a REF bumps; the
    marker itself is reported, not applied."""
    text = (
        b'spec:\n  image: # {"$imagepolicy": "ns:web"}\n    repository: ghcr.io/acme/web\n    tag: v1.0.0\n'
    )
    tree(tmp_path, text)
    proc = bumper("bump", "ghcr.io/acme/web:v2.0.0", "--dir", ".", "-v", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "bumper: unresolved app.yaml:2: $imagepolicy 'ns:web' resolves to no image: the value on" in (
        proc.stdout + proc.stderr
    )
    assert (tmp_path / "app.yaml").read_bytes() == text.replace(b"v1.0.0", b"v2.0.0")

"""End to end: hold markers in another case or spacing hold (and `check` asks for the canonical
spelling); near-miss holds and Flux markers that are not JSON are `check` problems naming the
line and what to write instead."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver

CANONICAL = "# bumper: hold"
VARIANTS = ["# BUMPER: HOLD", "#bumper:hold", "# Bumper : Hold", "#\tbumper:  hold  "]
NEAR_HOLDS = ["# bumper hold", "# bumper-hold", "#bumper hold", "# bumper: hold until v2", "# BUMPER HOLD"]
NEAR_MARKERS = {
    '# {"$imagepolicy": ns:web:tag}': '# {"$imagepolicy": "ns:web:tag"}',
    '# {$imagepolicy: "ns:web"}': '# {"$imagepolicy": "ns:web"}',
    "# {'$imagepolicy': 'ns:web:tag'}": '# {"$imagepolicy": "ns:web:tag"}',
    '# {"$ImagePolicy": "ns:web"}': '# {"$imagepolicy": "ns:web"}',
    '# {"imagepolicy": "ns:web"}': '# {"$imagepolicy": "ns:web"}',
    "# {“$imagepolicy”: “ns:web”}": '# {"$imagepolicy": "ns:web"}',
    '# {"$imagepolicy": "ns:web"} # old': '# {"$imagepolicy": "ns:web"}',
    "# $imagepolicy: ns:web": '# {"$imagepolicy": "ns:web"}',
    '# {"$bumper": ghcr.io/acme/app}': '# {"$bumper": "ghcr.io/acme/app"}',
}


def bumper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args), cwd=cwd)
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def problems(root: Path) -> list[tuple[int, str]]:
    proc = bumper("check", "--dir", ".", "--output", "json", cwd=root)
    found = json.loads(proc.stdout)["problems"]
    assert proc.returncode == (1 if found else 0), proc.stderr
    return [(p["line"], p["problem"]) for p in found]


@pytest.mark.parametrize("marker", VARIANTS)
def test_a_case_or_spacing_variant_holds_and_check_asks_for_the_canonical_one(
    marker: str, tmp_path: Path
) -> None:
    text = f"image: ghcr.io/acme/app:v1.0.0 {marker}\n"
    (tmp_path / "app.yaml").write_text(text)
    proc = bumper("bump", "ghcr.io/acme/app:v1.1.0", "--dir", ".", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [s["reason"] for s in json.loads(proc.stdout)["skipped"]] == ["held"]
    assert (tmp_path / "app.yaml").read_text() == text
    [(line, problem)] = problems(tmp_path)
    assert line == 1 and f"hold marker {marker.strip()!r} holds this line" in problem
    assert f"write it {CANONICAL!r}" in problem


def test_the_canonical_hold_is_no_problem(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(f"image: ghcr.io/acme/app:v1.0.0 {CANONICAL}\n")
    assert problems(tmp_path) == []


@pytest.mark.parametrize("marker", NEAR_HOLDS)
def test_a_near_miss_hold_is_bumped_and_check_says_what_to_write(marker: str, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(f"a: 1\nimage: ghcr.io/acme/app:v1.0.0 {marker}\n")
    [(line, problem)] = problems(tmp_path)
    assert line == 2 and f"{marker.strip()!r} is not a hold marker, so this line is bumped" in problem
    assert f"write {CANONICAL!r} at the end of the line" in problem
    proc = bumper("bump", "ghcr.io/acme/app:v1.1.0", "--dir", ".", cwd=tmp_path)
    assert proc.returncode == 0 and "v1.1.0" in (tmp_path / "app.yaml").read_text()


@pytest.mark.parametrize("written", sorted(NEAR_MARKERS))
def test_a_marker_that_is_not_json_is_a_problem_with_the_fix(written: str, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(f"spec:\n  image: ghcr.io/acme/app:v1.0.0 {written}\n")
    [(line, problem)] = problems(tmp_path)
    assert line == 2 and problem.startswith("malformed $"), problem
    assert problem.endswith(f"write {NEAR_MARKERS[written]}"), problem


def test_prose_mentioning_bumper_is_no_problem(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "# bumper bumps this image; see docs/policy.md on holds\n"
        "image: ghcr.io/acme/app:v1.0.0  # kept by the bumper: owners hold the key\n"
        'other: v1 # {"$imagepolicy": "ns:web:tag"}\n'
    )
    assert [p for _, p in problems(tmp_path) if "hold" in p or "malformed" in p] == []

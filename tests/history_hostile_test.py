"""End to end: `bumper history` of an image no file references is exit 3, also when its name is
a prefix or a substring of one that is referenced (a typo, a missing registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import forkserver, repos

APP = b"image: ghcr.io/acme/app:1.0.0\n"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    bare = repos.make_bare_repo(tmp_path / "origin.git", {"apps/app.yaml": APP})
    repos.add_commit(bare, "main", {"apps/app.yaml": APP.replace(b"1.0.0", b"1.1.0")}, message="bump")
    dest = tmp_path / "clone"
    repos.git("clone", "--quiet", str(bare), str(dest))
    return dest


def history(clone: Path, image: str) -> tuple[int, str, str]:
    proc = forkserver.run(
        ("history", image, "--dir", ".", "--output", "json"), env={"NO_COLOR": "1"}, cwd=clone, timeout=60
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(
    "image",
    ["ghcr.io/acme/ap", "ghcr.io/acme", "docker.io/acme/app", "acme/app", "ghcr.io/acme/app/sub"],
)
def test_an_image_only_a_substring_of_a_referenced_one_is_exit_3(clone: Path, image: str) -> None:
    code, _, err = history(clone, image)

    assert code == 3, err
    assert "no file references" in err


def test_the_referenced_image_is_listed(clone: Path) -> None:
    code, out, err = history(clone, "ghcr.io/acme/app")

    assert code == 0, err
    newest = json.loads(out)["history"][0]
    assert newest["changes"] == [
        {"file": "apps/app.yaml", "old": "ghcr.io/acme/app:1.0.0", "new": "ghcr.io/acme/app:1.1.0"}
    ]


@pytest.mark.parametrize("name", ["a\nb", "x::y", "-dash", "per%cent é"])
def test_a_clone_at_a_path_with_odd_bytes_is_read(tmp_path: Path, name: str) -> None:
    """--dir is any directory: its name is never read as a URL, an option or a pattern."""
    bare = repos.make_bare_repo(tmp_path / "origin.git", {"apps/app.yaml": APP})
    repos.add_commit(bare, "main", {"apps/app.yaml": APP.replace(b"1.0.0", b"1.1.0")}, message="bump")
    dest = tmp_path / name
    repos.git("clone", "--quiet", str(bare), str(dest))
    proc = forkserver.run(
        ("history", "ghcr.io/acme/app", "--dir", str(dest), "--output", "json"),
        env={"NO_COLOR": "1"},
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [e["changes"][0]["new"] for e in json.loads(proc.stdout)["history"]][0] == "ghcr.io/acme/app:1.1.0"


def test_a_link_whose_target_names_the_image_is_no_reference(tmp_path: Path) -> None:
    """A symbolic link's blob is the name it points to, which may be any bytes, YAML too: it is
    never read as a manifest (as `bump` leaves a link alone), at the tip or in a commit where
    the path was a link before it became a file."""
    bare = repos.make_bare_repo(tmp_path / "origin.git", {"apps/app.yaml": APP})
    links = {
        "apps/link.yaml": b"image: ghcr.io/acme/app:9.9.9",
        "apps/was-link.yaml": b"image: ghcr.io/acme/app:6.6.6",
    }
    repos.add_special_commit(bare, {path: ("120000", target) for path, target in links.items()})
    repos.add_special_commit(bare, {"apps/link.yaml": ("120000", b"image: ghcr.io/acme/app:9.9.10")})
    repos.add_commit(bare, "main", {"apps/was-link.yaml": APP.replace(b"1.0.0", b"1.1.0")}, message="file")
    dest = tmp_path / "clone"
    repos.git("clone", "--quiet", str(bare), str(dest))

    code, out, err = history(dest, "ghcr.io/acme/app")
    assert code == 0, err
    changes = [change for entry in json.loads(out)["history"] for change in entry["changes"]]
    assert changes == [
        {"file": "apps/was-link.yaml", "old": None, "new": "ghcr.io/acme/app:1.1.0"},
        {"file": "apps/app.yaml", "old": None, "new": "ghcr.io/acme/app:1.0.0"},
    ]
    code, out, err = history(dest, "ghcr.io/acme/app:9.9.10")  # only the link ever named it
    assert code == 0 and json.loads(out)["history"] == [], err


def test_a_repository_without_a_commit_is_exit_3_in_one_line(tmp_path: Path) -> None:
    """`git init` and nothing committed yet (or an empty bare repository): git's own error
    ('git ls-tree failed for file:///…: Not a valid object name HEAD', exit 1) gave way to one
    line saying what is missing."""
    empty = tmp_path / "empty"
    repos.git("init", "--quiet", str(empty))
    code, out, err = history(empty, "ghcr.io/acme/app")
    assert code == 3, err
    assert err.strip().splitlines() == [
        "bumper: error: --dir '.' has no commit yet (its branch is unborn), so no file there "
        "references any image; commit the manifests first, or give a clone that has them"
    ]
    assert json.loads(out)["error"]["kind"] == "not-found"

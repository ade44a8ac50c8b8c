"""End to end: a `--repo` run lists the tree's manifest-named symbolic links as left alone, with
the reason a `--dir` run of the same tree gives (`symlink`, `symlink-outside-tree`), reads
nothing through them, and pushes them unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.world import make_world

REF = "ghcr.io/acme/app:v1.2.3"
FILES = {
    "a/d.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/web/deploy.yaml": b"image: ghcr.io/acme/app:v1.0.0 # in --path\n",
    "README.md": b"manifests\n",
}
LINKS = {
    "link.yaml": b"a/d.yaml",  # inside the tree: its target is planned on its own
    "out.yaml": b"/etc/passwd",
    "deep/up.yml": b"../../outside.yaml",
    "chain.yaml": b"hop",  # a link to a link (not manifest-named) that leaves the tree
    "hop": b"/etc/hostname",
    "dir-link": b"a",  # not a manifest name: neither run lists it
    "apps/web/kustomization.yaml": b"../../a/d.yaml",
}
LEFT_ALONE = [
    ("apps/web/kustomization.yaml", "symlink"),
    ("chain.yaml", "symlink-outside-tree"),
    ("deep/up.yml", "symlink-outside-tree"),
    ("link.yaml", "symlink"),
    ("out.yaml", "symlink-outside-tree"),
]


def _left_alone(stdout: str) -> list[tuple[str, str]]:
    return sorted((entry["file"], entry["reason"]) for entry in json.loads(stdout)["ignored"])


def _write_tree(tree: Path, files: dict[str, bytes], links: dict[str, bytes]) -> Path:
    """`files` and the symbolic links `links` (path -> target) on disk under `tree`."""
    for path, data in files.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_bytes(data)
    for path, target in links.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, tree / path)
    return tree


def _dir_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The same tree on disk, bumped with --dir."""
    tree = _write_tree(tmp_path / "tree", FILES, LINKS)
    argv = [sys.executable, "-m", "bumper", "bump", REF, "--dir", str(tree), "--output", "json", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("paths", [(), ("--path", "apps/**")])
def test_a_repo_run_lists_the_links_a_dir_run_lists(paths: tuple[str, ...], tmp_path: Path) -> None:
    local = _dir_run(tmp_path, "--dry-run", *paths)
    assert local.returncode == 0, local.stderr
    expected = LEFT_ALONE if not paths else [("apps/web/kustomization.yaml", "symlink")]
    assert _left_alone(local.stdout) == expected
    with make_world(tmp_path / "w", "github", FILES) as world:
        repos.add_special_commit(world.bare, {path: ("120000", target) for path, target in LINKS.items()})
        remote = world.run("bump", REF, "--dry-run", "--output", "json", *paths)
        assert remote.returncode == 0, remote.stderr
        assert _left_alone(remote.stdout) == expected
        changes: list[dict[str, Any]] = json.loads(remote.stdout)["changes"]
        assert [c["file"] for c in changes] == [c["file"] for c in json.loads(local.stdout)["changes"]]


def test_the_links_are_pushed_as_they_were(tmp_path: Path) -> None:
    with make_world(tmp_path / "w", "github", FILES) as world:
        repos.add_special_commit(world.bare, {path: ("120000", target) for path, target in LINKS.items()})
        before = repos.git("ls-tree", "-r", "main", cwd=world.bare).decode().splitlines()
        proc = world.run("bump", REF)
        assert proc.returncode == 0, proc.stderr
        after = repos.git("ls-tree", "-r", "bumper/ghcr.io-acme-app", cwd=world.bare).decode().splitlines()
        links = sorted(line for line in after if line.startswith("120000 "))
        assert links == sorted(line for line in before if line.startswith("120000 ")) and len(links) == len(
            LINKS
        )
        changed = sorted(set(after) - set(before))
        assert sorted(line.split("\t")[1] for line in changed) == ["a/d.yaml", "apps/web/deploy.yaml"]


# Links whose target mentions the image, where a file is listed only when it mentions it: below a
# chart's templates/ (helm-template) and in a hidden folder (hidden). Nothing is read through a
# link, so neither run lists them, whatever the target says.
QUIET_FILES = {
    **FILES,
    "charts/web/Chart.yaml": b"name: web\n",
    "charts/web/templates/deploy.yaml": b"image: {{ .Values.image }}\n",
}


@pytest.mark.parametrize("paths", [(), ("--path", "charts/**")])
def test_no_run_reads_a_hidden_or_template_link_to_list_it(paths: tuple[str, ...], tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(b"image: ghcr.io/acme/app:v1.0.0 # read through a link\n")
    links = {
        "charts/web/templates/linked.yaml": os.fsencode(outside),
        ".hidden/linked.yaml": os.fsencode(outside),
        ".hidden/inside.yaml": b"../a/d.yaml",
    }
    tree = _write_tree(tmp_path / "tree", QUIET_FILES, links)
    argv = [sys.executable, "-m", "bumper", "bump", REF, "--dry-run", "--output", "json", *paths]
    no_grep = tmp_path / "bin"  # no grep on PATH: the --dir run reads every file from Python
    no_grep.mkdir()
    for env in ({}, {"PATH": str(no_grep)}):
        argv_dir, environ = [*argv, "--dir", str(tree)], {**os.environ, **env}
        local = subprocess.run(argv_dir, capture_output=True, text=True, env=environ, timeout=120)
        assert local.returncode == (3 if paths else 0), local.stderr
        assert _left_alone(local.stdout) == []
    with make_world(tmp_path / "w", "github", QUIET_FILES) as world:
        repos.add_special_commit(world.bare, {path: ("120000", target) for path, target in links.items()})
        remote = world.run("bump", REF, "--dry-run", "--output", "json", *paths)
        assert remote.returncode == (3 if paths else 0), remote.stderr
        assert _left_alone(remote.stdout) == []

"""End to end: a --dir below the top of a git work tree whose `.bumper.yaml` lies above it is
refused, so pointing --dir at a subfolder never steps around the repository's rules."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver

HOLD_PROD = b"version: 1\nrules:\n  - paths: [clusters/prod]\n    hold: true\n"
APP = b"image: ghcr.io/acme/app:v1.0.0\n"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return forkserver.run(args, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}, cwd=cwd, timeout=60)


def tree(root: Path, *, git: bool = True) -> Path:
    for rel, data in {
        ".bumper.yaml": HOLD_PROD,
        "clusters/prod/app.yaml": APP,
        "clusters/staging/app.yaml": b"image: ghcr.io/acme/app:v1.1.0\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize("where", ["clusters", "clusters/prod"])
def test_a_subfolder_of_a_governed_work_tree_is_refused(tmp_path: Path, where: str) -> None:
    root = tree(tmp_path / "repo")

    proc = run(root / where, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", ".")

    assert proc.returncode == 2, proc.stderr
    assert f"inside {root}, whose .bumper.yaml governs it" in proc.stderr
    assert f"--dir {root} --path /{where}" in proc.stderr
    assert (root / "clusters/prod/app.yaml").read_bytes() == APP
    # The way out it names keeps the hold.
    fixed = run(root, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", str(root), "--path", f"/{where}")
    assert fixed.returncode == 0, fixed.stderr
    assert "skipped clusters/prod/app.yaml:1: ghcr.io/acme/app:v1.0.0: held" in fixed.stderr
    assert (root / "clusters/prod/app.yaml").read_bytes() == APP


def test_promote_into_a_subfolder_of_a_governed_work_tree_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")

    proc = run(root, "promote", "ghcr.io/acme/app", "--from", "staging", "--to", "prod", "--dir", "clusters")

    assert proc.returncode == 2, proc.stderr
    assert "whose .bumper.yaml governs it" in proc.stderr
    assert (root / "clusters/prod/app.yaml").read_bytes() == APP


def test_a_policy_outside_the_work_tree_or_without_one_governs_nothing_below(tmp_path: Path) -> None:
    """Only the repository's own policy counts: above its top (here a nested clone) or where no
    git work tree is, a `.bumper.yaml` of a folder above is not this tree's."""
    outer = tree(tmp_path / "outer", git=False)
    proc = run(outer, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", "clusters")
    assert proc.returncode == 0, proc.stderr
    assert (outer / "clusters/prod/app.yaml").read_bytes() == b"image: ghcr.io/acme/app:v1.2.0\n"

    nested = tree(tmp_path / "repo")
    inner = nested / "clusters/prod"
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    proc = run(inner, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", ".")
    assert proc.returncode == 0, proc.stderr


def test_a_misnamed_policy_above_refuses_too_and_json_says_bad_input(tmp_path: Path) -> None:
    """As docs/reference.md says: a `.bumper.yml` above counts (it fails a run at the top), and
    the refusal is the JSON object of a bad input."""
    root = tree(tmp_path / "repo")
    (root / ".bumper.yaml").rename(root / ".bumper.yml")

    proc = run(root, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", "clusters", "--output", "json")

    assert proc.returncode == 2, proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["kind"] == "bad-input"
    assert f"--dir {root} --path /clusters" in error["message"]
    assert (root / "clusters/prod/app.yaml").read_bytes() == APP


@pytest.mark.parametrize("where", ["clusters", "apps[1]", "#tmp"])
def test_the_way_out_named_selects_that_folder_alone(tmp_path: Path, where: str) -> None:
    """The --path the refusal names is that folder, anchored and literal: `--path clusters`
    also selected legacy/clusters/ (a pattern without a `/` matches at any depth), a bump
    --dir clusters never reached; `--path apps[1]` selected nothing (a glob), and `#tmp` a comment."""
    import shlex

    root = tree(tmp_path / "repo")
    (root / where).mkdir(exist_ok=True)
    (root / where / "app.yaml").write_bytes(b"image: ghcr.io/acme/app:v1.1.0\n")
    (root / "legacy" / where).mkdir(parents=True)
    (root / "legacy" / where / "app.yaml").write_bytes(APP)

    proc = run(root / where, "bump", "ghcr.io/acme/app:v1.2.0", "--dir", ".")

    assert proc.returncode == 2, proc.stderr
    way_out = shlex.split(proc.stderr.rstrip("\n").rpartition("narrowed with --path: ")[2])
    assert way_out[:2] == ["--dir", str(root)], proc.stderr
    fixed = run(root, "bump", "ghcr.io/acme/app:v1.2.0", *way_out)
    assert fixed.returncode == 0, fixed.stderr
    assert (root / where / "app.yaml").read_bytes() == b"image: ghcr.io/acme/app:v1.2.0\n"
    assert (root / "legacy" / where / "app.yaml").read_bytes() == APP
    assert (root / "clusters/prod/app.yaml").read_bytes() == APP


@pytest.mark.parametrize("name", [".bumper.yaml", ".bumper.yml"])
def test_the_refusal_names_the_governing_file_as_found_relative_to_the_repository(
    tmp_path: Path, name: str
) -> None:
    """The policy may sit in a folder below the repository's top and be spelled `.bumper.yml`:
    the error line starts with that file, relative to the top, and the way out it names works
    (for `.bumper.yml`, once the file is renamed, which the line says first)."""
    import shlex

    top = tmp_path / "repo"
    apps = top / "apps"
    tree(apps, git=False)
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    (apps / ".bumper.yaml").rename(apps / name)

    proc = run(apps / "clusters", "bump", "ghcr.io/acme/app:v1.2.0", "--dir", ".")

    assert proc.returncode == 2, proc.stderr
    said = f"bumper: error: apps/{name}:1: --dir . is inside {apps}, whose {name} governs it;"
    assert proc.stderr.startswith(said), proc.stderr
    assert proc.stderr.count("\n") == 1
    renames = name != ".bumper.yaml"
    assert ("rename it to .bumper.yaml" in proc.stderr) is renames
    if renames:
        (apps / name).rename(apps / ".bumper.yaml")
    way_out = shlex.split(proc.stderr.rstrip("\n").rpartition("narrowed with --path: ")[2])
    fixed = run(top, "bump", "ghcr.io/acme/app:v1.2.0", *way_out)
    assert fixed.returncode == 0, fixed.stderr
    assert "skipped clusters/prod/app.yaml:1: ghcr.io/acme/app:v1.0.0: held" in fixed.stderr
    assert (apps / "clusters/prod/app.yaml").read_bytes() == APP
    assert (apps / "clusters/staging/app.yaml").read_bytes() == b"image: ghcr.io/acme/app:v1.2.0\n"


@pytest.mark.parametrize("name", [".bumper.yaml", ".bumper.yml"])
def test_check_of_a_subfolder_validates_the_governing_policy_and_says_where_its_rules_read(
    tmp_path: Path, name: str
) -> None:
    """`check --dir SUB` is not refused (it writes nothing), but the policy above governs SUB:
    a malformed one (which fails every bump there) is a problem of SUB's check, named as a path
    from SUB, and one warning line says its rules' paths read from its folder, with the command
    that checks SUB under them."""
    import shlex

    root = tree(tmp_path / "repo")
    bad = b"version: 1\nrules:\n  - paths: [clusters/prod]\n    mode: comit\n"
    (root / ".bumper.yaml").unlink()
    (root / name).write_bytes(bad)

    proc = run(root / "clusters", "check", "--dir", ".")

    assert proc.returncode == 1, proc.stdout + proc.stderr
    if name == ".bumper.yaml":
        assert "../.bumper.yaml:4: rules[0].mode: 'comit' is not one of ['pr', 'commit']" in proc.stdout
    else:
        assert "../.bumper.yml: found .bumper.yml; bumper reads only .bumper.yaml: rename it" in proc.stdout
    warning = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert len(warning) == 1 and f"../{name} governs . from a folder above" in warning[0], proc.stderr
    way_out = shlex.split(warning[0].rpartition("narrowed with --path: ")[2])
    assert way_out[:2] == ["bumper", "check"]
    (root / name).unlink()
    (root / ".bumper.yaml").write_bytes(bad)
    top = run(root, *way_out[1:])
    assert top.returncode == 1 and ".bumper.yaml:4: rules[0].mode" in top.stdout, top.stdout + top.stderr

    (root / ".bumper.yaml").write_bytes(HOLD_PROD)
    clean = run(root / "clusters", "check", "--dir", ".")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "../.bumper.yaml governs . from a folder above" in clean.stderr


def test_check_outside_a_work_tree_hears_nothing_of_a_policy_above(tmp_path: Path) -> None:
    outer = tree(tmp_path / "outer", git=False)
    (outer / ".bumper.yaml").write_bytes(b"version: 1\nrules: [\n")
    proc = run(outer / "clusters", "check", "--dir", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr

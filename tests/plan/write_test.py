"""write_all writes every file of a plan or none: never over a file changed on disk since its plan
(--dir), and a rename that fails puts back the files already renamed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bumper.errors import UnwritableFileError, WorkspaceError
from bumper.image_ref import ImageRef
from bumper.plan.tree import TreeRequest, plan_tree
from bumper.plan.write import write_all


def _two_files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_bytes(b"image: ghcr.io/acme/app:v1.0.0\n")
    b.write_bytes(b"image: ghcr.io/acme/app:v1.0.0  # b\n")
    return a, b


@pytest.mark.parametrize("meanwhile", [b"image: ghcr.io/acme/app:v1.0.0\nreplicas: 3\n", None])
def test_a_file_changed_on_disk_after_its_plan_is_never_overwritten(
    tmp_path: Path, meanwhile: bytes | None
) -> None:
    """--dir: a person's save (or a removal) between the plan and the write fails the run with
    every file as it was, and no temporary file left behind."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    if meanwhile is None:
        b.unlink()
    else:
        b.write_bytes(meanwhile)
    said = (
        r"^b\.yaml changed on disk while bumper planned its edit" if meanwhile else r"b\.yaml: No such file"
    )
    with pytest.raises(WorkspaceError, match=said):
        write_all(plan.edits, recheck=True)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"
    assert (b.read_bytes() if b.exists() else None) == meanwhile
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"] + (["b.yaml"] if meanwhile else [])


def test_files_as_planned_are_written(tmp_path: Path) -> None:
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    write_all(plan.edits, recheck=True)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.2.0\n"
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.2.0  # b\n"


def test_a_file_turned_into_a_link_to_the_same_bytes_is_changed(tmp_path: Path) -> None:
    """The bytes through the link are the planned-from ones, but the link is not the file read."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    (tmp_path / "shared.yaml").write_bytes(b.read_bytes())
    b.unlink()
    b.symlink_to("shared.yaml")
    with pytest.raises(WorkspaceError, match=r"^b\.yaml changed on disk"):
        write_all(plan.edits, recheck=True)
    assert b.is_symlink() and (tmp_path / "shared.yaml").read_bytes().endswith(b"# b\n")
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"


def test_a_rename_that_fails_puts_back_what_was_renamed(tmp_path: Path) -> None:
    """b.yaml became a folder after the plan (no recheck, as in a --repo clone): its rename
    fails after a.yaml's, and a.yaml gets its old bytes back; no temp file is left."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    b.unlink()
    (b / "inside").mkdir(parents=True)
    with pytest.raises(WorkspaceError, match=r"b\.yaml: Is a directory; nothing was changed: make the file"):
        write_all(plan.edits)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.yaml", "b.yaml", "inside"]


def test_an_interruption_among_the_renames_puts_back_what_was_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or CI's SIGTERM, raised the same way) after a.yaml's rename and before b.yaml's:
    a.yaml gets its old bytes back, no temp file is left, and the interruption goes on."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    renames = [0]
    real = os.replace

    def interrupted(src: str, dst: str) -> None:
        renames[0] += 1
        if renames[0] == 2:
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_all(plan.edits, recheck=True)
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0  # b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]


@pytest.mark.parametrize("kind", ["hard-link", "read-only"])
def test_a_hard_linked_or_read_only_file_fails_the_run_before_any_write(tmp_path: Path, kind: str) -> None:
    """A rename broke the hard link (the other name kept the old text, unsaid) and rewrote a
    read-only file, as root too; now the run fails first, naming the file, every file as it was."""
    a, b = _two_files(tmp_path)
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v1.2.0")]))
    other = tmp_path.parent / f"{tmp_path.name}-other.yaml"
    if kind == "hard-link":
        os.link(b, other)
        said = r"^cannot write b\.yaml: it has 2 hard links, .* nothing was changed$"
    else:
        b.chmod(0o444)
        said = r"^cannot write b\.yaml: it is read-only \(mode 0444\); make it writable .* was changed"
    with pytest.raises(UnwritableFileError, match=said) as raised:
        write_all(plan.edits, recheck=True)
    assert raised.value.file == "b.yaml" and str(raised.value) == raised.value.message  # named once
    assert a.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0\n"
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0  # b\n"
    assert os.stat(b).st_nlink == (2 if kind == "hard-link" else 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]


@pytest.mark.parametrize("kind", ["hard-link", "read-only"])
def test_a_dry_run_fails_on_a_hard_linked_or_read_only_file_as_the_real_run_does(
    tmp_path: Path, kind: str
) -> None:
    """`--dry-run` said `would rewrite 1 reference(s)`, exit 0, and the real run then failed
    (exit 1, `cannot write FILE`): a preview in CI passed what the run refused. Seen by the
    resweep on a copy of buroa/k8s-gitops with one helmrelease.yaml made read-only."""
    from click.testing import CliRunner

    from bumper.cli import main

    root = tmp_path / "tree"
    root.mkdir()
    _a, b = _two_files(root)
    if kind == "hard-link":
        os.link(b, tmp_path / "other.yaml")
    else:
        b.chmod(0o444)
    env = {"NO_COLOR": "", "BUMPER_OUTPUT": "", "BUMPER_DIR": "", "BUMPER_IMAGES": ""}
    argv = ["bump", "ghcr.io/acme/app:v1.2.0", "--dir", str(root)]
    dry = CliRunner().invoke(main, [*argv, "--dry-run"], env=env, prog_name="bumper")
    real = CliRunner().invoke(main, argv, env=env, prog_name="bumper")
    assert (dry.exit_code, real.exit_code) == (1, 1), dry.output
    said = "error: cannot write b.yaml: it " + ("has 2 hard links" if kind == "hard-link" else "is read-only")
    assert said in dry.output and said in real.output
    assert "would rewrite" not in dry.output
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0  # b\n"
    # JSON names the file at fault and the kind of the failure (it said `git` and `file: null`)
    for extra in ([], ["--dry-run"]):
        ran = CliRunner().invoke(main, [*argv, *extra, "--output", "json"], env=env, prog_name="bumper")
        error = json.loads(ran.stdout)["error"]
        assert (ran.exit_code, error["kind"], error["file"], error["line"]) == (1, "manifest", "b.yaml", None)
        assert error["message"].startswith(said.removeprefix("error: "))


def _unprivileged() -> list[str]:
    """A command prefix running a program without root's power over files: none for a user who
    has none, root with every capability dropped (setpriv) otherwise."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv to run bumper as root without its capabilities")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all"]


@pytest.mark.parametrize("kind", ["another-users-file", "read-only-folder"])
def test_a_file_this_user_may_not_replace_fails_the_run_before_any_write(tmp_path: Path, kind: str) -> None:
    """Run as a user who may not write b.yaml (another user's, mode 0644, in a folder this user
    may write): the rename replaced it anyway, exit 0, and b.yaml became this user's. In a folder
    this user may not write, the run failed naming a temp file (`cannot write
    …/.a.yaml.x1y2.bumper: Permission denied`). Both now fail first, naming the file; nothing is
    written. A --dry-run still previews (it writes nothing: docs/ci.md runs it as another user on
    a read-only mount)."""
    prefix = _unprivileged()
    root = tmp_path / "tree"
    folder = root / "apps"
    folder.mkdir(parents=True)
    _a, b = _two_files(folder)
    if kind == "another-users-file":
        if os.geteuid() != 0:
            pytest.skip("only root may give a file another user's owner")
        os.chown(b, 65534, 65534)
        said = "error: cannot write apps/b.yaml: this user may not write it (owner uid 65534, mode 0644)"
    else:
        if os.geteuid() == 0:
            os.chown(folder, 65534, 65534)
        folder.chmod(0o555)
        said = "error: cannot write apps/a.yaml: this user may not write its folder apps, where bumper"
    tmp_path.chmod(0o755)
    argv = [*prefix, sys.executable, "-m", "bumper", "bump", "ghcr.io/acme/app:v1.2.0", "--dir", str(root)]
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        dry = subprocess.run([*argv, "--dry-run"], capture_output=True, text=True, env=env, check=False)
        real = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    finally:
        folder.chmod(0o755)
    assert (dry.returncode, real.returncode) == (0, 1), dry.stderr + real.stderr
    assert "would rewrite 2 reference(s) in 2 file(s)" in dry.stderr
    assert said in real.stderr and "nothing was changed" in real.stderr, real.stderr
    assert b.read_bytes() == b"image: ghcr.io/acme/app:v1.0.0  # b\n"
    assert b.stat().st_uid == (65534 if kind == "another-users-file" else os.geteuid())
    assert sorted(p.name for p in folder.iterdir()) == ["a.yaml", "b.yaml"]

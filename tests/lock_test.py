"""uv.lock matches pyproject.toml, and one uv version installs it everywhere (Action, Dockerfile, CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from testing.composite_action import ROOT, action_step

REGENERATE = "run `uv lock` and commit uv.lock (docs/ci.md, 'The lock')"


def uv() -> str:
    search = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    exe = shutil.which("uv", path=search)
    assert exe, "uv is not installed: `pip install -r .ci/uv.txt` (the pinned uv)"
    return exe


def run_uv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """uv without the network: a lock check never needs it when the lock is current."""
    return subprocess.run(
        [uv(), *args, "--offline", "--no-progress"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    [version] = {p["version"] for p in lock["package"] if p["name"] == name}
    return version


def test_lock_is_up_to_date_with_pyproject() -> None:
    proc = run_uv("lock", "--check")
    assert proc.returncode == 0, f"uv.lock is out of date with pyproject.toml: {REGENERATE}\n{proc.stderr}"


@pytest.mark.parametrize(
    "edit",
    [
        ('    "requests>=2.31,<3",\n', '    "requests>=2.31,<3",\n    "six>=1.16,<2",\n'),  # a new dependency
        ('"click>=8.1,<9"', '"click>=8.1.1,<9"'),  # a changed range
    ],
    ids=["added", "changed"],
)
def test_lock_check_fails_when_pyproject_moves_on(tmp_path: Path, edit: tuple[str, str]) -> None:
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    text = (tmp_path / "pyproject.toml").read_text()
    assert edit[0] in text
    (tmp_path / "pyproject.toml").write_text(text.replace(edit[0], edit[1], 1))
    assert run_uv("lock", "--check", cwd=tmp_path).returncode != 0


def test_uv_bootstrap_file_is_exported_from_the_lock(tmp_path: Path) -> None:
    """.ci/uv.txt (what pip installs uv from, hash-checked) holds the lock's uv and hashes."""
    out = tmp_path / "uv.txt"
    proc = run_uv("export", "--frozen", "--only-group", "ci", "--no-emit-project", "-o", str(out))
    assert proc.returncode == 0, proc.stderr

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert body((ROOT / ".ci" / "uv.txt").read_text()) == body(out.read_text()), (
        "re-export .ci/uv.txt: uv export --frozen --only-group ci --no-emit-project "
        "--format requirements.txt -o .ci/uv.txt"
    )


def test_one_uv_version_everywhere() -> None:
    project = pyproject()
    [requirement] = project["dependency-groups"]["ci"]
    version = requirement.removeprefix("uv==")
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), requirement
    assert project["tool"]["uv"]["required-version"] == f"=={version}"
    assert locked_version("uv") == version
    assert re.search(rf"^uv=={re.escape(version)} \\$", (ROOT / ".ci" / "uv.txt").read_text(), re.M)
    assert "--frozen" in action_step("install")["run"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY .ci/uv.txt" in dockerfile and "uv sync --no-cache --frozen" in dockerfile
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "-r .ci/uv.txt" in ci_run and "uv sync" in ci_run and "--frozen" in ci_run
    assert subprocess.run([uv(), "--version"], capture_output=True, text=True).stdout.split()[1] == version


def test_one_version_of_bumper() -> None:
    from bumper import __version__

    assert pyproject()["project"]["version"] == __version__ == locked_version("bumper-gitops")

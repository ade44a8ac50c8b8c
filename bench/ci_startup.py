"""The GitHub Action from "step reached" to "PR open": start-up overhead beside the bump, per install path.

    python bench/ci_startup.py           # cold: fresh venvs, empty package caches, the package index
    python bench/ci_startup.py --smoke   # offline, from this machine's uv cache: the steps work (CI)

Each path runs action.yml's install step and then its bump step the way the runner does
(testing/composite_action.py): bash scripts with the step's environment, a fresh RUNNER_TEMP and
HOME, empty pip and uv caches, none of this machine's pip configuration. The bump step opens a PR
with `bumper bump --repo` in the loopback world of testing/ (git over HTTP, a fake GitHub).

    pip (before)        the install step before uv: `python -m venv` + `pip install $GITHUB_ACTION_PATH`
    uv from the index   today's step on a runner without uv: pip fetches the pinned uv (hash-checked),
                        uv installs uv.lock
    uv on PATH          today's step where the pinned uv is already there (setup-uv, an image, a
                        self-hosted runner): uv installs uv.lock

Each path then runs the bump step a second time (a new branch, so the same work: open a PR) with
everything installed and compiled. That warm run is the bump itself (bumper's start-up, clone,
commit, push, PR); the start-up overhead is everything else the first run took: the install step
plus what the first bump spent beyond the warm one (compiling bytecode that the install left out).
All rows come from one run, one after the other: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing.composite_action import ROOT, checkout_copy, index_access_env, run_action  # noqa: E402
from testing.world import CANARY, make_world  # noqa: E402

# action.yml's install step before this repository installed with uv (kept here to compare).
PIP_STEP = """\
venv="$RUNNER_TEMP/bumper-venv"
"$BUMPER_SETUP_PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"
echo "bumper=$venv/bin/bumper" >> "$GITHUB_OUTPUT"
echo "python=$venv/bin/python" >> "$GITHUB_OUTPUT"
"""
OVERHEAD_TARGET_S = 4.0
SPEEDUP_TARGET = 3.0


@dataclass
class InstallPath:
    """One install path: its label, the install script (None: action.yml's) and where uv is."""

    label: str
    slug: str
    script: str | None
    uv_dir: Path | None  # a directory holding the pinned uv, put first on PATH; None: no uv on PATH
    uv_cache: Path | None = None  # None: an empty one


@dataclass
class Row:
    label: str
    install: float
    first_bump: float
    bump: float  # the warm run
    status: str

    @property
    def overhead(self) -> float:
        return self.install + self.first_bump - self.bump


def pinned_uv() -> str:
    """The uv version .ci/uv.txt pins."""
    for line in (ROOT / ".ci" / "uv.txt").read_text().splitlines():
        if line.startswith("uv=="):
            return line.removeprefix("uv==").split()[0]
    raise SystemExit(".ci/uv.txt pins no uv")


def uv_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False).stdout
    return out.split()[1] if len(out.split()) > 1 else ""


def path_without_uv() -> str:
    """This PATH minus every directory that holds a `uv`: a runner that has none."""
    return os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "uv").exists()
    )


def local_uv(version: str) -> Path:
    """A directory with the pinned uv already installed here (the venv's, else PATH's)."""
    for candidate in (Path(sys.executable).parent / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists() and uv_version(Path(candidate)) == version:
            return Path(candidate).resolve().parent
    raise SystemExit(f"--smoke needs uv {version} installed (pip install -r .ci/uv.txt)")


def run_path(
    path: InstallPath, tmp: Path, world_env: dict[str, str], inputs: dict[str, str], python: str
) -> Row:
    runner = tmp / path.slug
    workspace = runner / "workspace"
    workspace.mkdir(parents=True)
    search = path_without_uv()
    if path.uv_dir is not None:
        search = f"{path.uv_dir}{os.pathsep}{search}"
    env = {
        **index_access_env(),
        **world_env,
        "PATH": search,
        "TMPDIR": str(tmp),
        "PIP_CONFIG_FILE": os.devnull,  # none of this machine's index or find-links settings
        "PIP_CACHE_DIR": str(runner / "pip-cache"),
        "UV_CACHE_DIR": str(path.uv_cache or runner / "uv-cache"),
    }
    runs = []
    for attempt, given in enumerate([None, {"install": installed(runner)}]):
        run = run_action(
            {**inputs, "branch": f"bench/{path.slug}-{attempt}"},
            workspace=workspace,
            temp=runner / str(attempt),
            action_path=tmp / "action",
            python=python,
            extra_env=env,
            given_outputs=given,
            scripts={"install": path.script} if path.script else None,
            timeout=900,
        )
        if run.returncode != 0 or run.outputs["status"] != "opened":
            raise SystemExit(f"{path.label}: the action failed ({run.returncode}):\n{run.log}")
        runs.append(run)
    first, warm = runs
    return Row(path.label, first.seconds["install"], first.seconds["bump"], warm.seconds["bump"], "opened")


def installed(runner: Path) -> dict[str, str]:
    """The install step's outputs for the venv the first run made (the step is not run again)."""
    venv = runner / "0" / "bumper-venv" / "bin"
    return {"bumper": str(venv / "bumper"), "python": str(venv / "python")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="offline, uv path only, from the local uv cache")
    parser.add_argument(
        "--python",
        default=getattr(sys, "_base_executable", sys.executable),
        help="the interpreter setup-python would provide (default: this one's base interpreter)",
    )
    args = parser.parse_args()
    version = pinned_uv()
    base_tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bumper-startup-", dir=base_tmp) as name:
        tmp = Path(name)
        checkout_copy(tmp / "action")
        with make_world(tmp / "world", "github") as world:
            world_env = {"BUMPER_API_THROTTLE": "0", "BUMPER_API_BACKOFF": "0.001", "NO_COLOR": "1"}
            inputs = {
                "images": "ghcr.io/acme/app:v1.2.3",
                "repository": world.repo_url,
                "token": CANARY,
                "provider": "github",
                "api-url": world.host.api_url,
                "labels": "deps",
            }
            if args.smoke:  # offline, from the packages this machine's uv cache already holds
                world_env["UV_OFFLINE"] = "1"
                cache = Path(os.environ.get("UV_CACHE_DIR", Path.home() / ".cache" / "uv"))
                label = "uv on PATH (offline, warm cache)"
                paths = [InstallPath(label, "uv-on-path", None, local_uv(version), cache)]
            else:
                fetched = tmp / "uv-from-index" / "0" / "bumper-uv" / "bin"
                paths = [
                    InstallPath("pip (before)", "pip", PIP_STEP, None),
                    InstallPath("uv from the index", "uv-from-index", None, None),
                    InstallPath("uv on PATH", "uv-on-path", None, fetched),  # the uv the row above fetched
                ]
            rows = [run_path(path, tmp, world_env, inputs, args.python) for path in paths]
            pulls = len(world.open_pulls())
    report(rows, args.python, pulls, version)


def report(rows: list[Row], python: str, pulls: int, version: str) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    baseline = rows[0].overhead
    print(f"interpreter {python}; uv {version}; load average {load:.1f} after the run; one run")
    print(
        "| install path | install step s | first bump s | start-up overhead s | bump s (warm) "
        "| overhead vs first row | status |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row.label} | {row.install:.2f} | {row.first_bump:.2f} | {row.overhead:.2f} | {row.bump:.2f} "
            f"| {baseline / row.overhead:.1f}x faster | {row.status} |"
        )
    print(f"pull requests open: {pulls}")
    print(
        f"targets: start-up overhead <= {OVERHEAD_TARGET_S:.0f} s cold; "
        f">= {SPEEDUP_TARGET:.0f}x faster than pip"
    )


if __name__ == "__main__":
    main()

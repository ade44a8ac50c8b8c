"""The container image's own layer (`/opt/bumper`): its size and how long it takes to install.

    python bench/image_layer.py           # cold: an empty uv cache, packages from the index
    python bench/image_layer.py --smoke   # offline, from this machine's uv cache: the steps work (CI)

This machine has no container engine, so the image itself cannot be built here. What bumper
adds to the base image is one layer, `COPY --from=build /opt/bumper /opt/bumper`, made by the
Dockerfile's two `uv sync` steps. This script runs exactly those steps (the Dockerfile's
environment and arguments, read from the Dockerfile so they cannot drift) into a fresh
directory and reports their time, the layer's size on disk and as a gzip-compressed tar (what
a registry stores and a runner pulls), and its largest packages. The Python here is this
machine's, not the image's 3.12: the sizes differ by the bytecode of one Python version.
The base image (python slim) and its `apt-get install git` layer are not measured.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_steps() -> tuple[dict[str, str], list[list[str]]]:
    """The build stage's `ENV UV_*` settings and its `RUN uv sync ...` commands."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = dict(re.findall(r"\b(UV_[A-Z_]+)=(\S+)", text))
    syncs = [line.split()[3:] for line in text.splitlines() if line.startswith("RUN uv sync")]
    if not syncs or "UV_PROJECT_ENVIRONMENT" not in env:
        raise SystemExit("bench: the Dockerfile no longer has the uv sync steps this bench reads")
    return env, syncs


def _tree_bytes(root: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath, name)
            if not path.is_symlink():
                size += path.stat().st_size
                files += 1
    return size, files


def _gzip_tar_bytes(root: Path, out: Path) -> int:
    with gzip.open(out, "wb", compresslevel=6) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(root, arcname=root.name)
    return out.stat().st_size


def _largest(site: Path, n: int = 5) -> list[tuple[str, int]]:
    packages = [p for p in site.iterdir() if p.is_dir() and not p.name.endswith("-info")]
    sizes = [(p.name, _tree_bytes(p)[0]) for p in packages]
    return sorted(sizes, key=lambda s: -s[1])[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="offline, from this machine's uv cache")
    args = parser.parse_args()
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        print("bench: uv is not on PATH (pip install -r .ci/uv.txt)", file=sys.stderr)
        return 2
    settings, syncs = dockerfile_steps()
    with tempfile.TemporaryDirectory(prefix="bumper-layer-") as tmp:
        base = Path(tmp)
        src = base / "src"
        src.mkdir()
        for name in ("pyproject.toml", "uv.lock", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        target = base / settings["UV_PROJECT_ENVIRONMENT"].lstrip("/")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PIP_"))}
        env.update(settings, UV_PROJECT_ENVIRONMENT=str(target), UV_PYTHON=sys.executable)
        if args.smoke:
            env["UV_OFFLINE"] = "1"
        else:
            env["UV_CACHE_DIR"] = str(base / "cache")  # empty: every package from the index
        times = []
        for n, sync in enumerate(syncs):
            if n == len(syncs) - 1:
                shutil.copytree(ROOT / "bumper", src / "bumper", ignore=shutil.ignore_patterns("__pycache__"))
            flags = [f for f in sync if f != "--no-cache" or not args.smoke]  # --smoke reads the cache
            started = time.monotonic()
            subprocess.run([uv, "sync", "--quiet", *flags], cwd=src, env=env, check=True)
            times.append(time.monotonic() - started)
        size, files = _tree_bytes(target)
        packed = _gzip_tar_bytes(target, base / "layer.tar.gz")
        site = next(target.glob("lib/python*/site-packages"))
        largest = _largest(site)
        ok = subprocess.run([target / "bin" / "bumper", "--version"], capture_output=True, text=True)
    mode = "SMOKE run (offline, warm cache): times not meaningful" if args.smoke else "cold: empty uv cache"
    print(f"bumper image layer bench; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {mode}\n")
    print("| measure | value |\n|---|---:|")
    print(f"| `uv sync {' '.join(syncs[0])}` (the dependencies) | {times[0]:.1f} s |")
    print(f"| `uv sync` bumper step | {times[-1]:.1f} s |")
    print(f"| `/opt/bumper` on disk | {size / 1e6:.1f} MB in {files} files |")
    print(f"| `/opt/bumper` as a gzip tar (pulled size) | {packed / 1e6:.1f} MB |")
    print("| largest packages | " + ", ".join(f"{name} {b / 1e6:.1f} MB" for name, b in largest) + " |")
    print(f"| `bumper --version` from the layer | {ok.stdout.strip() or ok.stderr.strip()} |")
    return 0 if ok.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

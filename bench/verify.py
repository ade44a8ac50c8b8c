"""What `--verify render` adds to a bump: a tree of 50 overlays where 5 include a changed file.

    python bench/verify.py            # 5 repetitions, medians
    python bench/verify.py --smoke    # one repetition, for CI

Each overlay renders its own Deployment and a shared base Service; 5 Deployments run the bumped
image. bumper reads the kustomizations to find the 5 affected overlays and renders only those,
before and after, in parallel. Target: the verification's extra wall time (`--verify render`
minus `--verify off`, both `--dry-run`) at most the time of rendering those 5 overlays twice,
one after another.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bumper.verify.render import renderer  # noqa: E402

OVERLAYS, AFFECTED = 50, 5
REF = "ghcr.io/acme/app:2.0.0"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}
"""


def build_tree(root: Path) -> None:
    """50 overlays on one base; overlays 0-4 run ghcr.io/acme/app, the others their own image."""
    (root / "base").mkdir(parents=True)
    (root / "base/kustomization.yaml").write_text("resources:\n  - service.yaml\n")
    (root / "base/service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n")
    for n in range(OVERLAYS):
        overlay = root / f"overlays/o{n:02d}"
        overlay.mkdir(parents=True)
        image = "ghcr.io/acme/app:1.0.0" if n < AFFECTED else f"ghcr.io/acme/other-{n}:1.0.0"
        (overlay / "deployment.yaml").write_text(DEPLOYMENT.format(n=n, image=image))
        (overlay / "kustomization.yaml").write_text(
            f"namePrefix: o{n:02d}-\nresources:\n  - ../../base\n  - deployment.yaml\n"
        )


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one repetition")
    args = parser.parse_args()
    command = renderer()
    if command is None:
        sys.exit("neither kustomize nor kubectl is on PATH")
    reps = 1 if args.smoke else 5
    base_tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bumper-bench-verify-", dir=base_tmp) as tmp:
        tree = Path(tmp)
        build_tree(tree)
        bump = [
            sys.executable,
            "-m",
            "bumper",
            "bump",
            REF,
            "--dir",
            str(tree),
            "--dry-run",
            "--output",
            "json",
        ]
        off, on, renders, rendered = [], [], [], []
        for _ in range(reps):
            off.append(timed([*bump, "--verify", "off"])[0])
            seconds, out = timed([*bump, "--verify", "render"])
            on.append(seconds)
            rendered = json.loads(out)["verified"]
            renders.append(
                sum(
                    timed([*command, f"overlays/o{n:02d}"], cwd=tree)[0]
                    for n in range(AFFECTED)
                    for _ in "ab"
                )
            )
    t_off, t_on, t_renders = (statistics.median(x) for x in (off, on, renders))
    overhead = t_on - t_off
    ok = [v["status"] for v in rendered] == ["verified"] * AFFECTED
    print(f"renderer: {' '.join(command)}; {reps} repetition(s), medians; {os.cpu_count()} CPU(s)")
    print(f"roots rendered: {len(rendered)} of {OVERLAYS + 1} ({'all verified' if ok else rendered})")
    print()
    print("| measure | value | target | ok / note |")
    print("|---|---:|---|---|")
    print(f"| `bump --dry-run --verify off` | {t_off:.3f} s | | |")
    print(f"| `bump --dry-run --verify render` | {t_on:.3f} s | | |")
    verdict = "ok" if overhead <= t_renders else "missed"
    print(f"| verification overhead | {overhead:.3f} s | <= the next row | {verdict} |")
    print(f"| render the {AFFECTED} affected overlays twice, one by one | {t_renders:.3f} s | | |")
    print(f"| overhead / those renders | {overhead / t_renders:.2f} | <= 1.00 | |")
    if not ok:
        sys.exit("verification did not verify exactly the affected overlays")


if __name__ == "__main__":
    main()

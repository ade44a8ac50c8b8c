"""bumper history against `git log -G<repo> --oneline`, on a big repo served over loopback.

    python bench/history.py            # 20,000 commits, 5,000 files, 20 bumps (about a minute)
    python bench/history.py --smoke    # a small repo, for CI

`git log -G` only names the commits whose diff adds or removes a line with the repository; bumper
history also parses each version of each file mentioning the image (so a Helm `tag:` line counts),
pairs old and new per file, and reads merge messages and trailers. Rows:

- on one local full clone: `git log -G` vs `bumper history --dir` (target: within 3x);
- from the URL: `git clone` + `git log -G` vs `bumper history --repo` (blobless clone; blobs only
  for the files that mention the image).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e2e import DEPLOYMENT, TOKEN  # noqa: E402
from testing import repos  # noqa: E402
from testing.git_server import serve_git  # noqa: E402

APP = "apps/app/deployment.yaml"


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, bytes]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small repo, one repetition")
    args = parser.parse_args()
    commits, files, bumps, reps = (200, 50, 3, 1) if args.smoke else (20_000, 5_000, 20, 3)
    base_tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bumper-bench-", dir=base_tmp) as tmp:
        work = Path(tmp)
        with serve_git(work / "srv", TOKEN) as server:
            bare = server.path_for("acme/manifests")
            start = time.perf_counter()
            repos.build_big_repo(bare, commits=commits, files=files, file_content=[(APP, DEPLOYMENT)])
            for n in range(1, bumps + 1):
                body = DEPLOYMENT.replace(b"v1.0.0", b"v1.%d.0" % n)
                repos.add_commit(bare, "main", {APP: body}, message=f"Bump ghcr.io/acme/app:v1.{n}.0 (#{n})")
            build = time.perf_counter() - start
            url = server.url_for("acme/manifests")
            env = dict(
                os.environ, BUMPER_TOKEN=TOKEN, NO_COLOR="1", TMPDIR=str(work), GIT_TERMINAL_PROMPT="0"
            )
            env = {k: v for k, v in env.items() if k != "BUMPER_REPO"}
            header = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
            auth = dict(
                env,
                GIT_CONFIG_COUNT="1",
                GIT_CONFIG_KEY_0="http.extraHeader",
                GIT_CONFIG_VALUE_0=f"Authorization: Basic {header}",
            )
            clone = work / "clone.git"
            subprocess.run(["git", "clone", "-q", "--bare", url, str(clone)], env=auth, check=True)
            pickaxe = ["git", "log", "-Gghcr\\.io/acme/app", "--oneline"]
            bumper = [sys.executable, "-m", "bumper", "history", "ghcr.io/acme/app", "--output", "json"]
            git_local, bumper_local, git_remote, bumper_remote = [], [], [], []
            for n in range(reps):
                seconds, out = timed(pickaxe, env, cwd=clone)
                git_local.append(seconds)
                seconds, out = timed([*bumper, "--dir", str(clone)], env)
                bumper_local.append(seconds)
                found = len(json.loads(out)["history"])
                dest = work / f"plain-{n}.git"
                start = time.perf_counter()
                subprocess.run(["git", "clone", "-q", "--bare", url, str(dest)], env=auth, check=True)
                subprocess.run(pickaxe, env=env, cwd=dest, check=True, capture_output=True)
                git_remote.append(time.perf_counter() - start)
                seconds, out = timed([*bumper, "--repo", url], env)
                bumper_remote.append(seconds)
                assert len(json.loads(out)["history"]) == found

    rows = [
        ("git log -G<repo> --oneline (local full clone)", statistics.median(git_local), git_local),
        ("bumper history --dir (same clone)", statistics.median(bumper_local), git_local),
        ("git clone + git log -G<repo> (from the URL)", statistics.median(git_remote), git_remote),
        ("bumper history --repo (blobless clone)", statistics.median(bumper_remote), git_remote),
    ]
    print(
        f"repo: {commits:,} commits, {files:,} files, {bumps} bumps "
        f"(built in {build:.1f} s); median of {reps}"
    )
    print(f"history entries found: {found} (the first commit and {bumps} bumps)")
    print(f"{'job':<48} {'wall s':>7} {'x git':>6}")
    for name, seconds, base in rows:
        print(f"{name:<48} {seconds:7.2f} {seconds / statistics.median(base):6.2f}")
    print("target: bumper history within 3x of git log -G on the same clone")


if __name__ == "__main__":
    main()

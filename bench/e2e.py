"""bumper bump --repo against plain git doing the same job, on a big repo served over loopback.

    python bench/e2e.py            # 20,000 commits, 5,000 files (about a minute)
    python bench/e2e.py --smoke    # a small repo, for CI

Plain git is the floor: shallow clone, edit one file, commit, push a branch. bumper does that
plus parsing, verification, the never-backwards check and the pull request (API calls are
counted from the fake GitHub's request log). The `--commit-via api` rows have the (fake) host
make the commit instead of a push: createCommitOnBranch writes into the served repository.
Prints one table; ratios are from this run.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing import repos  # noqa: E402
from testing.fake_github import FakeGitHub  # noqa: E402
from testing.git_server import serve_git  # noqa: E402

TOKEN = "bench-token-0123456789"  # noqa: S105
DEPLOYMENT = b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:v1.0.0
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def git_env() -> dict[str, str]:
    """The environment of a hand-written CI step's git: the token as a header, an identity."""
    header = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    return dict(
        os.environ,
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="http.extraHeader",
        GIT_CONFIG_VALUE_0=f"Authorization: Basic {header}",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@x",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@x",
    )


def plain_git(url: str, work: Path, n: int) -> float:
    """What a hand-written CI step does: shallow clone, sed, commit, push."""
    env = git_env()
    dest = work / f"plain-{n}"
    start = time.perf_counter()
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--single-branch", url, str(dest)], env=env, check=True
    )
    target = dest / "apps" / "app" / "deployment.yaml"
    target.write_bytes(target.read_bytes().replace(b"v1.0.0", b"v1.2.3"))
    subprocess.run(["git", "commit", "-qam", "bump"], cwd=dest, env=env, check=True)
    subprocess.run(
        ["git", "push", "-q", "origin", f"HEAD:refs/heads/plain/{n}"], cwd=dest, env=env, check=True
    )
    return time.perf_counter() - start


def _new(runs: list[tuple[float, float, int, int]]) -> tuple[float, int]:
    return statistics.median(r[0] for r in runs), max(r[2] for r in runs)


def _update(runs: list[tuple[float, float, int, int]]) -> tuple[float, int]:
    return statistics.median(r[1] for r in runs), max(r[3] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small repo, one repetition")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=5_000)
    args = parser.parse_args()
    commits, files, reps = (200, 50, 1) if args.smoke else (args.commits, args.files, 3)
    base_tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bumper-bench-", dir=base_tmp) as tmp:
        work = Path(tmp)
        github = FakeGitHub(token=TOKEN)
        github.add_repo("acme/manifests")
        with serve_git(work / "srv", TOKEN) as server:
            start = time.perf_counter()
            repos.build_big_repo(
                server.path_for("acme/manifests"),
                commits=commits,
                files=files,
                file_content=[("apps/app/deployment.yaml", DEPLOYMENT)],
            )
            build = time.perf_counter() - start
            url = server.url_for("acme/manifests")
            github.serve_git_repo("acme/manifests", server.path_for("acme/manifests"))
            env = dict(
                os.environ,
                BUMPER_TOKEN=TOKEN,
                BUMPER_API_URL=github.api_url,
                BUMPER_PROVIDER="github",
                BUMPER_API_THROTTLE="0",
                NO_COLOR="1",
                TMPDIR=str(work),  # bumper clones where plain git clones: same file system
            )
            bumper = [sys.executable, "-m", "bumper", "bump", "--repo", url]
            git_times = [plain_git(url, work, n) for n in range(reps)]

            def pair(name: str, run_env: dict[str, str]) -> tuple[float, float, int, int]:
                """A new PR then a newer tag on branch `name`: (new s, update s, new calls, update calls)."""
                branch = ["--branch", name, "--label", "deps", "--reviewer", "alice"]
                mark = github.mark()
                new_s = timed([*bumper, "ghcr.io/acme/app:v1.2.3", *branch], run_env)
                new_calls = len(github.requests) - mark
                mark = github.mark()
                update_s = timed([*bumper, "ghcr.io/acme/app:v1.3.0", *branch], run_env)
                return new_s, update_s, new_calls, len(github.requests) - mark

            git_runs, api_runs, sparse_times = [], [], []
            for n in range(reps):
                git_runs.append(pair(f"bench/new-{n}", env))
                sparse = ["--branch", f"bench/sparse-{n}", "--path", "apps/app/**"]
                sparse_times.append(timed([*bumper, "ghcr.io/acme/app:v1.2.3", *sparse], env))
                api_runs.append(pair(f"bench/api-{n}", dict(env, BUMPER_COMMIT_VIA="api")))
        github.close()

    git_s = statistics.median(git_times)
    rows = [
        ("plain git: shallow clone, edit, commit, push", statistics.median(git_times), "-"),
        ("bumper bump --repo (new PR, label, reviewer)", *_new(git_runs)),
        ("bumper bump --repo (newer tag, PR updated)", *_update(git_runs)),
        ("bumper bump --repo --path (sparse clone)", statistics.median(sparse_times), "-"),
        ("--commit-via api (new PR, label, reviewer)", *_new(api_runs)),
        ("--commit-via api (newer tag, PR updated)", *_update(api_runs)),
    ]
    print(f"repo: {commits:,} commits, {files:,} files (built in {build:.1f} s); median of {reps}")
    print(f"{'job':<48} {'wall s':>7} {'x git':>6} {'API calls':>9}")
    for name, seconds, calls in rows:
        print(f"{name:<48} {seconds:7.2f} {seconds / git_s:6.2f} {calls!s:>9}")
    print(
        "targets: bumper within 2x of plain git; a new PR <= 4 API calls, an update <= 3; "
        "through the API <= 6 and <= 4"
    )


if __name__ == "__main__":
    main()

"""Benchmark bumper on the shapes users' trees have (issue 30), each against its floor.

Run by hand from the repository root with the virtualenv active:

    python bench/real.py            # full sizes (several minutes on a loaded 2-core machine)
    python bench/real.py --smoke    # every case at a tiny size, one repeat: for CI

Cases, each printed as a row of ONE Markdown table with the ratio and the issue's goal:
a chart-repository layout as bitnami/charts has it (~4k YAML files in charts/*/templates/** plus
each chart's values.yaml and Chart.yaml, both bitnami's own (bench/data), the image in 66 charts)
`bump --dry-run` vs `grep -rlF --include=*.y*ml`, and `scan` vs a bare libyaml compose of the
files it reads (`--chart-repo PATH` measures the same on a checkout of bitnami/charts too); a
1k-file tree dry run vs grep and the start-up; `scan` peak memory at 20k and 100k files; one
5 MB values file with 2,000 references vs two plain parses;
`bump --repo` on a small and on a 50k-file repository (12,500 files to rewrite) vs a git-only
script (clone, sed, commit, push) over the loopback git server. Timings are medians of
interleaved runs (A B A B ...); the load average is printed with every row, because this
machine is shared.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rewrite as rw  # noqa: E402
from e2e import TOKEN, git_env  # noqa: E402

from testing import repos  # noqa: E402
from testing.fake_github import FakeGitHub  # noqa: E402
from testing.git_server import serve_git  # noqa: E402

TARGET, OLD_TAG, NEW_REF = rw.TARGET, rw.OLD_TAG, rw.NEW_REF
Row = tuple[str, str, str, str]

# argv: the file listing the paths, how many times to compose each, (optional) 2: the later
# half of the bytes composed by a forked child, as bumper splits its planning on two cores, and
# (optional, after it) modules to import first, as a floor that loads the CLI library too.
COMPOSE_LISTED = r"""
import os, sys, time, yaml
for module in sys.argv[4:]:
    __import__(module)
started = time.perf_counter()
paths = open(sys.argv[1], encoding="utf-8").read().splitlines()
child = None
if sys.argv[3:4] == ["2"]:
    sizes = [os.path.getsize(p) for p in paths]
    cut = next((i for i in range(len(paths)) if 2 * sum(sizes[: i + 1]) >= sum(sizes)), len(paths))
    child = os.fork()
    paths = paths[cut + 1 :] if child == 0 else paths[: cut + 1]
for _ in range(int(sys.argv[2])):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for _ in yaml.compose_all(f.read(), Loader=yaml.CSafeLoader):
                pass
if child == 0:
    os._exit(0)
if child is not None:
    os.waitpid(child, 0)
print(len(paths), time.perf_counter() - started)
"""


def _load() -> str:
    one = os.getloadavg()[0]
    return f"load {one:.1f}" + (" (above 3: shared machine busy)" if one > 3 else "")


# --- trees -----------------------------------------------------------------------------------------

TEMPLATE = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {{{{ include "common.names.fullname" . }}}}-{n}
  labels: {{{{- include "common.labels.standard" . | nindent 4 }}}}
spec:
  replicas: {{{{ .Values.replicaCount }}}}
  template:
    spec:
      containers:
        - name: c{n}
          image: {{{{ include "common.images.image" (dict "imageRoot" .Values.image) }}}}
          {{{{- if .Values.resources }}}}
          resources: {{{{- toYaml .Values.resources | nindent 12 }}}}
          {{{{- end }}}}
"""


CHART_DATA = ROOT / "bench" / "data" / "bitnami-solr"  # a real chart's values.yaml and Chart.yaml
CHART_REPOSITORY, CHART_OLD_TAG = "bitnami/os-shell", "12-debian-12-r50"  # as the vendored files have it
CHART_NEW_REF = "docker.io/bitnami/os-shell:12-debian-12-r99"


def chart_tree(root: Path, files: int, hits: int) -> int:
    """charts/<c>/{Chart.yaml,values.yaml,templates/**} as bitnami/charts lays them out: each
    chart's values.yaml and Chart.yaml are bitnami's solr chart's (bench/data/bitnami-solr: a
    51 KB values file, mostly comments, and an `annotations.images` list), naming
    CHART_REPOSITORY in `hits` charts and another image in the rest, plus 27 templates. Returns
    the YAML files written."""
    per_chart = 29
    charts = max(hits, files // per_chart)
    values, chart_yaml = ((CHART_DATA / n).read_text() for n in ("values.yaml", "Chart.yaml"))
    written = 0
    for c in range(charts):
        chart = root / "charts" / f"chart-{c:03d}"
        (chart / "templates" / "tests").mkdir(parents=True)
        image = CHART_REPOSITORY if c < hits else "bitnami/base-shell"
        (chart / "values.yaml").write_text(values.replace(CHART_REPOSITORY, image))
        named = re.sub("^name: solr$", f"name: chart-{c:03d}", chart_yaml, flags=re.M)
        (chart / "Chart.yaml").write_text(named.replace(CHART_REPOSITORY, image))
        written += 2
        for n in range(per_chart - 2):
            sub = "tests/" if n % 6 == 5 else ""
            kind = ("Deployment", "StatefulSet", "Service", "ConfigMap")[n % 4]
            (chart / "templates" / f"{sub}t{n:02d}.yaml").write_text(TEMPLATE.format(kind=kind, n=n))
            written += 1
    return written


def big_values(path: Path, size: int, refs: int) -> None:
    """One values file of about `size` bytes with `refs` references to TARGET, padded with
    small settings (a node-dense file, as generated values files are)."""
    per_ref = max(1, (size // refs - 90) // 24)
    parts = ["# one big values file\n"]
    for i in range(refs):
        parts.append(f"svc{i:05d}:\n  image:\n    repository: {TARGET}\n    tag: {OLD_TAG}\n  settings:\n")
        parts.extend(f"    key{k:04d}: value-{k:05d}\n" for k in range(per_ref))
    path.write_text("".join(parts))


# --- remote ------------------------------------------------------------------------------------------


def git_only(url: str, dest: Path, branch: str, trace: Path | None = None) -> float:
    """A hand-written CI step: shallow clone, sed every file naming the image, commit, push.
    `trace`: where git writes its GIT_TRACE (to count its processes)."""
    env = git_env() | ({"GIT_TRACE": str(trace)} if trace else {})
    start = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(dest)], env=env, check=True)
    listed = subprocess.run(
        ["git", "grep", "-lzF", f"{TARGET}:{OLD_TAG}"], cwd=dest, env=env, check=True, capture_output=True
    ).stdout
    subprocess.run(
        ["xargs", "-0", "sed", "-i", f"s|{TARGET}:{OLD_TAG}|{NEW_REF}|"],
        input=listed, cwd=dest, env=env, check=True,
    )  # fmt: skip
    subprocess.run(["git", "commit", "-qam", "bump"], cwd=dest, env=env, check=True)
    subprocess.run(
        ["git", "push", "-q", "origin", f"HEAD:refs/heads/{branch}"], cwd=dest, env=env, check=True
    )
    return time.perf_counter() - start


# git_only's steps driven from a Python that, as a --repo run does, loads its libraries (click,
# PyYAML, the host's SDK: PyGithub with requests and urllib3; jwt and nacl left to first use, as
# bumper.providers.github does) in a thread beside the clone. argv: url, dest, branch, old, new.
REMOTE_FLOOR = r"""
import subprocess, sys, threading
url, dest, branch, old, new = sys.argv[1:6]
def load():
    import click, yaml
    from bumper.providers.deferred import deferring
    with deferring("jwt", "nacl.public"):
        import github
loading = threading.Thread(target=load)
loading.start()
subprocess.run(["git", "clone", "-q", "--depth", "1", url, dest], check=True)
listed = subprocess.run(["git", "grep", "-lzF", old], cwd=dest, check=True, capture_output=True).stdout
subprocess.run(["xargs", "-0", "sed", "-i", f"s|{old}|{new}|"], input=listed, cwd=dest, check=True)
subprocess.run(["git", "commit", "-qam", "bump"], cwd=dest, check=True)
loading.join()
subprocess.run(["git", "push", "-q", "origin", f"HEAD:refs/heads/{branch}"], cwd=dest, check=True)
"""


def remote_floor(url: str, dest: Path, branch: str) -> float:
    """REMOTE_FLOOR's wall seconds: the git-only script plus the libraries a --repo run loads."""
    start = time.perf_counter()
    floor = [sys.executable, "-c", REMOTE_FLOOR, url, str(dest), branch, f"{TARGET}:{OLD_TAG}", NEW_REF]
    subprocess.run(floor, env=git_env(), check=True)
    return time.perf_counter() - start


def _deployment(i: int) -> bytes:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  template:\n"
        f"    spec:\n      containers:\n        - name: app\n          image: {TARGET}:{OLD_TAG}\n"
    ).encode()


def remote_case(work: Path, label: str, files: int, matching: int, repeat: int) -> list[Row]:
    """`bump --repo` vs git_only on a repository of `files` files, `matching` naming TARGET."""
    github = FakeGitHub(token=TOKEN)
    github.add_repo("acme/manifests")
    try:
        with serve_git(work / f"srv-{label}", TOKEN) as server:
            bare = server.path_for("acme/manifests")
            content = [(f"apps/app-{i:05d}/deployment.yaml", _deployment(i)) for i in range(matching)]
            repos.build_big_repo(bare, commits=1, files=files - matching, file_content=content)
            github.serve_git_repo("acme/manifests", bare)
            url = server.url_for("acme/manifests")
            env = dict(
                os.environ,
                BUMPER_TOKEN=TOKEN,
                BUMPER_API_URL=github.api_url,
                BUMPER_PROVIDER="github",
                BUMPER_API_THROTTLE="0",
                NO_COLOR="1",
                TMPDIR=str(work),
            )
            bumper_s, git_s, floor_s = [], [], []
            for n in range(repeat):
                cmd = [_bumper(), "bump", NEW_REF, "--repo", url, "--branch", f"bench/{label}-{n}"]
                start = time.perf_counter()
                subprocess.run(cmd, env=env, check=True, capture_output=True)
                bumper_s.append(time.perf_counter() - start)
                git_s.append(git_only(url, work / f"git-{label}-{n}", f"plain/{label}-{n}"))
                shutil.rmtree(work / f"git-{label}-{n}")
                if label == "small":
                    floor_s.append(remote_floor(url, work / f"floor-{n}", f"floor/{label}-{n}"))
                    shutil.rmtree(work / f"floor-{n}")
            # One more run of each, traced, to count the git processes each starts.
            traced = dict(env, GIT_TRACE=str(work / f"trace-{label}-bumper"))
            cmd = [_bumper(), "bump", NEW_REF, "--repo", url, "--branch", f"bench/{label}-traced"]
            subprocess.run(cmd, env=traced, check=True, capture_output=True)
            git_only(url, work / f"git-{label}-t", f"plain/{label}-traced", work / f"trace-{label}-git")
            shutil.rmtree(work / f"git-{label}-t")
            processes = [_git_processes(work / f"trace-{label}-{who}") for who in ("bumper", "git")]
    finally:
        github.close()
    b, g = statistics.median(bumper_s), statistics.median(git_s)
    goal = {"small": "<= 3x", "big": "<= 1x"}[label]
    what = f"`bump --repo`, {files:,} files, {matching:,} to rewrite, vs git-only clone+sed+commit+push"
    figures = f"{rw._fmt_s(b)} vs {rw._fmt_s(g)}; git processes {processes[0]} vs {processes[1]}; {_load()}"
    rows = [(what, f"{b / g:.2f}x", goal, figures)]
    if floor_s:
        f = statistics.median(floor_s)
        rows.append(
            (f"`bump --repo`, {files:,} files: floor, the git-only steps from a Python loading click, "
             "PyYAML and PyGithub (with requests, urllib3) beside the clone / git-only",
             f"{f / g:.2f}x", "(floor)", f"{rw._fmt_s(f)} vs {rw._fmt_s(g)}; {_load()}")
        )  # fmt: skip
    return rows


def _git_processes(trace: Path) -> int:
    """git processes a GIT_TRACE file shows: each built-in command and each helper exec'd."""
    lines = trace.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if " trace: built-in: git " in line or " trace: exec: " in line)


# --- local cases -------------------------------------------------------------------------------------


def _bumper() -> str:
    return shutil.which("bumper") or str(Path(sys.executable).parent / "bumper")


def _pair(a: list[str], b: list[str], repeat: int, out: Path) -> tuple[tuple[float, int, int, float], ...]:
    """Interleaved medians of a (stdout to out) and b (stdout to out.b)."""
    return tuple(rw._alternating([(a, out), (b, out.with_suffix(".b"))], repeat))


def chart_case(base: Path, files: int, repeat: int, real: Path | None = None) -> list[Row]:
    """The generated chart repository (or `real`, a checkout of bitnami/charts): a dry run vs
    grep, and scan vs a bare compose of the files scan reads."""
    tree = real or base / "charts"
    hits = 66 if files >= 1000 else 3
    written = len(list(tree.rglob("*.y*ml"))) if real else chart_tree(tree, files, hits)
    out = base / "chart.diff"
    grep = ["grep", "-rlF", "--include=*.y*ml", CHART_REPOSITORY, str(tree)]
    (base / "hits.txt").write_bytes(subprocess.run(grep, capture_output=True, check=True).stdout)
    # The floor the proof sets: Python with PyYAML composing each file that names the image twice
    # (the parse a plan needs, and the proof's parse of the edited text), start-up included.
    # bumper plans megabytes of files on two processes (bumper.plan.forked): so does a second floor.
    # The third floor also imports click, which every bumper command loads (its command line).
    floor_cmd = [sys.executable, "-c", COMPOSE_LISTED, str(base / "hits.txt"), "2"]
    timed = rw._alternating(
        [
            ([_bumper(), "bump", CHART_NEW_REF, "--dir", str(tree), "--dry-run"], out),
            (grep, out.with_suffix(".b")),
            (floor_cmd, base / "floor.txt"),
            ([*floor_cmd, "2"], base / "floor2.txt"),
            ([*floor_cmd, "2", "click"], base / "floor3.txt"),
        ],
        repeat,
    )
    (bump, bump_rc, _, _), (grep_s, _, _, _), (floor, _, _, _), (floor2, _, _, _), (floor3, _, _, _) = timed
    rewritten = sum(1 for line in out.read_text().splitlines() if line.startswith("+++ b/"))
    listed = len(out.with_suffix(".b").read_text().splitlines())
    must_read = [str(p) for p in sorted(tree.rglob("*.y*ml")) if "templates" not in p.relative_to(tree).parts]
    (base / "must-read.txt").write_text("\n".join(must_read) + "\n")
    (scan, scan_rc, _, _), (compose, _, _, _) = _pair(
        [_bumper(), "scan", "--dir", str(tree)],
        [sys.executable, "-c", COMPOSE_LISTED, str(base / "must-read.txt"), "1"],
        repeat,
        base / "chart-scan.txt",
    )
    what = f"{real} ({written:,} YAML files)" if real else f"chart layout ({written:,} YAML files)"
    return [
        (f"{what}: `bump --dry-run` / `grep -rlF --include=*.y*ml`",
         f"{bump / grep_s:.1f}x", "<= 5x",
         f"{rw._fmt_s(bump)} vs {rw._fmt_s(grep_s)}; "
         f"exit {bump_rc}, {rewritten} rewritten, grep {listed}; {_load()}"),
        (f"{what}: floor, `python` composing the {listed} files grep lists twice / grep",
         f"{floor / grep_s:.1f}x", "(floor)",
         f"{rw._fmt_s(floor)} vs {rw._fmt_s(grep_s)}: a parse and the proof's, start-up included; {_load()}"),
        (f"{what}: the same floor on two processes (a forked child composes the later half) / grep",
         f"{floor2 / grep_s:.1f}x", "(floor)",
         f"{rw._fmt_s(floor2)} vs {rw._fmt_s(grep_s)}; {_load()}"),
        (f"{what}: that two-process floor importing click too (every bumper command loads it) / grep",
         f"{floor3 / grep_s:.1f}x", "(floor)",
         f"{rw._fmt_s(floor3)} vs {rw._fmt_s(grep_s)}; {_load()}"),
        (f"{what}: `scan` / bare libyaml compose of the {len(must_read):,} files it reads",
         f"{scan / compose:.2f}x", "<= 2x",
         f"{rw._fmt_s(scan)} vs {rw._fmt_s(compose)} (both incl. start-up); exit {scan_rc}; {_load()}"),
    ]  # fmt: skip


def small_tree_case(base: Path, files: int, repeat: int) -> list[Row]:
    tree = base / "small"
    rw.generate(tree, files, every_file_has_images=False)
    # The floor: a Python that only imports what any dry run loads (click, PyYAML) and exits.
    (bump, rc, _, _), (grep, _, _, _), (libraries, _, _, _) = rw._alternating(
        [
            ([_bumper(), "bump", NEW_REF, "--dir", str(tree), "--dry-run"], base / "small.diff"),
            (["grep", "-rlF", TARGET, str(tree)], base / "small.b"),
            ([sys.executable, "-c", "import click, yaml"], None),
        ],
        repeat,
    )
    (version, _, _, _), (bare, _, _, _) = _pair(
        [_bumper(), "--version"], [sys.executable, "-c", "pass"], max(repeat, 5), base / "version.txt"
    )
    return [
        (f"{files:,}-file tree: `bump --dry-run` / `grep -rlF`", f"{bump / grep:.1f}x", "<= 6x",
         f"{rw._fmt_s(bump)} vs {rw._fmt_s(grep)}; exit {rc}; {_load()}"),
        (f"{files:,}-file tree: floor, `python -c 'import click, yaml'` / `grep -rlF`",
         f"{libraries / grep:.1f}x", "(floor)", f"{rw._fmt_s(libraries)} vs {rw._fmt_s(grep)}; {_load()}"),
        ("`bumper --version` wall (start-up)", rw._fmt_s(version), "<= 60 ms",
         f"`python -c pass` {rw._fmt_s(bare)}; {_load()}"),
    ]  # fmt: skip


def scan_memory_case(base: Path, sizes: list[int]) -> list[Row]:
    rows: list[Row] = []
    for files in sizes:
        tree = base / f"scan-{files}"
        rw.generate(tree, files, every_file_has_images=True, seed=11)
        for fmt in ("text", "json"):
            wall, rc, rss, _ = rw._run([_bumper(), "scan", "--dir", str(tree), "--output", fmt])
            rows.append(
                (f"`scan --output {fmt}` peak RSS, {files:,} files", f"{rss / 1024:.0f} MB", "<= 120 MB",
                 f"wall {rw._fmt_s(wall)}; exit {rc}; {_load()}")
            )  # fmt: skip
        shutil.rmtree(tree)
    return rows


def big_file_case(base: Path, size: int, refs: int, repeat: int) -> list[Row]:
    tree = base / "big"
    tree.mkdir()
    big_values(tree / "values.yaml", size, refs)
    (base / "big-list.txt").write_text(f"{tree / 'values.yaml'}\n")
    (bump, rc, rss, _), (parse, _, parse_rss, _) = _pair(
        [_bumper(), "bump", NEW_REF, "--dir", str(tree), "--dry-run"],
        [sys.executable, "-c", COMPOSE_LISTED, str(base / "big-list.txt"), "2"],
        repeat,
        base / "big.diff",
    )
    changed = sum(1 for line in (base / "big.diff").read_text().splitlines() if line.startswith("+    tag"))
    mb = (tree / "values.yaml").stat().st_size / 1e6
    return [
        (f"one {mb:.2f} MB values file, {refs:,} refs: `bump --dry-run` / two plain parses",
         f"{bump / parse:.2f}x", "<= 1.5x",
         f"{rw._fmt_s(bump)} vs {rw._fmt_s(parse)}; exit {rc}, {changed} tags rewritten; {_load()}"),
        ("same file: `bump --dry-run` peak RSS", f"{rss / 1024:.0f} MB", "<= 250 MB",
         f"two plain parses {parse_rss / 1024:.0f} MB; {_load()}"),
    ]  # fmt: skip


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="every case tiny, one repeat: for CI")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved runs per median (default 7)")
    parser.add_argument("--scan-sizes", default="20000,100000", help="file counts for the scan memory rows")
    parser.add_argument("--only", default="", help="comma-separated cases: chart,small,scan,big,remote")
    parser.add_argument(
        "--chart-repo", type=Path, help="also measure the chart rows on this checkout of bitnami/charts"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.scan_sizes.split(",")]
    if args.smoke:
        args.repeat, sizes = 1, [200]
    tiny = args.smoke
    compileall.compile_dir(ROOT / "bumper", quiet=1)
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="bumper-real-", dir=shm if os.access(shm, os.W_OK) else None))
    cases: dict[str, Callable[[], list[Row]]] = {
        "chart": lambda: [
            *chart_case(base, 100 if tiny else 4000, args.repeat),
            *(chart_case(base, 0, args.repeat, args.chart_repo) if args.chart_repo else []),
        ],
        "small": lambda: small_tree_case(base, 100 if tiny else 1000, args.repeat),
        "scan": lambda: scan_memory_case(base, sizes),
        "big": lambda: big_file_case(base, 50_000 if tiny else 5_000_000, 20 if tiny else 2000, args.repeat),
        "remote": lambda: [
            *remote_case(base, "small", 50, 1, max(args.repeat, 1)),
            *remote_case(base, "big", 200 if tiny else 50_000, 50 if tiny else 12_500, min(args.repeat, 3)),
        ],
    }
    chosen = [c for c in args.only.split(",") if c] or list(cases)
    print(
        f"bumper real-shapes bench: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{_load()} at start; medians of {args.repeat} interleaved runs"
        f"{'; SMOKE run, numbers not meaningful' if tiny else ''}"
    )
    print()
    print("| case | ratio / value | goal | figures |")
    print("|---|---:|---|---|")
    try:
        for name in chosen:
            for row in cases[name]():
                print("| " + " | ".join(row) + " |", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

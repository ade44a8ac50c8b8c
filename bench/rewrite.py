"""Benchmark bumper against grep, a naive ruamel round trip, and the bare YAML parser.

Run by hand from the repository root with the virtualenv active:

    python bench/rewrite.py               # 10,000 files, about 3 KB each (takes about a minute)
    python bench/rewrite.py --files 2000
    python bench/rewrite.py --smoke       # a small tree for CI: checks the bench runs, not the numbers

It generates the trees in tmpfs (/dev/shm when writable; FACTS.md: creating files on / is slow),
measures everything in this one run, and prints ONE Markdown table with the targets beside the
figures. Timings are wall-clock medians of subprocesses of the installed `bumper` console script,
so they include Python start-up, as a CI step pays it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = "ghcr.io/acme/app"
OLD_TAG = "v1.0.0"
NEW_REF = f"{TARGET}:v1.2.3"
FILE_SIZE = 3000  # bytes, roughly

# Other images; none contains the target's repository text (`acme/app`), so exactly the files
# chosen to reference the target are the ones grep lists and bumper parses.
OTHER_IMAGES = [
    "nginx:1.25.3",
    "redis:7.2.4-alpine",
    "docker.io/bitnami/postgresql:16.1.0-debian-11-r15",
    "quay.io/prometheus/node-exporter:v1.7.0",
    "registry.k8s.io/ingress-nginx/controller:v1.9.5",
    "gcr.io/distroless/static:nonroot",
    "ghcr.io/acme/api:v3.1.0",
    "ghcr.io/acme/web:2.4.1",
    "ghcr.io/acme/billing-worker:v0.9.12",
    "busybox:1.36.1@sha256:" + "6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74",
    "public.ecr.aws/docker/library/rabbitmq:3.12-management",
    "mcr.microsoft.com/dotnet/aspnet:8.0",
]


# --- tree generation -----------------------------------------------------------------------------


def _pad(text: str, rng: random.Random, indent: str) -> str:
    """Grow a document to about FILE_SIZE bytes with realistic env entries."""
    lines = []
    i = 0
    while len(text) + sum(len(x) for x in lines) < FILE_SIZE:
        key = rng.choice(["FEATURE", "LIMIT", "ENDPOINT", "TIMEOUT", "REGION", "POOL"])
        value = rng.choice(['"true"', '"30s"', '"https://svc.internal:8443/v1"', '"eu-west-1"', '"64"'])
        lines.append(f"{indent}- name: {key}_{i}\n{indent}  value: {value}\n")
        i += 1
    return text.replace("@@ENV@@\n", "".join(lines))


def _deployment(name: str, image: str, rng: random.Random) -> str:
    text = f"""\
# {name}: managed by platform team; do not edit by hand outside of a PR.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: shop
  annotations:
    reloader.stakater.com/auto: "true"
spec:
  replicas: {rng.randint(1, 6)}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: {name}
          image: {image}
          imagePullPolicy: IfNotPresent
          ports:
            - {{name: http, containerPort: 8080}}
          readinessProbe:
            httpGet: {{path: /readyz, port: http}}
            periodSeconds: 10
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          env:
@@ENV@@
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
"""
    return _pad(text, rng, "            ")


def _values(name: str, image: str, rng: random.Random) -> str:
    repo, _, tag = image.partition("@")[0].rpartition(":")
    text = f"""\
# Default values for {name}.
replicaCount: {rng.randint(1, 4)}

image:
  repository: {repo}
  tag: "{tag}"
  pullPolicy: IfNotPresent

serviceAccount:
  create: true
  annotations: {{}}

service:
  type: ClusterIP
  port: 80

ingress:
  enabled: false
  className: nginx
  hosts:
    - host: {name}.example.com
      paths:
        - path: /
          pathType: Prefix

resources:
  limits:
    memory: 256Mi
  requests:
    cpu: 100m
    memory: 128Mi

extraEnv:
@@ENV@@
"""
    return _pad(text, rng, "  ")


def _kustomization(name: str, image: str, rng: random.Random) -> str:
    repo, _, tag = image.partition("@")[0].rpartition(":")
    text = f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {name}
resources:
  - deployment.yaml
  - ../../base/{name}
labels:
  - pairs:
      team: {rng.choice(["payments", "search", "platform", "growth"])}
images:
  - name: {repo}
    newTag: {tag}
configMapGenerator:
  - name: {name}-config
    literals:
@@ENV@@
"""
    text = _pad(text, rng, "      ")
    return text.replace("      - name: ", "      - ").replace("\n        value: ", "=")


def _cronjob(name: str, image: str, rng: random.Random) -> str:
    text = f"""\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}-nightly
spec:
  schedule: "{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: '{image}'
              args: ["--once", "--verbose"]
              env:
@@ENV@@
"""
    return _pad(text, rng, "                ")


def _configmap(name: str, image: str, rng: random.Random) -> str:
    text = f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-settings
data:
  log-level: info
  settings.yaml: |
    cache:
      ttl: 30s
    upstreams:
@@ENV@@
"""
    return _pad(text, rng, "      ")


KINDS = {
    "deployment.yaml": _deployment,
    "values.yaml": _values,
    "kustomization.yaml": _kustomization,
    "cronjob.yaml": _cronjob,
    "configmap.yaml": _configmap,  # no image: about a fifth of a real tree holds none
}


def generate(root: Path, files: int, *, every_file_has_images: bool, seed: int = 7) -> tuple[int, int]:
    """Write `files` manifests under root; return (files referencing TARGET, total bytes)."""
    rng = random.Random(seed)
    kinds = list(KINDS)
    if every_file_has_images:
        kinds.remove("configmap.yaml")
    targets = set(rng.sample(range(files), max(1, files // 100)))
    total = 0
    made_dirs: set[Path] = set()
    for i in range(files):
        kind = kinds[i % len(kinds)]
        app = i // len(kinds)
        folder = root / f"clusters/{('prod', 'staging')[app % 2]}/team-{app % 37:02d}/svc-{app:05d}"
        if folder not in made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            made_dirs.add(folder)
        image = f"{TARGET}:{OLD_TAG}" if i in targets else rng.choice(OTHER_IMAGES)
        if kind == "configmap.yaml" and i in targets:
            kind = "deployment.yaml" if not (folder / "deployment.yaml").exists() else "cronjob.yaml"
            kind = kind if not (folder / kind).exists() else "extra-deployment.yaml"
        make = KINDS.get(kind, _deployment)
        data = make(f"svc-{app:05d}", image, rng).encode()
        (folder / kind).write_bytes(data)
        total += len(data)
    return len(targets), total


# --- measurement helpers -------------------------------------------------------------------------


def _run(args: list[str], *, out: Path | None = None) -> tuple[float, int, int, float]:
    """Wall seconds, exit code, peak RSS (KiB) and CPU seconds (user + system, from wait4) of
    one subprocess; stdout to `out`. On a machine shared with other work the CPU time is the
    steadier figure: waiting for a core inflates wall time, not CPU time."""
    with open(out or os.devnull, "wb") as stdout:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def _median_run(args: list[str], repeat: int, out: Path | None = None) -> tuple[float, int, int, float]:
    """Median wall time, worst exit code, peak RSS, median CPU time; `out` holds the last run's stdout."""
    [result] = _alternating([(args, out)], repeat)
    return result


def _alternating(
    commands: list[tuple[list[str], Path | None]], repeat: int
) -> list[tuple[float, int, int, float]]:
    """_median_run's figures for each command, run in turn `repeat` times (A B A B ...): this
    machine's speed drifts by a third within minutes, and a ratio of two commands measured
    minutes apart measures the drift."""
    runs: list[list[tuple[float, int, int, float]]] = [[] for _ in commands]
    for _ in range(repeat):
        for (args, out), results in zip(commands, runs):
            results.append(_run(args, out=out))
    return [
        (
            statistics.median(r[0] for r in results),
            max(r[1] for r in results),
            max(r[2] for r in results),
            statistics.median(r[3] for r in results),
        )
        for results in runs
    ]


COMPOSE_SCRIPT = r"""
import os, sys, time, yaml
started = time.perf_counter()
n = 0
for dirpath, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                for _ in yaml.compose_all(f.read(), Loader=yaml.CSafeLoader):
                    pass
            n += 1
print(n, time.perf_counter() - started)
"""


def _naive_round_trip(paths: list[Path]) -> tuple[float, int]:
    """ruamel round-trip load + dump of each file; (seconds, files that came back changed)."""
    from io import StringIO

    from ruamel.yaml import YAML

    changed = 0
    started = time.perf_counter()
    for path in paths:
        yaml = YAML(typ="rt")
        text = path.read_text(encoding="utf-8")
        docs = list(yaml.load_all(text))
        out = StringIO()
        yaml.dump_all(docs, out)
        changed += out.getvalue() != text
    return time.perf_counter() - started, changed


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**NO**"


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files per tree (default 10000)")
    parser.add_argument("--smoke", action="store_true", help="a 200-file tree, one repeat: for CI")
    parser.add_argument("--naive-sample", type=int, default=200, help="files the ruamel round trip times")
    parser.add_argument("--repeat", type=int, default=11, help="runs per wall-time median (default 11)")
    parser.add_argument("--keep", action="store_true", help="leave the generated trees in place")
    args = parser.parse_args(argv)
    if args.smoke:
        args.files, args.naive_sample, args.repeat = min(args.files, 200), 20, 1

    bumper = shutil.which("bumper") or str(Path(sys.executable).parent / "bumper")
    if not Path(bumper).exists():
        print("bench: the bumper console script is not installed (pip install -e .)", file=sys.stderr)
        return 2
    # As installed (pip, or uv with --compile-bytecode): with PYTHONDONTWRITEBYTECODE set and no
    # bytecode on disk, every run would compile bumper from source and time that instead.
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "bumper", quiet=1)
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="bumper-bench-", dir=shm if os.access(shm, os.W_OK) else None))
    try:
        return _bench(args, bumper, base)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def _bench(args: argparse.Namespace, bumper: str, base: Path) -> int:
    rows: list[tuple[str, str, str, str]] = []

    # Tree 1: 1 % of the files reference the target.
    tree = base / "tree"
    n_target, size = generate(tree, args.files, every_file_has_images=False)
    diff_path = base / "dry-run.diff"
    # Into a real file: GNU grep stops at the first match when its output is /dev/null.
    grep_out = base / "grep.txt"
    (bump_s, bump_rc, bump_rss, bump_cpu), (grep_s, grep_rc, _, grep_cpu) = _alternating(
        [
            ([bumper, "bump", NEW_REF, "--dir", str(tree), "--dry-run"], diff_path),
            (["grep", "-rlF", TARGET, str(tree)], grep_out),
        ],
        args.repeat,
    )
    rewritten = sum(1 for line in diff_path.read_text().splitlines() if line.startswith("+++ b/"))
    grep_files = len(grep_out.read_text().splitlines())

    all_files = sorted(tree.rglob("*.yaml"))
    # A fixed random sample: a stride would hit one file kind only (each folder holds one of each).
    sample = random.Random(3).sample(all_files, min(len(all_files), max(1, args.naive_sample)))
    try:
        naive_sample_s, naive_changed = _naive_round_trip(sample)
        naive_s = naive_sample_s * len(all_files) / len(sample)
        extrapolated = len(sample) < len(all_files)
        naive_label = (
            f"naive ruamel rt load+dump, every file (extrapolated from {len(sample)} files, in-process)"
            if extrapolated
            else "naive ruamel rt load+dump, every file (in-process)"
        )
        naive_note = f"{naive_changed}/{len(sample)} files came back changed"
    except ImportError:
        naive_s, naive_label, naive_note = (
            float("nan"),
            "naive ruamel round trip",
            "ruamel.yaml not installed",
        )

    rows += [
        (f"`bumper bump --dry-run` wall (median of {args.repeat}, alternating with grep)", _fmt_s(bump_s), "",
         f"exit {bump_rc}; {rewritten} of {n_target} target files in the diff"),
        (f"`grep -rlF` wall (median of {args.repeat})", _fmt_s(grep_s), "",
         f"exit {grep_rc}; {grep_files} files listed"),
        ("bumper / grep", f"{bump_s / grep_s:.1f}x", "<= 5x", _verdict(bump_s / grep_s <= 5)),
        ("bumper / grep, CPU time (user + system, medians)", f"{bump_cpu / grep_cpu:.1f}x", "",
         f"{_fmt_s(bump_cpu)} / {_fmt_s(grep_cpu)}"),
        (naive_label, _fmt_s(naive_s), "", naive_note),
        ("naive / bumper", f"{naive_s / bump_s:.0f}x", ">= 100x", _verdict(naive_s / bump_s >= 100)),
        ("bumper peak RSS (wait4 ru_maxrss)", f"{bump_rss / 1024:.0f} MB", "< 150 MB",
         _verdict(bump_rss / 1024 < 150)),
    ]  # fmt: skip

    # Tree 2: every file holds image references, so every file is parsed.
    tree2 = base / "tree-images"
    _, size2 = generate(tree2, args.files, every_file_has_images=True, seed=11)
    scan_out = base / "scan.txt"
    scan_s, scan_rc, scan_rss, scan_cpu = _median_run(
        [bumper, "scan", "--dir", str(tree2)], args.repeat, scan_out
    )
    scanned = len(scan_out.read_text().splitlines())
    compose_out = base / "compose.txt"
    compose_runs = [_run([sys.executable, "-c", COMPOSE_SCRIPT, str(tree2)], out=compose_out)]
    compose_inner = [float(compose_out.read_text().split()[1])]
    for _ in range(args.repeat - 1):
        compose_runs.append(_run([sys.executable, "-c", COMPOSE_SCRIPT, str(tree2)], out=compose_out))
        compose_inner.append(float(compose_out.read_text().split()[1]))
    compose_s = statistics.median(r[0] for r in compose_runs)
    compose_cpu = statistics.median(r[3] for r in compose_runs)
    compose_rc = max(r[1] for r in compose_runs)
    composed = compose_out.read_text().split()[0]
    compose_inner_s = statistics.median(compose_inner)
    rows += [
        (f"`bumper scan`, every file has images, wall (median of {args.repeat})", _fmt_s(scan_s), "",
         f"exit {scan_rc}; {scanned} references; RSS {scan_rss / 1024:.0f} MB"),
        ("bare PyYAML `compose_all` (CSafeLoader), every file, subprocess incl. start-up",
         _fmt_s(compose_s), "", f"exit {compose_rc}; {composed} files"),
        ("bare PyYAML `compose_all`, read + compose only (no start-up)", _fmt_s(compose_inner_s),
         "", ""),
        ("scan / compose (subprocess)", f"{scan_s / compose_s:.2f}x", "<= 1.5x",
         _verdict(scan_s / compose_s <= 1.5)),
        ("scan / compose, CPU time (user + system, medians)", f"{scan_cpu / compose_cpu:.2f}x", "<= 1.5x",
         _verdict(scan_cpu / compose_cpu <= 1.5)),
    ]  # fmt: skip

    # Start-up tax.
    version_s = statistics.median(_run([bumper, "--version"])[0] for _ in range(5))
    bare_s = statistics.median(_run([sys.executable, "-c", "pass"])[0] for _ in range(5))
    tax = version_s - bare_s
    rows += [
        ("`bumper --version` (median of 5)", _fmt_s(version_s), "", ""),
        ("`python -c pass` (median of 5)", _fmt_s(bare_s), "", ""),
        ("start-up tax", f"{tax * 1000:.0f} ms", "< 150 ms", _verdict(tax < 0.150)),
    ]

    print(
        f"bumper bench: {args.files} files per tree ({size / 1e6:.1f} MB, {n_target} reference {TARGET}; "
        f"images tree {size2 / 1e6:.1f} MB) in {base.parent}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs{'; SMOKE run, numbers not meaningful' if args.smoke else ''}"
    )
    print()
    print("| measure | value | target | ok / note |")
    print("|---|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if bump_rc == 0 and scan_rc == 0 and compose_rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""`bumper history`: every change of an image's references, from git history, by hand or by bumper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import repos
from testing.world import World, make_world

BRANCH = "bumper/ghcr.io-acme-app"
VALUES = "charts/api/values.yaml"
KUSTOMIZATION = "overlays/prod/kustomization.yaml"
DEPLOYMENT = "apps/web/deployment.yaml"
CI = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/app",
    "GITHUB_RUN_ID": "4242",
}


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, "github") as w:
        yield w


def edit(world: World, ref: str, path: str, old: bytes, new: bytes) -> bytes:
    data = world.read(ref, path)
    assert data is not None and old in data
    return data.replace(old, new)


def history(world: World, *args: str) -> dict:  # type: ignore[type-arg]
    # The world's environment names the repository (BUMPER_REPO); a --dir run clears it.
    proc = world.run("history", "ghcr.io/acme/app", "--output", "json", *args, BUMPER_REPO="")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def build_history(world: World) -> dict[str, str]:
    """By hand, by bumper through a merged PR, a squash merge, a GitLab merge, and a commit that
    touches a file mentioning the image without changing it."""
    shas = {"initial": world.branch_sha("main") or ""}
    hand = edit(world, "main", VALUES, b"tag: v1.2.0", b"tag: v1.2.1")
    shas["hand"] = repos.add_commit(world.bare, "main", {VALUES: hand}, message="hotfix: api on v1.2.1")
    other = edit(world, "main", VALUES, b"replicaCount: 1", b"replicaCount: 3")
    repos.add_commit(world.bare, "main", {VALUES: other}, message="scale api")
    proc = world.run("bump", "ghcr.io/acme/app:v1.3.0", **CI)
    assert proc.returncode == 0, proc.stderr
    shas["bumper"] = world.branch_sha(BRANCH) or ""
    shas["merge"] = repos.merge(world.bare, "main", BRANCH, f"Merge pull request #1 from acme/{BRANCH}")
    squash = edit(world, "main", KUSTOMIZATION, b"newTag: v1.3.0", b"newTag: v1.4.0")
    shas["squash"] = repos.add_commit(world.bare, "main", {KUSTOMIZATION: squash}, message="Bump prod (#2)")
    feature = edit(world, "main", DEPLOYMENT, b"app:v1.3.0   # pinned", b"app:v1.5.0   # pinned")
    shas["feature"] = repos.add_commit(world.bare, "feature", {DEPLOYMENT: feature}, parent=shas["squash"])
    message = "Merge branch 'feature' into 'main'\n\nPin web\n\nSee merge request acme/manifests!3"
    shas["gitlab"] = repos.merge(world.bare, "main", "feature", message)
    return shas


def test_history_lists_every_change_newest_first_with_pr_and_build(world: World) -> None:
    shas = build_history(world)

    entries = history(world, "--dir", str(world.bare))["history"]

    assert [(e["commit"], e["merge_commit"], e["pull_request"]) for e in entries] == [
        (shas["feature"], shas["gitlab"], "!3"),
        (shas["squash"], None, "#2"),
        (shas["bumper"], shas["merge"], "#1"),
        (shas["hand"], None, None),
        (shas["initial"], None, None),
    ]
    gitlab, squash, bump, hand, initial = entries
    assert gitlab["changes"] == [
        {"file": DEPLOYMENT, "old": "ghcr.io/acme/app:v1.3.0", "new": "ghcr.io/acme/app:v1.5.0"}
    ]
    assert squash["changes"] == [
        {"file": KUSTOMIZATION, "old": "ghcr.io/acme/app:v1.3.0", "new": "ghcr.io/acme/app:v1.4.0"}
    ]
    assert bump["build"] == "https://github.com/acme/app/actions/runs/4242"
    assert bump["author"] == "bumper[bot] <bumper-bot@users.noreply.github.com>"
    assert sorted((c["file"], c["old"], c["new"]) for c in bump["changes"]) == [
        (DEPLOYMENT, "ghcr.io/acme/app:v1.2.0", "ghcr.io/acme/app:v1.3.0"),
        (VALUES, "ghcr.io/acme/app:v1.2.1", "ghcr.io/acme/app:v1.3.0"),
        (KUSTOMIZATION, "ghcr.io/acme/app:v1.2.0", "ghcr.io/acme/app:v1.3.0"),
    ]
    assert hand["subject"] == "hotfix: api on v1.2.1" and hand["build"] is None
    assert hand["changes"] == [
        {"file": VALUES, "old": "ghcr.io/acme/app:v1.2.0", "new": "ghcr.io/acme/app:v1.2.1"}
    ]
    assert {c["file"] for c in initial["changes"]} == {DEPLOYMENT, VALUES, KUSTOMIZATION}
    assert all(c["old"] is None for c in initial["changes"])


def test_repo_and_dir_give_the_same_history(world: World) -> None:
    build_history(world)
    assert history(world, "--repo", world.repo_url) == history(world, "--dir", str(world.bare))


def test_path_narrows_the_files_and_text_output_is_one_line_per_commit(world: World) -> None:
    shas = build_history(world)
    proc = world.run("history", "ghcr.io/acme/app", "--path", "overlays/**")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [
        shas["squash"][:12],
        shas["bumper"][:12],
        shas["initial"][:12],
    ]
    assert lines[0].endswith(f"{KUSTOMIZATION}: ghcr.io/acme/app:v1.3.0 -> ghcr.io/acme/app:v1.4.0 (#2)")
    assert "(#1 https://github.com/acme/app/actions/runs/4242)" in lines[1]
    assert f"{KUSTOMIZATION}: (none) -> ghcr.io/acme/app:v1.2.0" in lines[2]
    assert proc.stderr == "bumper: 3 change(s) of ghcr.io/acme/app in 1 file(s)\n"
    verbose = world.run("history", "ghcr.io/acme/app", "--path", "overlays/**", "-v")
    assert (verbose.stdout, verbose.stderr.splitlines()) == (
        proc.stdout,
        [f"bumper: followed {KUSTOMIZATION}", "bumper: 3 change(s) of ghcr.io/acme/app in 1 file(s)"],
    )
    quiet = world.run("history", "ghcr.io/acme/app", "--path", "overlays/**", "--quiet")
    assert (quiet.stdout, quiet.stderr) == (proc.stdout, "")


def test_a_version_that_did_not_parse_still_counts_its_reference_lines(world: World) -> None:
    broken = edit(world, "main", DEPLOYMENT, b"app:v1.2.0   # pinned", b"app:v1.2.5   # pinned\n  : [")
    repos.add_commit(world.bare, "main", {DEPLOYMENT: broken}, message="oops")
    entries = history(world, "--dir", str(world.bare), "--path", DEPLOYMENT)["history"]
    assert entries[0]["changes"] == [
        {"file": DEPLOYMENT, "old": "ghcr.io/acme/app:v1.2.0", "new": "ghcr.io/acme/app:v1.2.5"}
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--path", "nothing/**"], 3, "no file matching nothing/** references ghcr.io/acme/app"),
        ([], 2, "give exactly one of --repo URL or --dir PATH"),
        (["--dir", "."], 2, "give exactly one of --repo URL or --dir PATH"),
        (["--dir", "/"], 2, "is not inside a git repository"),
    ],
)
def test_usage_errors_and_not_found(world: World, args: list[str], code: int, message: str) -> None:
    target = ["--repo", world.repo_url] if args[:1] != ["--dir"] or args[1:2] == ["."] else []
    proc = world.run("history", "ghcr.io/acme/app", *(target if args else []), *args, BUMPER_REPO="")
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1


# billimek/k8s-gitops kubernetes/default/plex/plex.yaml since 58c41d89748f ("fix: resolve YAML
# anchor ordering issues"): `&port` defined twice, which YAML allows. History said "no file
# references ghcr.io/home-operations/plex at HEAD".
PLEX = """\
spec:
  values:
    controllers:
      plex:
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/plex
              tag: 1.43.3.10861
            probes:
              liveness:
                spec:
                  httpGet:
                    port: &port 32400
    route:
      app:
        rules:
          - backendRefs:
              - port: *port
    service:
      app:
        ports:
          http:
            port: &port 32400
      gateway:
        ports:
          http:
            port: *port
"""


def test_history_reads_a_file_that_defines_an_anchor_again(tmp_path: Path) -> None:
    with make_world(tmp_path, "github", {"plex.yaml": PLEX.encode()}) as world:
        newer = PLEX.replace("1.43.3.10861", "1.43.3.10896").encode()
        sha = repos.add_commit(world.bare, "main", {"plex.yaml": newer}, message="plex (#6129)")
        proc = world.run(
            "history",
            "ghcr.io/home-operations/plex",
            "--output",
            "json",
            "--dir",
            str(world.bare),
            BUMPER_REPO="",
        )
        assert proc.returncode == 0, proc.stderr
        entries = json.loads(proc.stdout)["history"]
    assert [(e["commit"], e["changes"]) for e in entries][0] == (
        sha,
        [
            {
                "file": "plex.yaml",
                "old": "ghcr.io/home-operations/plex:1.43.3.10861",
                "new": "ghcr.io/home-operations/plex:1.43.3.10896",
            }
        ],
    )

"""The one path rule: gitignore patterns for --path (and .bumper.yaml), the same for --dir and --repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bumper.errors import ConfigError
from bumper.plan.paths import matcher, normalize
from testing import forkserver, repos
from testing.world import make_world

TREE = {
    "values.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/prod/values.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/prod/extra/deploy.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/production/deploy.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/staging/values.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "legacy/deploy.yml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/legacy/deploy.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "charts/app/Chart.yaml": b"name: app\n",
    "charts/app/values.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
}

CASES = {
    # a name without '/' matches at any depth, as in .gitignore
    "values.yaml": [
        "charts/app/values.yaml",
        "clusters/prod/values.yaml",
        "clusters/staging/values.yaml",
        "values.yaml",
    ],
    # a '/' inside anchors at the root; a folder selects what is below it
    "clusters/prod": ["clusters/prod/extra/deploy.yaml", "clusters/prod/values.yaml"],
    "./clusters/prod": ["clusters/prod/extra/deploy.yaml", "clusters/prod/values.yaml"],
    "clusters/prod/": ["clusters/prod/extra/deploy.yaml", "clusters/prod/values.yaml"],
    "/values.yaml": ["values.yaml"],
    "clusters/*/values.yaml": ["clusters/prod/values.yaml", "clusters/staging/values.yaml"],
    "clusters/**/deploy.yaml": ["clusters/prod/extra/deploy.yaml", "clusters/production/deploy.yaml"],
    "legacy": ["apps/legacy/deploy.yaml", "legacy/deploy.yml"],
    "*.yml": ["legacy/deploy.yml"],
}


def _selected(patterns: list[str]) -> list[str]:
    match = matcher(patterns)
    assert match is not None
    return sorted(p for p in TREE if match(p))


@pytest.mark.parametrize("pattern", sorted(CASES))
def test_gitignore_semantics(pattern: str) -> None:
    assert _selected([pattern]) == CASES[pattern]


def test_dot_slash_is_the_same_pattern() -> None:
    assert normalize("./x") == "x"
    assert normalize("././apps/prod") == "apps/prod"
    assert normalize("!./apps/prod/x.yaml") == "!apps/prod/x.yaml"
    assert _selected(["./values.yaml"]) == _selected(["values.yaml"])


def test_empty_and_dot_folders_are_the_same_pattern() -> None:
    assert normalize("clusters//prod") == normalize("clusters/./prod") == "clusters/prod"
    assert normalize("clusters/prod/.") == normalize("clusters//prod//") == "clusters/prod/"
    assert normalize("//x") == normalize("/./x") == "/x"
    assert _selected(["clusters//prod"]) == _selected(["clusters/prod"])


def test_negation_takes_back() -> None:
    assert _selected(["clusters/**", "!clusters/prod/extra/**"]) == [
        "clusters/prod/values.yaml",
        "clusters/production/deploy.yaml",
        "clusters/staging/values.yaml",
    ]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("../outside", "'..' would leave the tree"),
        ("apps/../../x", "'..' would leave the tree"),
        ("", "it selects nothing"),
        ("./", "it selects nothing"),
        ("a\nb", "line break"),
        ("#comment", "comment"),
    ],
)
def test_rejected_patterns(pattern: str, why: str) -> None:
    with pytest.raises(ConfigError, match="invalid --path") as info:
        normalize(pattern)
    assert why in str(info.value)


def _bumper(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return forkserver.run(args, cwd=cwd)


def _write(root: Path) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_scan_dot_slash_equals_plain(tmp_path: Path) -> None:
    root = _write(tmp_path / "t")
    a = _bumper("scan", "--dir", str(root), "--path", "./clusters/prod", "--output", "json")
    b = _bumper("scan", "--dir", str(root), "--path", "clusters/prod", "--output", "json")
    assert a.returncode == b.returncode == 0, a.stderr
    files = sorted(i["file"] for i in json.loads(a.stdout)["images"])
    assert files == ["clusters/prod/extra/deploy.yaml", "clusters/prod/values.yaml"]
    assert a.stdout == b.stdout


def test_bad_path_is_exit_2_before_anything(tmp_path: Path) -> None:
    root = _write(tmp_path / "t")
    out = _bumper("bump", "ghcr.io/acme/app:v2.0.0", "--dir", str(root), "--path", "../x")
    assert out.returncode == 2
    assert out.stderr.startswith("bumper: error: invalid --path '../x': '..' would leave the tree")
    assert (root / "values.yaml").read_bytes() == TREE["values.yaml"]


@pytest.mark.parametrize(
    "patterns",
    [
        ["./clusters/prod"],
        ["values.yaml"],
        ["clusters/**", "!clusters/prod/extra/**"],
        ["clusters/**", "!clusters/prod/extra"],  # git's rule: the files stay selected
        ["legacy"],
        ["/values.yaml"],
    ],
    ids=lambda p: " ".join(p),
)
def test_repo_selects_what_dir_selects(tmp_path: Path, patterns: list[str]) -> None:
    """The narrowed (sparse) clone of --repo reads the patterns as git does; the result must be
    exactly the files --dir rewrites."""
    root = _write(tmp_path / "t")
    bare = repos.make_bare_repo(tmp_path / "m.git", TREE)
    path_args = [a for p in patterns for a in ("--path", p)]
    local = _bumper("bump", "ghcr.io/acme/app:v2.0.0", "--dir", str(root), *path_args, "--output", "json")
    remote = _bumper(
        "bump",
        "ghcr.io/acme/app:v2.0.0",
        "--repo",
        str(bare),
        "--provider",
        "none",
        *path_args,
        "--output",
        "json",
    )
    assert local.returncode == remote.returncode == 0, (local.stderr, remote.stderr)
    local_files = sorted({c["file"] for c in json.loads(local.stdout)["changes"]})
    branch = json.loads(remote.stdout)["branch"]
    changed = repos.git("diff", "--name-only", "main", branch, cwd=bare).decode().split()
    assert sorted(changed) == local_files
    assert local_files  # every case selects something


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize(
    "spelling", ["./clusters/prod", "./clusters/prod/", "clusters/./prod", "clusters//prod"]
)
def test_path_spellings_select_what_the_plain_path_selects(
    tmp_path: Path, provider: str, spelling: str
) -> None:
    """--dir, and --repo over HTTP with a PR, select the files of `clusters/prod` however the
    path is spelled (a shell joining `$DIR/` and `/prod` writes `//`)."""
    wanted = ["clusters/prod/extra/deploy.yaml", "clusters/prod/values.yaml"]
    root = _write(tmp_path / "t")
    with make_world(tmp_path, provider, TREE) as world:
        local = forkserver.run(
            ["bump", "ghcr.io/acme/app:v2.0.0", "--dir", str(root), "--path", spelling, "--output", "json"],
            env={k: v for k, v in world.env().items() if k != "BUMPER_REPO"},
        )
        assert local.returncode == 0, local.stderr
        assert sorted(c["file"] for c in json.loads(local.stdout)["changes"]) == wanted

        remote = world.run("bump", "ghcr.io/acme/app:v2.0.0", "--path", spelling, "--output", "json")
        assert remote.returncode == 0, remote.stderr
        result = json.loads(remote.stdout)
        assert result["status"] == "opened"
        assert sorted(c["file"] for c in result["changes"]) == wanted
        assert repos.changed_paths(world.bare, result["branch"]) == wanted

"""Trees people really have: Helm chart templates at any depth, files with template syntax, and
hidden folders (CI files, archives) are left alone and listed, never a failure or a `check` problem.

The charts are vendored from stefanprodan/podinfo and bitnami/charts (tests/corpus/README.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.world import make_world

CORPUS = Path(__file__).resolve().parent / "corpus"
PODINFO = CORPUS / "stefanprodan__podinfo"
BITNAMI = CORPUS / "bitnami__charts"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args))
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc


def _copy(source: Path, tmp_path: Path) -> Path:
    tree = tmp_path / source.name
    shutil.copytree(source, tree, symlinks=True)
    return tree


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode())
    return root


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _ignored(result: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {i["file"]: i["reason"] for i in result["ignored"]}


# --- chart templates ------------------------------------------------------------------------------


def test_podinfo_redis_bump_leaves_templates_at_every_depth_alone(tmp_path: Path) -> None:
    """templates/redis/*.yaml mention redis and do not parse: listed, never a failure."""
    tree = _copy(PODINFO, tmp_path)
    before = _bytes(tree)
    proc = _run("bump", "docker.io/redis:8.8.1", "--dir", str(tree), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    changed = sorted({c["file"] for c in result["changes"]})
    assert changed == ["charts/podinfo/values-prod.yaml", "charts/podinfo/values.yaml"]
    assert all(c["new"].endswith("8.8.1") for c in result["changes"])
    templates = "charts/podinfo/templates/"
    assert _ignored(result) == {
        f"{templates}deployment.yaml": "helm-template",
        f"{templates}redis/config.yaml": "helm-template",
        f"{templates}redis/deployment.yaml": "helm-template",
        f"{templates}redis/service.yaml": "helm-template",
    }  # templates that never mention redis (tests/, hooks/) are not listed
    after = _bytes(tree)
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


def test_an_image_only_chart_templates_use_is_not_found_and_says_why(tmp_path: Path) -> None:
    tree = _copy(PODINFO, tmp_path)
    proc = _run("bump", "alpine:3.12", "--dir", str(tree))
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == (
        "bumper: error: no file references alpine:3.12 (2 file(s) left alone, e.g. "
        "charts/podinfo/templates/tests/fail.yaml: helm-template; chart templates are never rewritten: "
        "bump the chart's values)\n"
    )


def test_bitnami_templates_two_folders_deep_are_templates(tmp_path: Path) -> None:
    tree = _copy(BITNAMI, tmp_path)
    ref = "docker.io/bitnami/redis:8.2.2-debian-12-r0"
    proc = _run("bump", ref, "--dir", str(tree), "--output", "json", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # the values that set the image, and the list of images the chart's Chart.yaml annotates
    assert [(c["file"], c["line"]) for c in result["changes"]] == [
        ("bitnami/redis/Chart.yaml", 11),
        ("bitnami/redis/values.yaml", 117),
    ]
    reasons = _ignored(result)
    assert reasons["bitnami/redis/templates/master/application.yaml"] == "helm-template"
    assert reasons["bitnami/redis/templates/sentinel/statefulset.yaml"] == "helm-template"


@pytest.mark.parametrize("tree", [PODINFO, BITNAMI], ids=["podinfo", "bitnami"])
def test_check_and_scan_find_no_problem_in_real_charts(tree: Path) -> None:
    check = _run("check", "--dir", str(tree), "-v")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == ""
    scan = _run("scan", "--dir", str(tree), "--output", "json")
    assert scan.returncode == 0, scan.stderr
    result = json.loads(scan.stdout)
    assert not any("/templates/" in i["file"] for i in result["images"])
    assert {i["reason"] for i in result["ignored"]} <= {"helm-template", "range"}
    # a chart dependency pinned by a range (`version: 2.x.x`) is listed, never rewritten
    assert all(i["file"].endswith("Chart.yaml") for i in result["ignored"] if i["reason"] == "range")


def test_chart_at_the_root_and_templates_without_a_chart(tmp_path: Path) -> None:
    """A `templates/` counts only beside a Chart.yaml: elsewhere it is an ordinary folder."""
    tree = _tree(
        tmp_path / "t",
        {
            "Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
            "templates/sub/deep/job.yaml": "image: ghcr.io/acme/app:{{ .Values.tag }}\n  {{- end }}\n",
            "other/templates/job.yaml": "image: ghcr.io/acme/app:v1.0.0\n",
            "other/templates/sub/cron.yaml": "image: ghcr.io/acme/app:v1.0.0\n",
        },
    )
    proc = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert sorted(c["file"] for c in result["changes"]) == [
        "other/templates/job.yaml",
        "other/templates/sub/cron.yaml",
    ]
    assert _ignored(result) == {"templates/sub/deep/job.yaml": "helm-template"}


# --- template syntax outside charts ---------------------------------------------------------------

TEMPLATED = {
    "apps/web.yaml": "image: ghcr.io/acme/app:v1.0.0\n",
    "ansible/deploy.yaml": "{% if prod %}\nimage: ghcr.io/acme/app:{{ tag }}\n{% endif %}\n",
    "gotmpl/job.yaml": "spec:\n  {{- with .Values }}\n  image: ghcr.io/acme/app:{{ .tag }}\n  {{- end }}\n",
}


def test_unparseable_file_with_template_syntax_is_listed_not_a_failure(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", TEMPLATED)
    verbose = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree), "--dry-run", "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "bumper: ignored ansible/deploy.yaml:1: template" in verbose.stderr.splitlines()
    result = _bump_json(tree)
    assert [c["file"] for c in result["changes"]] == ["apps/web.yaml"]
    assert _ignored(result) == {"ansible/deploy.yaml": "template", "gotmpl/job.yaml": "template"}
    assert (tree / "gotmpl/job.yaml").read_text() == TEMPLATED["gotmpl/job.yaml"]

    scan = json.loads(_run("scan", "--dir", str(tree), "--output", "json").stdout)
    assert [i["file"] for i in scan["images"]] == ["apps/web.yaml"]
    assert {i["file"]: i["reason"] for i in scan["ignored"]} == _ignored(result)
    check = _run("check", "--dir", str(tree))
    assert (check.returncode, check.stdout) == (0, ""), check.stderr


def test_unparseable_file_without_template_syntax_still_fails(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", {**TEMPLATED, "apps/broken.yaml": "image: ghcr.io/acme/app:v1\n  bad: [x\n"})
    before = _bytes(tree)
    proc = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree))
    assert proc.returncode == 1
    assert proc.stderr.startswith("bumper: error: apps/broken.yaml:")
    assert _bytes(tree) == before
    check = _run("check", "--dir", str(tree))
    assert check.returncode == 1 and check.stdout.startswith("apps/broken.yaml:")


# --- hidden paths ----------------------------------------------------------------------------------

HIDDEN = {
    "apps/web.yaml": "image: ghcr.io/acme/app:v1.0.0\n",
    ".github/workflows/ci.yml": "jobs:\n  t:\n    container:\n      image: ghcr.io/acme/app:v1.0.0\n",
    ".archive/old/web.yaml": "image: ghcr.io/acme/app:v0.9.0\n",
    "apps/.woodpecker/build.yaml": "steps:\n  - image: ghcr.io/acme/app:v1.0.0\n",
    ".gitlab-ci.yml": "test:\n  image: ghcr.io/acme/app:v1.0.0\n",
    ".taskfiles/other.yaml": "image: nginx:1.27\n",  # mentions another image: not listed
    ".archive/broken.yaml": "image: ghcr.io/acme/app:v1\n  bad: [x\n",  # never parsed
}
HIDDEN_MENTIONS = [
    ".archive/broken.yaml",
    ".archive/old/web.yaml",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
]


def _bump_json(tree: Path, *args: str) -> dict:  # type: ignore[type-arg]
    proc = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree), "--output", "json", *args)
    assert proc.returncode == 0, proc.stderr
    result: dict = json.loads(proc.stdout)  # type: ignore[type-arg]
    return result


def test_hidden_paths_are_out_of_scope_and_listed(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", HIDDEN)
    result = _bump_json(tree)
    assert [c["file"] for c in result["changes"]] == ["apps/web.yaml"]
    assert sorted(_ignored(result)) == sorted([*HIDDEN_MENTIONS, "apps/.woodpecker/build.yaml"])
    assert set(_ignored(result).values()) == {"hidden"}
    assert (tree / ".github/workflows/ci.yml").read_text() == HIDDEN[".github/workflows/ci.yml"]


@pytest.mark.parametrize(
    "paths, changed",
    [
        ([".github/workflows"], [".github/workflows/ci.yml"]),
        (["apps", ".woodpecker"], ["apps/.woodpecker/build.yaml", "apps/web.yaml"]),
        ([".gitlab-ci.yml", "apps/*.yaml"], [".gitlab-ci.yml", "apps/web.yaml"]),
        ([".*/**/web.yaml"], [".archive/old/web.yaml"]),
    ],
)
def test_a_path_naming_the_hidden_folder_selects_it(
    tmp_path: Path, paths: list[str], changed: list[str]
) -> None:
    tree = _tree(tmp_path / "t", HIDDEN)
    result = _bump_json(tree, *(arg for p in paths for arg in ("--path", p)))
    assert sorted(c["file"] for c in result["changes"]) == changed


def test_a_pattern_that_does_not_name_it_leaves_it_hidden(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", {k: v for k, v in HIDDEN.items() if k != "apps/web.yaml"})
    proc = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree), "--path", "**/*.yml")
    assert proc.returncode == 3
    assert (
        "e.g. .github/workflows/ci.yml: hidden; a --path or .bumper.yaml paths: entry naming its hidden"
        in proc.stderr
    )


def test_a_bumper_yaml_rule_naming_the_folder_selects_it(tmp_path: Path) -> None:
    policy = "version: 1\nrules:\n  - paths: ['.archive/old/**']\n    images: ['ghcr.io/acme/*']\n"
    tree = _tree(tmp_path / "t", {**HIDDEN, ".bumper.yaml": policy})
    result = _bump_json(tree)
    assert sorted(c["file"] for c in result["changes"]) == [".archive/old/web.yaml", "apps/web.yaml"]
    assert _ignored(result)[".archive/broken.yaml"] == "hidden"  # not below the rule's paths
    assert ".bumper.yaml" not in _ignored(result)  # the policy mentions the image, yet is no manifest
    proc = _run("bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tree), "-v", "--dry-run")
    assert "bumper: considered .bumper.yaml" not in proc.stderr.splitlines()


def test_scan_and_check_leave_hidden_paths_alone(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", HIDDEN)
    scan = json.loads(_run("scan", "--dir", str(tree), "--output", "json").stdout)
    assert [i["file"] for i in scan["images"]] == ["apps/web.yaml"]
    assert {i["reason"] for i in scan["ignored"]} == {"hidden"}
    named = json.loads(_run("scan", "--dir", str(tree), "--path", ".github", "--output", "json").stdout)
    assert [i["file"] for i in named["images"]] == [".github/workflows/ci.yml"]
    check = _run("check", "--dir", str(tree))
    assert (check.returncode, check.stdout) == (0, ""), check.stderr  # .archive/broken.yaml: not read
    named_check = _run("check", "--dir", str(tree), "--path", ".archive")
    assert named_check.returncode == 1 and named_check.stdout.startswith(".archive/broken.yaml:")


@pytest.mark.parametrize("paths", [[], ["*.yml", "*.yaml"]], ids=["whole-tree", "sparse"])
def test_remote_flow_leaves_hidden_paths_and_templates_alone(tmp_path: Path, paths: list[str]) -> None:
    tree = {
        "apps/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
        ".github/workflows/ci.yml": b"jobs:\n  t:\n    container:\n      image: ghcr.io/acme/app:v1.0.0\n",
        "chart/Chart.yaml": b"apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "chart/templates/jobs/job.yaml": b"image: ghcr.io/acme/app:{{ .Values.tag }}\n  {{- end }}\n",
    }
    args = [arg for p in paths for arg in ("--path", p)]
    with make_world(tmp_path, "github", tree) as world:
        proc = world.run("bump", "ghcr.io/acme/app:v1.1.0", "--output", "json", *args)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert repos.changed_paths(world.bare, result["branch"]) == ["apps/web.yaml"]
        assert _ignored(result) == {
            ".github/workflows/ci.yml": "hidden",
            "chart/templates/jobs/job.yaml": "helm-template",
        }


def test_check_reads_the_hidden_folders_a_rule_names(tmp_path: Path) -> None:
    files = {
        "apps/web.yaml": "image: ghcr.io/acme/app:v1.0.0\n",
        ".archive/web.yaml": (
            'a:\n  tag: v1 # {"$bumper": "ghcr.io/acme/other:tag"}\n'
            '  image: x\n  b: 1 # {"$bumper": "ghcr.io/acme/app"}\n'
        ),
    }
    tree = _tree(tmp_path / "t", files)
    clean = _run("check", "--dir", str(tree))
    assert (clean.returncode, clean.stdout) == (0, ""), clean.stderr
    (tree / ".bumper.yaml").write_text("version: 1\nrules:\n  - paths: ['.archive']\n    hold: true\n")
    named = _run("check", "--dir", str(tree))
    assert named.returncode == 1
    assert named.stdout.startswith(
        ".archive/web.yaml:4: $bumper marker 'ghcr.io/acme/app' resolves to no image"
    )

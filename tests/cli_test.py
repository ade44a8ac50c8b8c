"""The command line as the README and docs/reference.md describe it: exit codes, errors, output."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bumper.cli import main

ANSI = re.compile(r"\x1b\[")
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app  # the app
spec:
  template:
    spec:
      containers:
        - name: app
          image: "ghcr.io/acme/app:v1.0.0"  # pinned by CI
"""
BUMPED = DEPLOY.replace("ghcr.io/acme/app:v1.0.0", "ghcr.io/acme/app:v1.2.3")
REF = "ghcr.io/acme/app:v1.2.3"

# docs/reference.md "JSON output" keys; README documents `ignored` as an extension (files left alone),
# and `diff` is added to a dry run's JSON (read by bumper.ci_outputs).
BUMP_KEYS = {"status", "changes", "skipped", "branch", "pull_request", "commit", "not_found"}  # turn 2
BUMP_EXTENSIONS = {"ignored", "verified"}  # verified: --verify (README "Render-verify")
CHANGE_KEYS = ["file", "line", "shape", "old", "new"]
SKIP_KEYS = ["file", "line", "shape", "value", "reason"]
SCAN_KEYS = {"images"}
SCAN_EXTENSIONS = {"ignored", "unresolved"}  # unresolved: marker comments naming no image (docs/flux.md)
IMAGE_KEYS = ["file", "line", "column", "shape", "value", "registry", "repository", "tag", "digest"]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    # prog_name as the console script gives it (CliRunner would use the function name, `main`).
    result = CliRunner().invoke(main, list(args), env=env, prog_name="bumper")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bumper: error: "), result.stderr
    return lines[0]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "deploy.yaml").write_text(DEPLOY)
    return root


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- exit codes ----------------------------------------------------------------------------------


def test_exit_0_when_the_tree_is_rewritten(tree: Path) -> None:
    result = run("bump", REF, "--dir", str(tree))
    assert result.exit_code == 0, result.output
    assert (tree / "apps" / "deploy.yaml").read_text() == BUMPED
    assert result.stdout == "apps/deploy.yaml:10: ghcr.io/acme/app:v1.0.0 -> ghcr.io/acme/app:v1.2.3\n"


def test_exit_0_when_already_up_to_date(tree: Path) -> None:
    result = run("bump", "ghcr.io/acme/app:v1.0.0", "--dir", str(tree), "--output", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "up-to-date"
    assert (tree / "apps" / "deploy.yaml").read_text() == DEPLOY


def test_exit_1_on_unparseable_yaml_mentioning_the_image(tree: Path) -> None:
    (tree / "apps" / "broken.yaml").write_text("image: ghcr.io/acme/app:v1.0.0\nports: [80\n")
    before = files(tree)
    result = run("bump", REF, "--dir", str(tree))
    assert result.exit_code == 1
    assert one_error_line(result).startswith("bumper: error: apps/broken.yaml:")
    assert files(tree) == before


def test_exit_2_on_malformed_ref_with_one_line_naming_it(tree: Path) -> None:
    before = files(tree)
    result = run("bump", "ghcr.io/acme/App:v1..", "--dir", str(tree))
    assert result.exit_code == 2
    assert "ghcr.io/acme/App:v1.." in one_error_line(result)
    assert result.stdout == ""
    assert files(tree) == before


@pytest.mark.parametrize(
    "ref", ["ghcr.io/acme/app:", "ghcr.io/acme/app@sha256:abc", "ghcr.io//app:v1", " nginx:1", "-x"]
)
def test_exit_2_on_other_malformed_refs(tree: Path, ref: str) -> None:
    result = run("bump", "--dir", str(tree), "--", ref)
    assert result.exit_code == 2, result.output
    assert ref.strip() in one_error_line(result)


def test_exit_3_when_no_file_references_the_image(tree: Path) -> None:
    before = files(tree)
    result = run("bump", "ghcr.io/acme/other:v1", "--dir", str(tree))
    assert result.exit_code == 3
    assert "ghcr.io/acme/other:v1" in one_error_line(result)
    assert files(tree) == before


# --- options -------------------------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == "bumper 0.1.0\n"


@pytest.mark.parametrize(
    "command, expected",
    [
        ([], ["bump", "scan", "--version", "Exit codes"]),
        (["scan"], ["--dir", "--path", "--output"]),
        (["bump"], ["REF", "--repo", "--dir", "--dry-run", "--path", "--base", "--branch", "--provider",
                    "--api-url", "--title", "--body", "--commit-message", "--label", "--reviewer",
                    "--assignee", "--draft", "--automerge", "--author", "--allow-downgrade", "--output",
                    "BUMPER_IMAGES"]),
    ],
    ids=["bumper", "scan", "bump"],
)  # fmt: skip
def test_help_of_each_command(command: list[str], expected: list[str]) -> None:
    for flag in ("--help", "-h"):
        result = run(*command, flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: bumper"), result.stdout
        for word in expected:
            assert word in result.stdout, f"{word} missing from {' '.join(command)} --help"
        assert result.stderr == ""


def test_dir_and_repo_together_exit_2(tree: Path) -> None:
    result = run("bump", REF, "--dir", str(tree), "--repo", "https://example.invalid/acme/manifests.git")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "--repo" in line and "--dir" in line


def test_neither_dir_nor_repo_exit_2(tree: Path) -> None:
    result = run("bump", REF, env={"BUMPER_DIR": "", "BUMPER_REPO": ""})
    assert result.exit_code == 2
    one_error_line(result)


def test_no_ref_exit_2(tree: Path) -> None:
    result = run("bump", "--dir", str(tree), env={"BUMPER_IMAGES": ""})
    assert result.exit_code == 2
    assert "REF" in one_error_line(result)
    assert files(tree)["apps/deploy.yaml"] == DEPLOY.encode()


def test_bad_option_value_exit_2(tree: Path) -> None:
    result = run("bump", REF, "--dir", str(tree), "--output", "yaml")
    assert result.exit_code == 2
    assert "--output" in one_error_line(result)


def test_bumper_images_env_gives_the_refs(tree: Path) -> None:
    (tree / "apps" / "redis.yaml").write_text("image: redis:7.2.0\n")
    env = {"BUMPER_IMAGES": f"{REF} docker.io/library/redis:7.4.1", "BUMPER_DIR": str(tree)}
    result = run("bump", "--output", "json", env=env)
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert sorted((c["file"], c["new"]) for c in changes) == [
        ("apps/deploy.yaml", REF),
        ("apps/redis.yaml", "redis:7.4.1"),  # the file's spelling is kept
    ]
    assert (tree / "apps" / "redis.yaml").read_text() == "image: redis:7.4.1\n"


# --- JSON shapes ---------------------------------------------------------------------------------


def test_bump_json_shape_matches_the_contract(tree: Path) -> None:
    (tree / "apps" / "old.yaml").write_text("image: ghcr.io/acme/app:v9.0.0\n")  # skipped: downgrade
    result = run("bump", REF, "--dir", str(tree), "--output", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == BUMP_KEYS | BUMP_EXTENSIONS
    assert payload["status"] == "written"
    assert payload["branch"] is None and payload["pull_request"] is None and payload["commit"] is None
    assert [list(c) for c in payload["changes"]] == [CHANGE_KEYS]
    assert payload["changes"][0] == {
        "file": "apps/deploy.yaml",
        "line": 10,
        "shape": "container",
        "old": "ghcr.io/acme/app:v1.0.0",
        "new": REF,
    }
    assert [list(s) for s in payload["skipped"]] == [SKIP_KEYS]
    assert payload["skipped"][0] == {
        "file": "apps/old.yaml",
        "line": 1,
        "shape": "container",
        "value": "ghcr.io/acme/app:v9.0.0",
        "reason": "downgrade",
    }


def test_bump_json_dry_run_status_and_diff(tree: Path) -> None:
    result = run("bump", REF, "--dir", str(tree), "--output", "json", "--dry-run")
    payload = json.loads(result.stdout)
    assert set(payload) == BUMP_KEYS | BUMP_EXTENSIONS | {"diff"}
    assert payload["status"] == "dry-run"
    assert payload["diff"].startswith("--- a/apps/deploy.yaml\n+++ b/apps/deploy.yaml\n@@ ")
    assert (tree / "apps" / "deploy.yaml").read_text() == DEPLOY


def test_scan_json_shape_matches_the_contract(tree: Path) -> None:
    result = run("scan", "--dir", str(tree), "--output", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == SCAN_KEYS | SCAN_EXTENSIONS
    assert [list(i) for i in payload["images"]] == [IMAGE_KEYS]
    assert payload["images"][0] == {
        "file": "apps/deploy.yaml",
        "line": 10,
        "column": 18,
        "shape": "container",
        "value": "ghcr.io/acme/app:v1.0.0",
        "registry": "ghcr.io",
        "repository": "acme/app",
        "tag": "v1.0.0",
        "digest": None,
    }


# --- dry run, colour, verbosity ------------------------------------------------------------------


def test_dry_run_writes_nothing_and_prints_a_unified_diff(tree: Path) -> None:
    before = files(tree)
    result = run("bump", REF, "--dir", str(tree), "--dry-run")
    assert result.exit_code == 0, result.output
    assert files(tree) == before
    expected = "".join(
        difflib.unified_diff(
            DEPLOY.splitlines(keepends=True),
            BUMPED.splitlines(keepends=True),
            "a/apps/deploy.yaml",
            "b/apps/deploy.yaml",
        )
    )
    assert result.stdout == expected
    assert "would rewrite 1 reference(s) in 1 file(s)" in result.stderr
    assert not list(tree.rglob("*.bumper")), "a temp file was left behind"


def test_no_ansi_when_not_a_tty(tree: Path) -> None:
    for env in ({}, {"NO_COLOR": "1"}):
        result = run("bump", REF, "--dir", str(tree), "--dry-run", "-v", env=env)
        assert not ANSI.search(result.output), result.output


# --- scan positions ------------------------------------------------------------------------------

SCAN_TREE = {
    "deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: &init ghcr.io/acme/init:1.0
      containers:
        - {name: "café — ünïcode", image: 'ghcr.io/acme/app:v1.0.0'}
        - name: side
          image: *init
""",
    "values.yaml": """\
app:
  image:
    registry: ghcr.io
    repository: acme/app
    tag: "v1.0.0"
""",
    "kustomization.yaml": """\
images:
  - name: ghcr.io/acme/app
    newTag: v1.0.0
  - name: nginx
""",
    "cm.yaml": """\
data:
  version:   v1.0.0 # {"$bumper": "ghcr.io/acme/app:tag"}
""",
    "bom.yaml": "\ufeffimage: ghcr.io/acme/bom:1\n",
    "crlf.yaml": "a: 1\r\nimage:\r\n  ghcr.io/acme/crlf:2\r\n",
}
# (file, line) -> the text the scalar starts with at the reported column
SCAN_EXPECTED = {
    ("deploy.yaml", 8): "ghcr.io/acme/init:1.0",
    ("deploy.yaml", 10): "'ghcr.io/acme/app:v1.0.0'",
    ("values.yaml", 5): '"v1.0.0"',
    ("kustomization.yaml", 3): "v1.0.0",
    ("kustomization.yaml", 4): "nginx",
    ("cm.yaml", 2): "v1.0.0 #",
    ("bom.yaml", 1): "ghcr.io/acme/bom:1",
    ("crlf.yaml", 3): "ghcr.io/acme/crlf:2",
}


def test_scan_reports_file_line_column_of_the_scalar(tmp_path: Path) -> None:
    for name, text in SCAN_TREE.items():
        (tmp_path / name).write_bytes(text.encode())
    result = run("scan", "--dir", str(tmp_path), "--output", "json")
    assert result.exit_code == 0, result.output
    images = json.loads(result.stdout)["images"]
    assert sorted((i["file"], i["line"]) for i in images) == sorted(SCAN_EXPECTED)
    for image in images:
        text = SCAN_TREE[image["file"]].removeprefix("\ufeff")
        line = text.splitlines()[image["line"] - 1]
        at = line[image["column"] - 1 :]
        assert at.startswith(SCAN_EXPECTED[(image["file"], image["line"])]), (image, line)

    text = run("scan", "--dir", str(tmp_path))
    assert text.exit_code == 0
    for image in images:
        want = f"{image['file']}:{image['line']}:{image['column']}: {image['shape']}: {image['value']}"
        assert want in text.stdout.splitlines(), text.stdout


# --- import cost ---------------------------------------------------------------------------------


def _imported_top_levels(args: list[str], cwd: Path) -> set[str]:
    script = shutil.which("bumper")
    assert script is not None
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", script, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0])
    assert "bumper" in names, "importtime output not understood"
    return names


@pytest.mark.skipif(shutil.which("bumper") is None, reason="the bumper console script is not installed")
@pytest.mark.parametrize(
    "args",
    [["--version"], ["scan", "--dir", "."], ["bump", REF, "--dir", ".", "--dry-run"]],
    ids=["version", "scan", "bump-dir-dry-run"],
)
def test_local_commands_do_not_import_git_or_host_clients(tree: Path, args: list[str]) -> None:
    heavy = _imported_top_levels(args, tree) & {"git", "github", "gitlab", "requests"}
    assert not heavy, f"bumper {' '.join(args)} imported {sorted(heavy)}"


def test_not_found_still_prints_the_json_object(tree: Path) -> None:
    result = run("bump", "ghcr.io/acme/other:v1", "--dir", str(tree), "--output", "json")
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert payload["status"] == "not-found" and payload["changes"] == []


def test_list_options_from_the_environment_split_per_line_when_multiline(tree: Path) -> None:
    """A label with a space survives when the variable holds one value per line."""
    from bumper.cli import LIST_ITEM

    assert LIST_ITEM.split_envvar_value("area: deploy\nsecond label\n") == ["area: deploy", "second label"]
    assert LIST_ITEM.split_envvar_value("deps  infra") == ["deps", "infra"]


def test_json_flag_names_the_output_option(tree: Path) -> None:
    """`bumper scan --json` (the flag other tools spell JSON output with) said only that there
    is no such option; the line now says what to give."""
    for args in (("scan", "--dir", str(tree), "--json"), ("bump", REF, "--dir", str(tree), "--json")):
        result = run(*args)
        assert result.exit_code == 2
        line = one_error_line(result)
        assert "No such option '--json'; give --output json; see 'bumper " in line, line
    assert files(tree)["apps/deploy.yaml"] == DEPLOY.encode()

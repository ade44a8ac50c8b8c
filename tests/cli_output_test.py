"""What the command line prints: output levels, colours, JSON on every exit, --path and REF hints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bumper.cli import main
from testing.world import make_world

ANSI = re.compile(r"\x1b\[")
REF = "ghcr.io/acme/app:v1.2.3"
DEPLOY = "kind: Deployment\nspec:\n  containers:\n    - image: ghcr.io/acme/app:v1.0.0\n"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {"NO_COLOR": "", "FORCE_COLOR": "", "BUMPER_OUTPUT": "", "BUMPER_DIR": "", "BUMPER_IMAGES": ""}
    result = CliRunner().invoke(main, list(args), env={**base, **(env or {})}, prog_name="bumper")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """One file to bump, one reference skipped as a downgrade, one chart template left alone."""
    root = tmp_path / "tree"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "deploy.yaml").write_text(DEPLOY)
    (root / "apps" / "old.yaml").write_text("image: ghcr.io/acme/app:v9.0.0\n")
    (root / "chart" / "templates").mkdir(parents=True)
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (root / "chart" / "templates" / "deploy.yaml").write_text("image: ghcr.io/acme/app:{{ .Values.tag }}\n")
    return root


# --- levels ----------------------------------------------------------------------------------------

SKIP = "bumper: skipped apps/old.yaml:1: ghcr.io/acme/app:v9.0.0: downgrade"
IGNORED = "bumper: ignored chart/templates/deploy.yaml: helm-template"


def test_default_names_every_skip_with_its_reason_and_verbose_adds_the_files(tree: Path) -> None:
    default = run("bump", REF, "--dir", str(tree), "--dry-run")
    assert default.exit_code == 0, default.output
    err = default.stderr.splitlines()
    assert any(line.startswith(SKIP + " (") and "--allow-downgrade" in line for line in err), err
    assert err[-1] == "bumper: would rewrite 1 reference(s) in 1 file(s); skipped 1 downgrade"
    assert IGNORED not in err and not any("considered" in line for line in err)

    verbose = run("bump", REF, "--dir", str(tree), "--dry-run", "-v")
    err = verbose.stderr.splitlines()
    assert IGNORED in err
    considered = [line.removeprefix("bumper: considered ") for line in err if "considered" in line]
    assert considered == [
        "apps/deploy.yaml",
        "apps/old.yaml",
        "chart/Chart.yaml",
        "chart/templates/deploy.yaml",
    ]
    assert verbose.stdout == default.stdout  # the result is the same at every level

    quiet = run("bump", REF, "--dir", str(tree), "--dry-run", "-q")
    assert quiet.stderr == ""
    assert quiet.stdout == default.stdout


def test_quiet_prints_only_the_error(tree: Path) -> None:
    result = run("bump", "ghcr.io/acme/other:v1", "--dir", str(tree), "-q")
    assert result.exit_code == 3
    assert result.stderr.startswith("bumper: error: ") and result.stderr.count("\n") == 1


def test_quiet_and_verbose_together_is_a_usage_error_unless_one_comes_from_the_environment(
    tree: Path,
) -> None:
    both = run("bump", REF, "--dir", str(tree), "-q", "-v")
    assert both.exit_code == 2 and "-q and -v" in both.stderr
    flag_wins = run("bump", REF, "--dir", str(tree), "--dry-run", "-q", env={"BUMPER_VERBOSE": "1"})
    assert flag_wins.exit_code == 0 and flag_wins.stderr == ""


def test_scan_lists_ignored_files_only_with_verbose(tree: Path) -> None:
    default = run("scan", "--dir", str(tree))
    assert default.exit_code == 0, default.output
    assert "ignored" not in default.stderr.replace("left alone", "")
    assert default.stderr.splitlines() == [
        "bumper: 2 reference(s) in 2 file(s); 1 file(s) left alone (-v lists them)"
    ]
    verbose = run("scan", "--dir", str(tree), "-v")
    assert IGNORED in verbose.stderr.splitlines()
    assert verbose.stdout == default.stdout
    quiet = run("scan", "--dir", str(tree), "-q")
    assert quiet.stderr == "" and quiet.stdout == default.stdout


def test_a_rerun_with_nothing_new_prints_no_change_lines(tree: Path) -> None:
    first = run("bump", REF, "--dir", str(tree))
    assert first.stdout == "apps/deploy.yaml:4: ghcr.io/acme/app:v1.0.0 -> ghcr.io/acme/app:v1.2.3\n"
    again = run("bump", REF, "--dir", str(tree))
    assert again.exit_code == 0 and again.stdout == ""
    assert (
        again.stderr.splitlines()[-1] == "bumper: up to date: nothing to change (1 downgrade, 1 up-to-date)"
    )


def test_files_are_listed_in_name_order(tmp_path: Path) -> None:
    names = ["b.yaml", "a/z.yaml", "a.yaml", "a/b/c.yaml", "c/a.yaml", "B.yaml"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("image: nginx:1.0\n")
    scanned = run("scan", "--dir", str(tmp_path))
    assert [line.split(":")[0] for line in scanned.stdout.splitlines()] == sorted(names)
    bumped = run("bump", "nginx:1.1", "--dir", str(tmp_path), "--dry-run")
    assert [line[6:] for line in bumped.stdout.splitlines() if line.startswith("+++ b/")] == sorted(names)


# --- colour ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, env, coloured",
    [
        ([], {}, False),  # not a terminal
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "0"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the flag beats the environment
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"BUMPER_COLOR": "always"}, True),
    ],
)
def test_colour_follows_the_flag_then_no_color_then_force_color(
    tree: Path, flag: list[str], env: dict[str, str], coloured: bool
) -> None:
    result = run("bump", REF, "--dir", str(tree), "--dry-run", *flag, env=env)
    assert result.exit_code == 0, result.output
    assert bool(ANSI.search(result.stdout)) is coloured, result.stdout
    failed = run("bump", "ghcr.io/acme/other:v1", "--dir", str(tree), *flag, env=env)
    assert bool(ANSI.search(failed.stderr)) is coloured, failed.stderr
    assert ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", failed.stderr)).startswith("bumper: error: ")


# --- JSON on every exit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, code, kind",
    [
        (["bump", REF, "--dir", "{tree}", "--bogus"], 2, "usage"),
        (["bump", "ghcr.io/acme/App:v1..", "--dir", "{tree}"], 2, "bad-ref"),
        (["bump", REF, "--dir", "{tree}", "--author", "nobody"], 2, "bad-input"),
        (["bump", "v1.2.3", "--dir", "{tree}"], 2, "bad-input"),
        (["scan", "--dir", "{tree}", "--path", "nowhere/**"], 3, "not-found"),
    ],
    ids=["usage", "bad-ref", "bad-option", "tag-only", "scan-path"],
)
def test_json_output_prints_one_object_on_failure_too(
    tree: Path, args: list[str], code: int, kind: str
) -> None:
    args = [a.replace("{tree}", str(tree)) for a in args]
    result = run(*args, "--output", "json")
    assert result.exit_code == code
    payload = json.loads(result.stdout)
    assert payload["status"] == "failed" and payload["exit_code"] == code
    assert set(payload["error"]) == {"kind", "message", "file", "line"}
    assert payload["error"]["kind"] == kind
    assert payload["error"]["message"] in result.stderr  # the same words as the stderr line
    assert result.stderr.count("\n") == 1


def test_json_failure_names_the_file_and_line(tree: Path) -> None:
    (tree / "apps" / "broken.yaml").write_text("image: ghcr.io/acme/app:v1.0.0\nports: [80\n")
    result = run("bump", REF, "--dir", str(tree), env={"BUMPER_OUTPUT": "json"})
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert (error["kind"], error["file"]) == ("manifest", "apps/broken.yaml")
    assert isinstance(error["line"], int) and f"apps/broken.yaml:{error['line']}:" in result.stderr


def test_not_found_keeps_its_status_and_adds_the_error(tree: Path) -> None:
    result = run("bump", "ghcr.io/acme/other:v1", "--dir", str(tree), "--output", "json")
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert payload["status"] == "not-found" and payload["changes"] == []
    assert payload["error"]["kind"] == "not-found" and "ghcr.io/acme/other:v1" in payload["error"]["message"]


def test_not_found_names_every_ref_no_file_references(tree: Path) -> None:
    """`not_found` lists each REF no file references, also when that is every REF (exit 3), as
    it does when some other REF was found."""
    refs = ["ghcr.io/acme/other:v1", "quay.io/acme/nowhere:v2"]
    result = run("bump", *refs, "--dir", str(tree), "--output", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["not_found"] == refs


@pytest.mark.parametrize(
    ("args", "variable", "value"),
    [
        (["scan"], "BUMPER_OUTPUT", "yaml"),
        (["bump", REF], "BUMPER_DRY_RUN", "maybe"),
        (["bump", REF], "BUMPER_WAIT", "soon"),
    ],
)
def test_a_bad_value_from_the_environment_names_its_variable(
    tree: Path, args: list[str], variable: str, value: str
) -> None:
    """A CI job sets the variable (an Action input, a GitLab variable), not the flag: the line
    names both; the same value given as the flag names no variable."""
    result = run(*args, "--dir", str(tree), env={variable: value})
    assert result.exit_code == 2
    assert f"(from {variable}); see 'bumper {args[0]} --help'" in result.stderr
    flag = "--" + variable.removeprefix("BUMPER_").lower().replace("_", "-")
    as_flag = run(*args, "--dir", str(tree), f"{flag}={value}")
    assert as_flag.exit_code == 2 and "(from " not in as_flag.stderr


def test_text_output_prints_no_json_on_failure(tree: Path) -> None:
    result = run(
        "bump", REF, "--dir", str(tree), "--bogus", "--output", "text", env={"BUMPER_OUTPUT": "json"}
    )
    assert result.exit_code == 2 and result.stdout == ""


# --- --path that matches nothing --------------------------------------------------------------------


def test_a_path_matching_no_file_is_exit_3_with_a_hint(tree: Path) -> None:
    for command in (["bump", REF], ["scan"], ["check"]):  # check: a typo would check nothing, "no problems"
        result = run(*command, "--dir", str(tree), "--path", "app/*.yaml")
        assert result.exit_code == 3, result.output
        line = result.stderr.strip()
        assert "--path 'app/*.yaml' matches no YAML file" in line and "relative to its root" in line
        assert (tree / "apps" / "deploy.yaml").read_text() == DEPLOY


def test_one_path_matching_nothing_beside_others_is_a_warning(tree: Path) -> None:
    result = run("bump", REF, "--dir", str(tree), "--path", "apps/**", "--path", "typo/**", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "bumper: warning: --path 'typo/**' matches no file" in result.stderr.splitlines()
    scanned = run("scan", "--dir", str(tree), "--path", "apps/**", "--path", "typo/**")
    assert scanned.exit_code == 0 and "'typo/**' matches no file" in scanned.stderr
    checked = run("check", "--dir", str(tree), "--path", "apps/**", "--path", "typo/**")
    assert checked.exit_code == 0 and "'typo/**' matches no file" in checked.stderr


# --- hints for common mistakes -----------------------------------------------------------------------


def test_a_tag_alone_is_named_as_a_tag(tree: Path) -> None:
    for tag in ("v1.2.3", "1.2.3", "2.0.1-rc.1"):
        result = run("bump", tag, "--dir", str(tree))
        assert result.exit_code == 2
        assert f"'{tag}' is a tag, not an image reference" in result.stderr
        assert f"ghcr.io/acme/app:{tag}" in result.stderr


def test_comma_separated_refs_get_the_space_separated_command(tree: Path) -> None:
    result = run("bump", f"{REF},nginx:1.27", "--dir", str(tree))
    assert result.exit_code == 2
    assert f"bumper bump {REF} nginx:1.27" in result.stderr
    from_env = run("bump", "--dir", str(tree), env={"BUMPER_IMAGES": f"{REF},nginx:1.27"})
    assert from_env.exit_code == 2 and "BUMPER_IMAGES" in from_env.stderr


def test_bumper_dir_in_the_environment_with_repo_names_the_variable(tree: Path) -> None:
    result = run("bump", REF, "--repo", "https://example.invalid/acme/m.git", env={"BUMPER_DIR": str(tree)})
    assert result.exit_code == 2
    assert "BUMPER_DIR is set in the environment" in result.stderr and "unset BUMPER_DIR" in result.stderr
    result = run("bump", REF, "--dir", str(tree), env={"BUMPER_REPO": "https://example.invalid/acme/m.git"})
    assert result.exit_code == 2 and "unset BUMPER_REPO or drop --dir" in result.stderr


# --- the remote flow's text (one loopback world) -----------------------------------------------------


def test_remote_rerun_prints_no_change_lines_and_provider_none_dry_run_opens_nothing(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        dry = world.run("bump", REF, "--provider", "none", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "pull request" not in dry.stderr.replace("--provider none opens no pull request", "")
        assert "would push bumper/ghcr.io-acme-app" in dry.stderr

        first = world.run("bump", REF)
        assert first.returncode == 0, first.stderr
        assert " -> " in first.stdout and "opened" in first.stderr
        again = world.run("bump", REF)
        assert again.returncode == 0, again.stderr
        assert again.stdout == "", again.stdout
        assert "up to date" in again.stderr.splitlines()[-1]

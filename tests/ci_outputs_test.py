"""Tests for bumper.ci_outputs: GitHub outputs/summary and the GitLab dotenv report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bumper import ci_outputs
from bumper.ci_outputs import Result

OPENED = {
    "status": "opened",
    "changes": [
        {
            "file": "apps/web/deploy.yaml",
            "line": 12,
            "shape": "container",
            "old": "ghcr.io/acme/app:v1.2.2",
            "new": "ghcr.io/acme/app:v1.2.3",
        },
        {
            "file": "apps/web/deploy.yaml",
            "line": 30,
            "shape": "container",
            "old": "ghcr.io/acme/app:v1.2.2",
            "new": "ghcr.io/acme/app:v1.2.3",
        },
        {"file": "charts/values.yaml", "line": 4, "shape": "helm", "old": "v1.2.2", "new": "v1.2.3"},
    ],
    "skipped": [
        {
            "file": "legacy/old.yaml",
            "line": 3,
            "shape": "container",
            "value": "ghcr.io/acme/app:v9.0.0",
            "reason": "downgrade",
        },
    ],
    "branch": "bumper/ghcr.io-acme-app",
    "pull_request": {"url": "https://github.com/acme/manifests/pull/7", "number": 7},
}


def parse_github_output(text: str) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (`k=v` lines and `k<<DELIM` heredocs)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, value_ = line.split("=", 1)
            out[name] = value_
    return out


def parse_gitlab_dotenv(text: str) -> dict[str, str]:
    """Parse a dotenv report as GitLab does: `KEY=value` lines, stripped, quotes kept."""
    assert len(text.encode()) < 5 * 1024, "GitLab rejects dotenv reports of 5 KB or more"
    out = {}
    for line in text.split("\n")[:-1]:
        match = re.fullmatch(r"(.*?)=(.*)", line)
        assert match, f"invalid dotenv line {line!r}"
        key, value = (part.strip() for part in match.groups())
        assert re.fullmatch(r"[A-Za-z0-9_]+", key)
        out[key] = value
    assert text.endswith("\n")
    return out


def test_result_from_json() -> None:
    result = Result.from_json_text(json.dumps(OPENED))
    assert result.status == "opened"
    assert result.pr_url == "https://github.com/acme/manifests/pull/7"
    assert result.pr_number == "7"
    assert result.branch == "bumper/ghcr.io-acme-app"
    assert result.changed_files == ("apps/web/deploy.yaml", "charts/values.yaml")


@pytest.mark.parametrize("text", ["", "not json", "[]", "null"])
def test_no_result_means_failed(text: str) -> None:
    assert Result.from_json_text(text) == Result("failed", "", "", "", (), (), ())


@pytest.mark.parametrize(("code", "status"), [(3, "not-found"), (1, "failed"), (None, "failed")])
def test_no_result_status_follows_exit_code(code: int | None, status: str) -> None:
    assert Result.from_json_text("", code).status == status
    # A printed result always wins over the exit code.
    assert Result.from_json_text(json.dumps(OPENED), 3).status == "opened"


def test_dir_result_without_pr_or_branch() -> None:
    data = {
        "status": "dry-run",
        "changes": OPENED["changes"],
        "skipped": [],
        "branch": None,
        "pull_request": None,
    }
    outputs = ci_outputs.github_outputs(Result.from_json_text(json.dumps(data)))
    assert outputs == {
        "status": "dry-run",
        "pr-url": "",
        "pr-number": "",
        "branch": "",
        "changed-files": "apps/web/deploy.yaml\ncharts/values.yaml",
    }


def test_github_output_round_trips_through_runner_syntax() -> None:
    outputs = ci_outputs.github_outputs(Result.from_json_text(json.dumps(OPENED)))
    text = ci_outputs.github_output_text(outputs)
    assert parse_github_output(text) == outputs
    assert text.count("<<ghadelimiter_") == 5


def test_github_output_value_cannot_forge_another_output() -> None:
    # A file name that looks like an output line stays inside its heredoc.
    evil = "a.yaml\nstatus=pwned\nEOF"
    text = ci_outputs.github_output_text({"changed-files": evil, "status": "written"})
    assert parse_github_output(text) == {"changed-files": evil, "status": "written"}


def test_github_summary_table() -> None:
    summary = ci_outputs.github_summary(Result.from_json_text(json.dumps(OPENED)))
    assert summary.startswith("### bumper: opened\n")
    assert "Pull request #7: https://github.com/acme/manifests/pull/7" in summary
    assert "| file | line | change |" in summary
    assert (
        "| `apps/web/deploy.yaml` | 12 | `ghcr.io/acme/app:v1.2.2` → `ghcr.io/acme/app:v1.2.3` |" in summary
    )
    assert "| `charts/values.yaml` | 4 | `v1.2.2` → `v1.2.3` |" in summary
    assert "| `legacy/old.yaml` | 3 | `ghcr.io/acme/app:v9.0.0` | `downgrade` |" in summary


def test_github_summary_escapes_table_breakers() -> None:
    data = {
        "status": "written",
        "branch": None,
        "pull_request": None,
        "skipped": [],
        "changes": [{"file": "we|ird`s\nname.yaml", "line": 1, "shape": "marker", "old": "a", "new": "b"}],
    }
    summary = ci_outputs.github_summary(Result.from_json_text(json.dumps(data)))
    row = next(line for line in summary.splitlines() if "ird" in line)
    assert row == "| ``we\\|ird`s name.yaml`` | 1 | `a` → `b` |"


def test_github_summary_for_failure_and_no_change() -> None:
    assert "no result" in ci_outputs.github_summary(Result.from_json_text(""))
    up_to_date = {"status": "up-to-date", "changes": [], "skipped": [], "branch": None, "pull_request": None}
    assert "No file changed." in ci_outputs.github_summary(Result.from_json_text(json.dumps(up_to_date)))


def test_github_summary_shows_the_dry_run_diff() -> None:
    diff = "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-image: x:1 # ```\n+image: x:2 # ```\n"
    data = {
        "status": "dry-run",
        "changes": OPENED["changes"],
        "skipped": [],
        "branch": None,
        "pull_request": None,
        "diff": diff,
    }
    summary = ci_outputs.github_summary(Result.from_json_text(json.dumps(data)))
    assert "<details><summary>diff</summary>\n\n````diff\n" + diff + "````\n" in summary


def test_github_summary_is_bounded() -> None:
    change = {"file": "f.yaml", "line": 1, "shape": "container", "old": "a", "new": "b"}
    data = {
        "status": "written",
        "changes": [change] * 1000,
        "skipped": [],
        "branch": None,
        "pull_request": None,
    }
    summary = ci_outputs.github_summary(Result.from_json_text(json.dumps(data)))
    assert summary.count("| `f.yaml` |") == ci_outputs.SUMMARY_MAX_ROWS
    assert "… and 800 more changes." in summary


def test_gitlab_dotenv() -> None:
    text = ci_outputs.gitlab_dotenv(Result.from_json_text(json.dumps(OPENED)))
    assert parse_gitlab_dotenv(text) == {
        "BUMPER_STATUS": "opened",
        "BUMPER_PR_URL": "https://github.com/acme/manifests/pull/7",
        "BUMPER_PR_NUMBER": "7",
        "BUMPER_BRANCH": "bumper/ghcr.io-acme-app",
        "BUMPER_CHANGED_FILES": "apps/web/deploy.yaml charts/values.yaml",
    }


def test_gitlab_dotenv_escapes_whitespace_and_newlines() -> None:
    data = {
        "status": "written",
        "branch": None,
        "pull_request": None,
        "skipped": [],
        "changes": [{"file": "my dir/a\nb=c%.yaml", "line": 1, "shape": "container", "old": "a", "new": "b"}],
    }
    env = parse_gitlab_dotenv(ci_outputs.gitlab_dotenv(Result.from_json_text(json.dumps(data))))
    assert env["BUMPER_CHANGED_FILES"] == "my%20dir/a%0Ab=c%25.yaml"
    assert urllib.parse.unquote(env["BUMPER_CHANGED_FILES"]) == "my dir/a\nb=c%.yaml"


def test_gitlab_dotenv_truncates_long_file_lists() -> None:
    files = [f"clusters/prod-{i:04}/apps/web/deployment.yaml" for i in range(500)]
    data = {
        "status": "opened",
        "branch": "b",
        "pull_request": None,
        "skipped": [],
        "changes": [{"file": f, "line": 1, "shape": "container", "old": "a", "new": "b"} for f in files],
    }
    text = ci_outputs.gitlab_dotenv(Result.from_json_text(json.dumps(data)))
    env = parse_gitlab_dotenv(text)
    assert len(text.encode()) <= ci_outputs.DOTENV_MAX_BYTES
    kept, marker = env["BUMPER_CHANGED_FILES"].rsplit(" ", 1)
    kept_files = kept.split(" ")
    assert kept_files == files[: len(kept_files)]
    assert marker == f"...+{500 - len(kept_files)}-more"


@given(
    files=st.lists(st.text(min_size=1, max_size=80), max_size=200, unique=True),
    status=st.sampled_from(["written", "dry-run", "opened", "updated", "up-to-date", "not-found"]),
    branch=st.one_of(st.none(), st.text(max_size=100)),
)
def test_gitlab_dotenv_always_valid(files: list[str], status: str, branch: str | None) -> None:
    data = {
        "status": status,
        "branch": branch,
        "pull_request": None,
        "skipped": [],
        "changes": [{"file": f, "line": 1, "shape": "container", "old": "a", "new": "b"} for f in files],
    }
    text = ci_outputs.gitlab_dotenv(Result.from_json_text(json.dumps(data)))
    env = parse_gitlab_dotenv(text)
    assert len(text.encode()) <= ci_outputs.DOTENV_MAX_BYTES
    assert list(env) == [
        "BUMPER_STATUS",
        "BUMPER_PR_URL",
        "BUMPER_PR_NUMBER",
        "BUMPER_BRANCH",
        "BUMPER_CHANGED_FILES",
    ]
    assert urllib.parse.unquote(env["BUMPER_BRANCH"]) == (branch or "")
    tokens = env["BUMPER_CHANGED_FILES"].split(" ") if files else []
    if tokens and re.fullmatch(r"\.\.\.\+\d+-more", tokens[-1]):
        tokens = tokens[:-1]
    assert [urllib.parse.unquote(t) for t in tokens] == files[: len(tokens)]


def test_main_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = tmp_path / "result.json"
    result.write_text(json.dumps(OPENED))
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("earlier=kept\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert ci_outputs.main(["github", str(result)]) == 0
    parsed = parse_github_output(output.read_text())
    assert parsed["earlier"] == "kept"
    assert parsed["pr-number"] == "7"
    assert "| file | line | change |" in summary.read_text()


def test_main_github_needs_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert ci_outputs.main(["github", str(tmp_path / "missing.json")]) == 2
    assert "GITHUB_OUTPUT is not set" in capsys.readouterr().err


def test_main_gitlab_missing_result_is_failed(tmp_path: Path) -> None:
    dotenv = tmp_path / "bumper.env"
    assert ci_outputs.main(["gitlab", str(tmp_path / "missing.json"), "--dotenv", str(dotenv)]) == 0
    assert parse_gitlab_dotenv(dotenv.read_text())["BUMPER_STATUS"] == "failed"
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert ci_outputs.main(["gitlab", str(empty), "--dotenv", str(dotenv), "--exit-code", "3"]) == 0
    assert parse_gitlab_dotenv(dotenv.read_text())["BUMPER_STATUS"] == "not-found"


def test_module_entry_point_does_not_import_click(tmp_path: Path) -> None:
    result = tmp_path / "result.json"
    result.write_text(json.dumps(OPENED))
    code = (
        "import runpy, sys; sys.argv = ['x', 'gitlab', sys.argv[1], '--dotenv', sys.argv[2]];"
        "\ntry:\n    runpy.run_module('bumper.ci_outputs', run_name='__main__')"
        "\nexcept SystemExit as e:\n    assert e.code == 0, e.code"
        "\nassert 'click' not in sys.modules"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(result), str(tmp_path / "out.env")],
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert "BUMPER_PR_NUMBER=7\n" in (tmp_path / "out.env").read_text()

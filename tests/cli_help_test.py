"""The help a person reads: `bumper` alone, examples and placeholders in --help, shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner, Result

from bumper.changes import PLACEHOLDERS, template_values
from bumper.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, prog_name="bumper")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_bumper_alone_prints_the_help_and_succeeds() -> None:
    result = run()
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == run("--help").stdout
    for word in ("Usage: bumper", "bump", "scan", "completion", "Examples:", "Exit codes"):
        assert word in result.stdout


def test_bump_help_shows_the_three_examples_and_every_placeholder() -> None:
    text = run("bump", "--help").stdout
    examples = text[text.index("Examples:") :]
    assert "bumper bump ghcr.io/acme/app:v1.2.3 --dir . --dry-run" in examples
    # kept as written (never re-wrapped), so it can be copied into a shell as it stands
    assert (
        "    bumper bump ghcr.io/acme/app:v1.2.3 --label deps \\\n"
        "        --repo https://github.com/acme/manifests.git\n"
    ) in examples
    assert "--output json" in examples
    listed = text[text.index("Placeholders of") :]
    for name, meaning in PLACEHOLDERS.items():
        assert f"{{{name}}}" in listed and meaning in listed, name


def test_the_listed_placeholders_are_exactly_the_ones_templates_take() -> None:
    assert list(template_values(["ghcr.io/acme/app:v1"], [], "b", "main", {})) == list(PLACEHOLDERS)


def test_scan_help_shows_examples() -> None:
    text = run("scan", "--help").stdout
    assert "Examples:" in text and "bumper scan --dir ." in text and "-v" in text


@pytest.mark.parametrize(
    ("command", "example", "codes"),
    [
        ("check", "bumper check --dir .", ("0 no problem", "1 a problem", "2 bad input", "3 no --path")),
        ("history", "bumper history ghcr.io/acme/app --dir .", ("2 bad input", "3 no file references IMAGE")),
    ],
)
def test_check_and_history_help_show_examples_and_exit_codes(
    command: str, example: str, codes: tuple[str, ...]
) -> None:
    """README: `bumper COMMAND --help` prints the help with examples, for every command."""
    text = run(command, "--help").stdout
    assert "Examples:" in text and example in text
    exit_codes = " ".join(text[text.index("Exit codes:") :].split())
    for code in codes:
        assert code in exit_codes, code


def test_bump_help_names_every_hosts_token_variable() -> None:
    text = " ".join(run("bump", "--help").stdout.split())
    for variable in (
        "BUMPER_TOKEN",
        "GITHUB_TOKEN",
        "GITLAB_TOKEN",
        "GITEA_TOKEN",
        "BITBUCKET_TOKEN",
        "AZURE_DEVOPS_TOKEN",
    ):
        assert variable in text, variable


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_each_shell(shell: str) -> None:
    result = run("completion", shell)
    assert result.exit_code == 0, result.output
    assert "_BUMPER_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout  # what the script asks bumper for


def test_completion_rejects_an_unknown_shell() -> None:
    result = run("completion", "tcsh")
    assert result.exit_code == 2 and "tcsh" in result.stderr


def test_completion_answers_what_the_script_asks() -> None:
    env = {"_BUMPER_COMPLETE": "bash_complete", "COMP_WORDS": "bumper bump --dry", "COMP_CWORD": "2"}
    result = run(env=env)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["plain,--dry-run"]


@pytest.mark.skipif(
    shutil.which("bumper") is None or shutil.which("bash") is None,
    reason="needs the bumper console script and bash",
)
def test_the_bash_script_completes_commands_and_options_in_bash() -> None:
    script = subprocess.run(
        ["bumper", "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    probe = (
        f"{script}\n"
        'ask() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bumper_completion bumper; '
        'echo "${COMPREPLY[@]}"; }\n'
        "ask bumper sc\n"
        "ask bumper bump --allow\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    out = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["scan", "--allow-downgrade"]

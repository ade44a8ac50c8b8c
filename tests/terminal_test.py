"""The CLI on a terminal, as a person sees it (pexpect drives the console script on a pty):
colours, NO_COLOR, --color, and help screens that fit an 80-column window."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect", reason="pexpect (a test extra) drives the pseudo-terminal")

BUMPER = shutil.which("bumper")
pytestmark = pytest.mark.skipif(BUMPER is None, reason="the bumper console script is not installed")

REF = "ghcr.io/acme/app:v1.2.3"
SGR = re.compile(r"\x1b\[[0-9;]*m")
COLUMNS = 80


def on_a_terminal(*args: str, **env: str) -> tuple[str, int]:
    """Run `bumper ARGS` on an 80x40 pseudo-terminal; return what it showed and the exit code."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "NO_COLOR", "FORCE_COLOR"))}
    base.pop("COLUMNS", None)
    base.update(TERM="xterm-256color", **env)
    child = pexpect.spawn(
        BUMPER, list(args), env=base, dimensions=(40, COLUMNS), encoding="utf-8", timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.before.replace("\r\n", "\n"), child.exitstatus


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text("spec:\n  containers:\n    - image: ghcr.io/acme/app:v1.0.0\n")
    (tmp_path / "old.yaml").write_text("image: ghcr.io/acme/app:v9.0.0\n")
    return tmp_path


def test_the_diff_is_coloured_on_a_terminal(tree: Path) -> None:
    shown, code = on_a_terminal("bump", REF, "--dir", str(tree), "--dry-run")
    assert code == 0, shown
    assert "\x1b[31m-    - image: ghcr.io/acme/app:v1.0.0\x1b[0m" in shown
    assert "\x1b[32m+    - image: ghcr.io/acme/app:v1.2.3\x1b[0m" in shown
    assert "\x1b[36m@@" in shown
    assert "bumper: skipped old.yaml:1: ghcr.io/acme/app:v9.0.0: downgrade" in shown  # plain text


@pytest.mark.parametrize(
    "args, env",
    [([], {"NO_COLOR": "1"}), (["--color", "never"], {}), (["--color", "never"], {"FORCE_COLOR": "1"})],
    ids=["NO_COLOR", "color-never", "color-never-beats-FORCE_COLOR"],
)
def test_no_colour_when_asked(tree: Path, args: list[str], env: dict[str, str]) -> None:
    shown, code = on_a_terminal("bump", REF, "--dir", str(tree), "--dry-run", *args, **env)
    assert code == 0, shown
    assert "+    - image: ghcr.io/acme/app:v1.2.3" in shown
    assert "\x1b[" not in shown, shown


def test_an_error_is_one_red_word_on_a_terminal(tree: Path) -> None:
    shown, code = on_a_terminal("bump", "ghcr.io/acme/other:v1", "--dir", str(tree))
    assert code == 3
    assert shown.startswith("bumper: \x1b[31merror:\x1b[0m no file references ghcr.io/acme/other:v1"), shown
    plain, _ = on_a_terminal("bump", "ghcr.io/acme/other:v1", "--dir", str(tree), NO_COLOR="1")
    assert plain == SGR.sub("", shown)


@pytest.mark.parametrize(
    "args", [[], ["bump", "--help"], ["promote", "--help"], ["scan", "--help"], ["completion", "--help"]]
)
def test_help_screens_fit_an_80_column_terminal(args: list[str]) -> None:
    shown, code = on_a_terminal(*args)
    assert code == 0, shown
    assert shown.startswith("Usage: bumper")
    too_wide = [line for line in shown.splitlines() if len(line) > COLUMNS]
    assert not too_wide, too_wide
    assert "\x1b[" not in shown
    if args == ["bump", "--help"]:
        assert "Examples:" in shown and "{table}" in shown and "--color [auto|always|never]" in shown

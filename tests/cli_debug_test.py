"""`--debug` (or BUMPER_DEBUG) is an option click parses: it alone adds the traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bumper.cli import main


def _boom(*args: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "args,env,traceback",
    [
        (["scan"], {}, False),
        (["--debug", "scan"], {}, True),
        (["scan"], {"BUMPER_DEBUG": "1"}, True),
        (["scan"], {"BUMPER_DEBUG": "0"}, False),
        (["scan", "--path", "--debug"], {}, False),  # a value that looks like the flag is a value
    ],
)
def test_internal_error_traceback_only_with_debug(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], traceback: bool
) -> None:
    monkeypatch.setattr("bumper.commands.scan.scan", _boom)
    monkeypatch.setattr("sys.argv", ["bumper", *args])
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1
    assert result.stderr.endswith("bumper: internal error (please report): RuntimeError: boom\n")
    assert ("Traceback (most recent call last)" in result.stderr) == traceback

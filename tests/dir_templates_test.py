"""--title, --body and --commit-message are checked for --dir too: a placeholder typo is exit 2
on a developer's machine, not first in CI against the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import forkserver

FILE = b"spec:\n  image: ghcr.io/acme/app:v1.0.0\n"


@pytest.mark.parametrize(
    "args, env, message",
    [
        (("--title", "Bump {imgaes}"), {}, "unknown placeholder {imgaes} in --title"),
        (("--body", "{tabel}"), {}, "unknown placeholder {tabel} in --body"),
        (("--commit-message", "{nope}"), {}, "unknown placeholder {nope} in --commit-message"),
        ((), {"BUMPER_TITLE": "{foo}"}, "unknown placeholder {foo} in --title"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "write"])
def test_unknown_placeholder_is_exit_2_and_nothing_is_written(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str, dry_run: bool
) -> None:
    (tmp_path / "app.yaml").write_bytes(FILE)
    extra = ["--dry-run"] if dry_run else []
    proc = forkserver.run(["bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tmp_path), *args, *extra], env=env)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("bumper: error: ") and message in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "{verified}" in proc.stderr  # names the valid ones
    assert (tmp_path / "app.yaml").read_bytes() == FILE


def test_valid_templates_pass(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_bytes(FILE)
    args = [
        "--title",
        "Deploy {images}",
        "--body",
        "{table}\n{verified}",
        "--commit-message",
        "{count} {{x}}",
    ]
    proc = forkserver.run(["bump", "ghcr.io/acme/app:v1.1.0", "--dir", str(tmp_path), *args])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app.yaml").read_bytes() == FILE.replace(b"v1.0.0", b"v1.1.0")

"""BUMPER_SIGNING_KEY: git signs the bump commit with an SSH key; `git verify-commit` accepts it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testing import repos
from testing.world import World, make_world

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
BRANCH = "bumper/ghcr.io-acme-app"
EMAIL = "bumper-bot@users.noreply.github.com"


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, "github") as w:
        yield w


def keypair(where: Path, passphrase: str = "") -> tuple[Path, str]:
    key = where / f"key{len(passphrase)}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "ci", "-f", str(key)], check=True
    )
    return key, key.with_suffix(".pub").read_text().strip()


def verify(world: World, public: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    allowed = tmp / "allowed_signers"
    allowed.write_text(f"{EMAIL} {public}\n")
    return subprocess.run(
        [
            "git",
            "-c",
            "gpg.format=ssh",
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed}",
            "verify-commit",
            BRANCH,
        ],
        cwd=world.bare,
        env=repos.git_env(),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("given_as", ["path", "text"])
def test_the_bump_commit_is_signed_and_verifies(world: World, tmp_path: Path, given_as: str) -> None:
    key, public = keypair(tmp_path)
    value = str(key) if given_as == "path" else key.read_text()
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()

    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", BUMPER_SIGNING_KEY=value, TMPDIR=str(own_tmp))

    assert proc.returncode == 0, proc.stderr
    checked = verify(world, public, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert f'Good "git" signature for {EMAIL}' in checked.stderr
    assert "PRIVATE KEY" not in proc.stdout + proc.stderr
    assert os.listdir(own_tmp) == []  # the key's private copy and the clone are gone


def test_another_key_does_not_verify_and_unsigned_stays_unsigned(world: World, tmp_path: Path) -> None:
    _, public = keypair(tmp_path)
    assert world.run("bump", "ghcr.io/acme/app:v1.2.3").returncode == 0
    assert verify(world, public, tmp_path).returncode != 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("passphrase", "BUMPER_SIGNING_KEY cannot sign: it needs a passphrase"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nbroken\n-----END OPENSSH PRIVATE KEY-----",
            "it is not a private key",
        ),
        ("/nonexistent/key", "BUMPER_SIGNING_KEY: cannot read key file '/nonexistent/key'"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n", "holds an OpenPGP key"),
    ],
)
def test_a_key_that_cannot_sign_fails_before_anything_is_pushed(
    world: World, tmp_path: Path, value: str, message: str
) -> None:
    if value == "passphrase":
        key, _ = keypair(tmp_path, "secret")
        value = key.read_text()
    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", BUMPER_SIGNING_KEY=value)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert "-----BEGIN" not in proc.stderr
    assert world.branch_sha(BRANCH) is None


def test_a_signed_bump_stays_bumpers_own_branch(world: World, tmp_path: Path) -> None:
    key, public = keypair(tmp_path)
    assert world.run("bump", "ghcr.io/acme/app:v1.2.3", BUMPER_SIGNING_KEY=str(key)).returncode == 0

    again = world.run("bump", "ghcr.io/acme/app:v1.2.4", "--output", "json", BUMPER_SIGNING_KEY=str(key))

    assert again.returncode == 0, again.stderr
    assert '"status": "updated"' in again.stdout
    assert repos.count_commits(world.bare, BRANCH, since="main") == 1
    assert verify(world, public, tmp_path).returncode == 0

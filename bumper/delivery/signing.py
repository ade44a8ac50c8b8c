"""BUMPER_SIGNING_KEY: sign the commits bumper makes with git, with an SSH key that never reaches the clone.

The key (a path, or the key text itself as a CI secret holds it) is copied into a private
temporary directory (0700, the file 0600) outside the clone, handed to git as
`user.signingKey` on the command line of the one `commit-tree` that signs, and removed when
the run ends. Its text never appears in argv, `.git/config`, output or errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bumper.errors import ConfigError

VARIABLE = "BUMPER_SIGNING_KEY"
_HINT = (
    "give an unencrypted OpenSSH private key (its text or a path), e.g. from `ssh-keygen -t ed25519 -N ''`"
)


@contextmanager
def signing_config(env: Mapping[str, str]) -> Iterator[list[tuple[str, str]]]:
    """The git configuration that signs a commit with the key in BUMPER_SIGNING_KEY (empty
    when it is unset); the key's private copy exists only inside this block."""
    value = env.get(VARIABLE, "")
    if not value.strip():
        yield []
        return
    if shutil.which("ssh-keygen") is None:
        raise ConfigError(f"{VARIABLE} is set but ssh-keygen is not installed; install openssh-client")
    with tempfile.TemporaryDirectory(prefix="bumper-key-") as tmp:
        key = Path(tmp) / "signing-key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_key_bytes(value))
        _check(key)
        yield [("gpg.format", "ssh"), ("user.signingKey", str(key))]


def _key_bytes(value: str) -> bytes:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        if "PGP" in text.split("\n", 1)[0]:
            raise ConfigError(f"{VARIABLE} holds an OpenPGP key; only SSH keys sign here: {_HINT}")
        return text.replace("\r\n", "\n").encode() + b"\n"
    path = Path(text).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        # The value is a path here, not key text: naming it helps and leaks nothing.
        raise ConfigError(f"{VARIABLE}: cannot read key file {text!r} ({exc.strerror}); {_HINT}") from None


def _check(key: Path) -> None:
    """Refuse a key git could not sign with (a passphrase would hang or fail in CI)."""
    proc = subprocess.run(
        ["ssh-keygen", "-y", "-P", "", "-f", str(key)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )
    if proc.returncode != 0:
        reason = (
            "it needs a passphrase" if b"passphrase" in proc.stderr.lower() else "it is not a private key"
        )
        raise ConfigError(f"{VARIABLE} cannot sign: {reason}; {_HINT}")

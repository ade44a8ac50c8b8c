"""What the git layer's tests share: a token, a bot author, a small manifests tree, and a clone
of it from the loopback git server (tests/git/conftest.py has the fixtures)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

from bumper.git.clone import Clone
from bumper.git.clone import clone as git_clone
from testing.git_server import GitServer

TOKEN = "tok-5f3a9c1e7b2d4e6f8a0b"  # noqa: S105 - distinctive, so a leak is easy to grep for
TOKEN_B64 = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
BOT = ("bumper-bot", "bot@example.invalid")

MANIFESTS = {
    "apps/api/deploy.yaml": b"image: ghcr.io/acme/api:1.0.0\n",
    "apps/web/values.yml": b"image:\n  repository: ghcr.io/acme/web\n  tag: 2.0.0\n",
    "docs/README.md": b"# docs\n",
}


def clone(server: GitServer, tmp_path: Path, name: str = "m", **kw: object) -> Clone:
    """A fresh clone of `name` on the server into tmp_path/clone-N (token and default base unless given)."""
    kw.setdefault("base", None)
    kw.setdefault("token", TOKEN)
    kw.setdefault("env", os.environ)
    kw.setdefault("dest", tmp_path / f"clone-{len(list(tmp_path.glob('clone-*')))}")
    return git_clone(server.url_for(name), **kw)  # type: ignore[arg-type]


def bump_api(cloned: Clone, tag: str) -> None:
    """Change the api image's tag in the work tree, as a rewrite would."""
    (cloned.path / "apps/api/deploy.yaml").write_bytes(f"image: ghcr.io/acme/api:{tag}\n".encode())


def all_bytes_under(path: Path) -> Iterator[tuple[Path, bytes]]:
    """Every regular file under `path` with its bytes (a leaked token would be in one)."""
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            yield p, p.read_bytes()

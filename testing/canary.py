"""Where a leaked token would show, and one assertion that it shows nowhere.

`assert_no_canary(world, proc)` looks for the canary token (and any extra secrets a test used,
e.g. the token it swapped in mid-run) in:

- the run's stdout and stderr (each also in its `Authorization: Basic` form);
- every PR/MR title and body the fake host holds, and every request it recorded
  (path, query, JSON body, headers other than the credential headers it never records);
- every object of the served repository: each commit's author, committer and message, and every
  blob and tree (the pushed tree, and any object a push left unreferenced), plus the ref names;
- every request path and query the loopback git server recorded.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from testing import repos
from testing.world import CANARY, World


def secret_forms(secret: str) -> list[str]:
    """The token as a user could leak it: raw, inside a Basic header for any user (the base64
    of its bytes at each of the three alignments a prefix can give them), percent-encoded."""
    # Spelled out here, not taken from bumper.secrets._encoded: the canary must not look only
    # where the scrubber it checks already looks.
    forms = [secret]
    for user in ("x-access-token", "oauth2", "git", "", "x-token-auth"):
        forms.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    raw = secret.encode()
    for skip in range(3):
        whole = len(raw[skip:]) // 3 * 3
        forms.append(base64.b64encode(raw[skip : skip + whole]).decode())
    forms += [quote(secret, safe=""), quote_plus(secret, safe="")]
    return list(dict.fromkeys(forms))


def _where(haystacks: Iterable[tuple[str, str]], secrets: list[str]) -> list[str]:
    hits = []
    for place, text in haystacks:
        for secret in secrets:
            for form in secret_forms(secret):
                if form in text:
                    hits.append(f"{place} contains {'the token' if form == secret else 'its Basic form'}")
    return hits


def repo_texts(world: World) -> list[tuple[str, str]]:
    """Ref names, commit headers and messages, and the bytes of every object the served
    repository holds: all that is reachable from a ref, and any object a push left behind."""
    bare = world.bare
    out: list[tuple[str, str]] = [("ref names", "\n".join(_ref_names(bare)))]
    batch = subprocess.run(  # one process: no rev-list to find the objects first
        ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        cwd=bare,
        capture_output=True,
        env=repos.git_env(),
        check=True,
    ).stdout
    if batch:
        out.append(("a commit, tree or blob of the served repository", batch.decode("utf-8", "replace")))
    return out


def _ref_names(bare: Path) -> list[str]:
    """What `git for-each-ref --format=%(refname)` lists, read from the files (no process)."""
    names = [p.relative_to(bare).as_posix() for p in sorted((bare / "refs").rglob("*")) if p.is_file()]
    packed = bare / "packed-refs"
    if packed.is_file():
        for line in packed.read_bytes().decode("utf-8", "replace").splitlines():
            if line and line[0] not in "#^":
                names.append(line.partition(" ")[2])
    return names


def host_texts(world: World) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for rec in world.host.pulls:
        out.append((f"PR #{rec.number} title", rec.title))
        out.append((f"PR #{rec.number} body", rec.body))
        out.append(
            (
                f"PR #{rec.number} labels/reviewers/assignees",
                json.dumps([rec.labels, rec.reviewers, rec.assignees]),
            )
        )
    for req in list(world.host.requests):
        record: Any = [req.method, req.path, req.query, req.body, req.headers]
        out.append((f"API request {req.method} {req.path}", json.dumps(record, default=str)))
    return out


def git_server_texts(world: World) -> list[tuple[str, str]]:
    return [(f"git request {r.method} {r.path}", f"{r.path}?{r.query}") for r in list(world.git.requests)]


def canary_hits(world: World, proc: Any = None, *, extra: Iterable[str] = ()) -> list[str]:
    """Every place the canary (or an `extra` secret) shows; empty when none."""
    secrets = [CANARY, *extra]
    haystacks: list[tuple[str, str]] = []
    if proc is not None:
        haystacks += [("stdout", proc.stdout or ""), ("stderr", proc.stderr or "")]
    haystacks += host_texts(world) + git_server_texts(world) + repo_texts(world)
    return _where(haystacks, secrets)


def assert_no_canary(world: World, proc: Any = None, *, extra: Iterable[str] = ()) -> None:
    """Fail, naming the places, when the token shows in any output, PR, commit, tree or request."""
    hits = canary_hits(world, proc, extra=extra)
    assert not hits, "token leaked: " + "; ".join(hits)

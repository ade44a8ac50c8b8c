"""Bare-repository factories and readers for tests and benchmarks.

Repositories are written with `git fast-import`, so file bytes land in the repo exactly as given:
no `.gitattributes` filter or eol conversion runs while building a fixture, and big repos (thousands
of commits and files) build in seconds.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

BOT_NAME = "bumper-test"
BOT_EMAIL = "bumper-test@example.invalid"
_DATE = 1_700_000_000


def git_env() -> dict[str, str]:
    """An environment for fixture git calls: no user/system config, fixed identity."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_CONFIG_") or key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            del env[key]
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=BOT_NAME,
        GIT_AUTHOR_EMAIL=BOT_EMAIL,
        GIT_COMMITTER_NAME=BOT_NAME,
        GIT_COMMITTER_EMAIL=BOT_EMAIL,
        GIT_TERMINAL_PROMPT="0",
    )
    return env


def git(*args: str | os.PathLike[str], cwd: Path | None = None, input: bytes | None = None) -> bytes:  # noqa: A002
    """Run git with the fixture environment; return stdout, raise CalledProcessError on failure."""
    return subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        input=input,
        env=git_env(),
        capture_output=True,
        check=True,
    ).stdout


def _tree_files(tree: Mapping[str, bytes] | Path) -> dict[str, bytes]:
    if isinstance(tree, Mapping):
        return {str(k): bytes(v) for k, v in tree.items()}
    root = Path(tree)
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _commit_stream(
    ref: str,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    mark: int,
    parent: str | None,
    when: int,
    deleteall: bool = False,
) -> bytes:
    """One fast-import commit; a None value deletes that path."""
    out = [b"commit " + ref.encode() + b"\n", b"mark :%d\n" % mark]
    ident = f"{BOT_NAME} <{BOT_EMAIL}> {when} +0000".encode()
    out += [b"author " + ident + b"\n", b"committer " + ident + b"\n", _data(message.encode())]
    if parent:
        out.append(b"from " + parent.encode() + b"\n")
    if deleteall:
        out.append(b"deleteall\n")
    for path, content in files.items():
        quoted = _quote_path(path)
        if content is None:
            out.append(b"D " + quoted + b"\n")
        else:
            out.append(b"M 100644 inline " + quoted + b"\n" + _data(content))
    return b"".join(out)


def _quote_path(path: str) -> bytes:
    raw = path.encode()
    if any(c in raw for c in b'"\n\\ ') or raw.startswith(b'"'):
        escaped = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
        return b'"' + escaped + b'"'
    return raw


# Partial clone and fetching any object allowed, as GitHub/GitLab do; pushes over HTTP; no
# `git gc --auto` after each push (a process per push, nothing to collect in a test's life).
_SERVE_CONFIG = """\
[uploadpack]
\tallowFilter = true
\tallowAnySHA1InWant = true
[http]
\treceivepack = true
[receive]
\tautogc = false
"""


def _serve_config(bare: Path) -> None:
    """Append the serving settings to the bare repository's config file: one write instead of
    a `git config` process per key (the suite makes about a thousand of these repositories)."""
    with open(bare / "config", "a", encoding="utf-8") as f:
        f.write(_SERVE_CONFIG)


def init_bare(path: Path, *, default_branch: str = "main") -> Path:
    """An empty bare repository whose HEAD points at `default_branch`, ready to serve."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--bare", "--quiet", f"--initial-branch={default_branch}", str(path))
    _serve_config(path)
    return path


def make_bare_repo(
    path: Path,
    tree: Mapping[str, bytes] | Path,
    *,
    branch: str = "main",
    message: str = "initial manifests",
) -> Path:
    """A bare repo at `path` with one commit on `branch` (also HEAD) holding `tree`.

    `tree` is a dict {relpath: bytes} or a directory to copy (its `.git/` skipped).
    """
    bare = init_bare(path, default_branch=branch)
    stream = _commit_stream(
        f"refs/heads/{branch}", _tree_files(tree), message, mark=1, parent=None, when=_DATE
    )
    git("fast-import", "--quiet", cwd=bare, input=stream)
    return bare


def add_commit(
    bare: Path,
    branch: str,
    files: Mapping[str, bytes | None],
    *,
    message: str = "another change",
    parent: str | None = None,
) -> str:
    """Commit `files` (None deletes) on top of `parent` (default: the branch tip) and return the sha.

    Creates the branch from `parent` when it does not exist; simulates someone else pushing.
    """
    start = parent or branch_sha(bare, branch)
    stream = _commit_stream(f"refs/heads/{branch}", files, message, mark=1, parent=start, when=_DATE + 60)
    git("fast-import", "--quiet", "--force", cwd=bare, input=stream)
    sha = branch_sha(bare, branch)
    assert sha is not None
    return sha


def add_special_commit(
    bare: Path, entries: Mapping[str, tuple[str, bytes]], message: str = "special"
) -> None:
    """Commit entries {path: (mode, data)} on main (mode 120000: a symbolic link to `data`)."""
    parent = branch_sha(bare, "main")
    ident = f"{BOT_NAME} <{BOT_EMAIL}> 1700000100 +0000".encode()
    out = [b"commit refs/heads/main\n", b"author " + ident + b"\n", b"committer " + ident + b"\n"]
    out.append(_data(message.encode()) + b"from " + str(parent).encode() + b"\n")
    for path, (mode, data) in entries.items():
        out.append(f"M {mode} inline ".encode() + _quote_path(path) + b"\n" + _data(data))
    git("fast-import", "--quiet", "--force", cwd=bare, input=b"".join(out))


def add_bot_commit(
    bare: Path,
    branch: str,
    files: Mapping[str, bytes | None],
    *,
    message: str,
    parent: str | None = None,
) -> str:
    """Like add_commit, but the commit carries bumper's ownership trailers, as a commit an
    earlier bumper run made (on `branch`, on top of `parent`)."""
    from bumper.changes import add_trailers
    from bumper.git.ownership import ownership_trailers

    sha = add_commit(bare, branch, files, message=message, parent=parent)
    start = git("rev-parse", f"{sha}^", cwd=bare).decode().strip()
    raw = git("diff-tree", "-r", "-z", "--no-renames", start, sha, cwd=bare).decode().split("\0")
    entries = [
        (path, "" if meta.split()[4].startswith("D") else meta.split()[3])
        for meta, path in zip(raw[0::2], raw[1::2])
        if len(meta.split()) >= 5
    ]
    marked = add_trailers(message, ownership_trailers(branch, entries))
    tree = git("rev-parse", f"{sha}^{{tree}}", cwd=bare).decode().strip()
    env_date = {"GIT_AUTHOR_DATE": f"@{_DATE + 60}", "GIT_COMMITTER_DATE": f"@{_DATE + 60}"}
    new = (
        subprocess.run(
            ["git", "commit-tree", tree, "-p", start, "-F", "-"],
            cwd=bare,
            input=marked.encode(),
            env={**git_env(), **env_date},
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git("update-ref", f"refs/heads/{branch}", new, sha, cwd=bare)
    return new


def commit_trailers(bare: Path, ref: str) -> dict[str, str]:
    """The trailers of commit `ref`'s message, as bumper reads them."""
    from bumper.git.ownership import read_trailers

    return read_trailers(commit_info(bare, ref)["message"])


def branch_sha(bare: Path, branch: str) -> str | None:
    """The commit `branch` points at, or None when it does not exist."""
    try:
        return (
            git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", cwd=bare)
            .decode()
            .strip()
            or None
        )
    except subprocess.CalledProcessError:
        return None


def read_file(bare: Path, ref: str, relpath: str) -> bytes | None:
    """The bytes of `relpath` at `ref` (branch name or sha), or None when absent."""
    try:
        return git("cat-file", "blob", f"{ref}:{relpath}", cwd=bare)
    except subprocess.CalledProcessError:
        return None


def list_branches(bare: Path) -> list[str]:
    """Branch names of `bare`, sorted."""
    out = git("for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/", cwd=bare)
    return sorted(out.decode().split())


def count_commits(bare: Path, branch: str, *, since: str | None = None) -> int:
    """Commits reachable from `branch` (excluding those reachable from `since`)."""
    spec = [f"refs/heads/{branch}"] + ([f"^{since}"] if since else [])
    return int(git("rev-list", "--count", *spec, cwd=bare).decode())


def commit_info(bare: Path, ref: str) -> dict[str, str]:
    """Author, committer, subject, body and parents of one commit (for assertions)."""
    fmt = "%an%x00%ae%x00%cn%x00%ce%x00%P%x00%B"
    an, ae, cn, ce, parents, body = (
        git("log", "-1", f"--format={fmt}", ref, cwd=bare).decode().split("\x00", 5)
    )
    return {
        "author_name": an,
        "author_email": ae,
        "committer_name": cn,
        "committer_email": ce,
        "parents": parents,
        "message": body.rstrip("\n"),
    }


def changed_paths(bare: Path, ref: str) -> list[str]:
    """Paths changed by commit `ref` against its first parent."""
    out = git("diff-tree", "--no-commit-id", "-r", "--name-only", f"{ref}^", ref, cwd=bare)
    return sorted(out.decode().split("\n")[:-1])


def build_big_repo(
    path: Path,
    *,
    commits: int,
    files: int,
    branch: str = "main",
    file_content: Iterable[tuple[str, bytes]] | None = None,
) -> Path:
    """A bare repo with `commits` commits, the first adding `files` small YAML files.

    Later commits each touch one file (round-robin), so history is deep but the tree stays at
    `files` entries; `file_content` adds extra (path, bytes) to the first commit (e.g. the
    manifests a benchmark bumps). Built with one fast-import stream: seconds for 20k x 5k.
    """
    bare = init_bare(path, default_branch=branch)
    ref = f"refs/heads/{branch}".encode()
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=bare, stdin=subprocess.PIPE, env=git_env())
    assert proc.stdin is not None
    w = proc.stdin.write
    ident = f"{BOT_NAME} <{BOT_EMAIL}>".encode()
    for n in range(commits):
        w(b"commit " + ref + b"\n")
        stamp = b" %d +0000\n" % (_DATE + n)
        w(b"author " + ident + stamp + b"committer " + ident + stamp)
        w(_data(b"commit %d" % n))
        if n == 0:
            for i in range(files):
                body = _filler(i, 0)
                w(b"M 100644 inline " + _big_path(i) + b"\n" + _data(body))
            for extra_path, extra in file_content or ():
                w(b"M 100644 inline " + _quote_path(extra_path) + b"\n" + _data(extra))
        elif files:
            i = n % files
            w(b"M 100644 inline " + _big_path(i) + b"\n" + _data(_filler(i, n)))
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    return bare


def _big_path(i: int) -> bytes:
    # Two levels of fan-out keep each commit's rewritten trees small (a flat 5,000-entry
    # directory makes every commit write a 5,000-entry tree: minutes instead of seconds).
    return b"apps/g%03d/svc-%04d/deploy.yaml" % (i // 64, i)


def _filler(i: int, rev: int) -> bytes:
    return (
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-%04d\n"
        b"spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
        b"          image: registry.local/team/svc-%04d:1.0.%d\n" % (i, i, rev)
    )


def merge(bare: Path, into: str, other: str, message: str) -> str:
    """A merge commit of `other` into `into` (as a host's merge button makes it); its sha."""
    tree = git("merge-tree", "--write-tree", f"refs/heads/{into}", f"refs/heads/{other}", cwd=bare)
    sha = (
        git(
            "commit-tree",
            tree.decode().split()[0],
            "-p",
            f"refs/heads/{into}",
            "-p",
            f"refs/heads/{other}",
            "-m",
            message,
            cwd=bare,
        )
        .decode()
        .strip()
    )
    git("update-ref", f"refs/heads/{into}", sha, cwd=bare)
    return sha

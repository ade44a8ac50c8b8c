"""Read-only questions to a clone and its remote: branch tips, commits, files, history, grep."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from bumper.git.batch import parse_batch
from bumper.git.clone import Clone, fetch_objects
from bumper.git.errors import GitError, branch_in_the_way
from bumper.git.refname import validate_branch_name
from bumper.git.runner import GitRunner, Running, retried


def remote_default_branch(clone: Clone) -> str | None:
    """The branch the remote's HEAD points at, or None when it does not say."""
    args = ["ls-remote", "--symref", "origin", "HEAD"]
    return _head_branch(retried(lambda _: clone.git.out(args, action="ls-remote")))


class RemoteHead(NamedTuple):
    """One branch as `ls-remote` answered: its sha (None: absent) and a branch in its way."""

    sha: str | None
    in_the_way: GitError | None  # `bumper` for `bumper/app`, or `bumper/app/x`

    def checked(self) -> str | None:
        """The sha; a branch in the way raises the `branch-conflict` GitError."""
        if self.in_the_way is not None:
            raise self.in_the_way
        return self.sha


def remote_branch_sha(clone: Clone, branch: str, started: Running | None = None) -> str | None:
    """The sha `branch` has on the remote right now, or None when it does not exist.

    The same `ls-remote` asks for the branches that would keep it from being created (`bumper`
    for `bumper/app`, or `bumper/app/x`): one of them raises the `branch-conflict` GitError.
    `started`: that ls-remote as start_branch_read started it beside the clone (its answer is
    read here; when it failed, the question is asked again, as any ls-remote).
    """
    return remote_heads(clone, [branch], started)[branch].checked()


def remote_heads(
    clone: Clone, branches: Sequence[str], started: Running | None = None
) -> dict[str, RemoteHead]:
    """remote_branch_sha for several branches in one `ls-remote`; a branch in the way of one
    of them is said only when that one is used (RemoteHead.checked)."""
    out = None
    if started is not None:
        status, raw, _ = started.finish()
        out = raw.decode("utf-8", "surrogateescape") if status == 0 else None
    if out is None:
        args = ["ls-remote", "--heads", "origin", *_patterns(branches)]
        out = retried(lambda _: clone.git.out(args, action="ls-remote"))
    listed = [line.partition("\t")[::2] for line in out.splitlines()]
    heads = {}
    for branch in branches:
        ref, above = _branch_refs(branch)
        sha = next((found for found, name in listed if name == ref), None)
        way = next((name for _, name in listed if name in above or name.startswith(f"{ref}/")), None)
        blocker = None
        if way is not None:
            blocker = branch_in_the_way(branch, way.removeprefix("refs/heads/"), clone.url)
        heads[branch] = RemoteHead(sha, blocker)
    return heads


def start_branch_read(git: GitRunner, branches: Sequence[str], cwd: Path) -> Running:
    """remote_heads's ls-remote, started before there is a clone (the URL named; `cwd`: a
    directory of bumper's own): it runs beside `git clone`. git looks for no repository above
    `cwd` (a TMPDIR inside a checkout would lend its configuration to the read)."""
    args = ["ls-remote", "--heads", "--", git.git_url, *_patterns(branches)]
    return git.start(args, cwd=cwd, extra_env={"GIT_CEILING_DIRECTORIES": str(cwd.parent)})


def _patterns(branches: Sequence[str]) -> list[str]:
    """The refs ls-remote is asked for: each branch, the branches below it and those above it."""
    patterns: dict[str, None] = {}
    for branch in branches:
        ref, above = _branch_refs(branch)
        patterns.update(dict.fromkeys([ref, f"{ref}/*", *above]))
    return list(patterns)


def _branch_refs(branch: str) -> tuple[str, list[str]]:
    """`refs/heads/<branch>`, and the refs above it that would be in its way."""
    validate_branch_name(branch)
    ref = f"refs/heads/{branch}"
    parts = branch.split("/")
    return ref, [f"refs/heads/{'/'.join(parts[:n])}" for n in range(1, len(parts))]


def fetch_branch(clone: Clone, branch: str) -> str:
    """Shallow-fetch the remote `branch` (its tip and the tip's parents) into
    `refs/remotes/origin/<branch>`; return its sha.

    Lets the caller read what the bot branch already holds (`read_files`) and whether its
    tip is bumper's own commit (`commit_shape`, `changed_entries` need the parents).
    """
    validate_branch_name(branch)
    local = f"refs/remotes/origin/{branch}"
    args = ["fetch", "--quiet", "--no-tags", "--depth", "2", "origin", f"+refs/heads/{branch}:{local}"]
    retried(lambda _: clone.git.run(args, action="fetch", branch=branch))
    return clone.git.out(["rev-parse", "--verify", f"{local}^{{commit}}"], action="fetch")


def deepen_branch(clone: Clone, branch: str, commits: int) -> None:
    """Fetch `commits` more of the remote `branch`'s history below what `fetch_branch` brought
    (its shallow boundary), for a reader that must look past a person's commits on top."""
    validate_branch_name(branch)
    local = f"refs/remotes/origin/{branch}"
    args = ["fetch", "--quiet", "--no-tags", f"--deepen={commits}", "origin", f"+refs/heads/{branch}:{local}"]
    retried(lambda _: clone.git.run(args, action="fetch", branch=branch))


def commit_shape(clone: Clone, sha: str) -> tuple[str, list[str], int]:
    """Message, parent shas and committer time of a fetched commit."""
    raw = clone.git.out(["cat-file", "commit", sha], action="read")
    header, _, message = raw.partition("\n\n")
    parents = [ln.split()[1] for ln in header.splitlines() if ln.startswith("parent ")]
    when = 0
    for ln in header.splitlines():
        if ln.startswith("committer "):
            fields = ln.rsplit(" ", 2)
            when = int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else 0
    return message, parents, when


def changed_entries(clone: Clone, old: str, new: str) -> list[tuple[str, str]]:
    """`(path, new blob id)` for every path that differs between two commits or trees
    ('' for a deleted path): what bumper's ownership digest covers."""
    out = clone.git.run(["diff-tree", "-r", "-z", "--no-renames", old, new], action="read")
    fields = out.split("\0")
    entries = []
    for meta, path in zip(fields[0::2], fields[1::2]):
        parts = meta.split()
        if len(parts) >= 5:
            blob = "" if parts[4].startswith("D") else parts[3]
            entries.append((path, blob))
    return entries


# How far back a commit dated after the base's tip is looked for (a clock that was off).
_AHEAD_DEPTH = 50


def on_base(clone: Clone, sha: str) -> bool:
    """Whether commit `sha` is in the base branch's history (deepening the shallow clone
    back to `sha`'s date when it is not the base tip)."""
    if sha == clone.base_sha:
        return True
    when = commit_shape(clone, sha)[2]
    spec = f"+refs/heads/{clone.base}:refs/remotes/origin/{clone.base}"
    fetch = ["fetch", "--quiet", "--no-tags"]
    if when > commit_shape(clone, clone.base_sha)[2]:
        # Dated after the base's tip: not one of its commits, unless a clock was off (a commit
        # dated ahead, then one made with a right clock on top). A few commits deeper tell.
        if clone.git.out(["rev-parse", "--is-shallow-repository"], action="fetch") == "true":
            deepen = [*fetch, f"--deepen={_AHEAD_DEPTH}", "origin", spec]
            retried(lambda _: clone.git.run(deepen, action="fetch", branch=clone.base))
        return clone.git.execute(["merge-base", "--is-ancestor", sha, clone.base_sha])[0] == 0
    try:
        deepen = [*fetch, f"--shallow-since=@{max(when - 1, 0)}", "origin", spec]
        retried(lambda _: clone.git.run(deepen, action="fetch", branch=clone.base))
    except GitError as exc:
        if exc.kind not in ("shallow-empty", "network"):
            raise
        # The whole history is newer than `sha`, or the remote cannot serve a deepen by date
        # (a remote that is itself a shallow clone: its upload-pack stops at its own boundary,
        # "bad pack header"): fetch all it has. A real outage fails this fetch too, and says so.
        unshallow = [*fetch, "--unshallow", "origin", spec]
        retried(lambda _: clone.git.run(unshallow, action="fetch", branch=clone.base))
    status, _, _ = clone.git.execute(["merge-base", "--is-ancestor", sha, clone.base_sha])
    return status == 0


def entry_modes(clone: Clone, ref: str, relpaths: Sequence[str]) -> dict[str, str]:
    """The git mode (100644, 120000 a link, 040000 a folder, 160000 a submodule) of each of
    `relpaths` that is an entry at `ref`: one `ls-tree`, however many."""
    wanted = [p.strip("/") for p in relpaths]
    listing = clone.git.out(["ls-tree", "-z", ref, "--", *wanted], action="read")
    modes = {}
    for record in listing.split("\0"):
        meta, _, name = record.partition("\t")
        if name in wanted:
            modes[name] = meta.split(" ")[0]
    return modes


def read_blob(clone: Clone, ref: str, relpath: str) -> bytes:
    """The exact bytes of the blob at `ref`:`relpath`, known to be one (a link's: its target)."""
    return retried(lambda _: clone.git.run_bytes(["cat-file", "blob", f"{ref}:{relpath}"], action="read"))


def read_files(clone: Clone, ref: str, relpaths: Iterable[str]) -> dict[str, bytes]:
    """The exact bytes of each of `relpaths` at `ref` that is a blob there (a folder or an
    absent path is left out; a link's blob is its target's name: a caller that may meet one
    filters by `git.modes.FILE_MODES` first, as verify's `clone_tree` does). Three git runs for
    any number of files: the tree's listing, one fetch of the blobs a blobless clone lacks, one
    batch read (an image in 1,500 files took two runs per file)."""
    wanted = {p.strip("/") for p in relpaths}
    listing = clone.git.run_bytes(["ls-tree", "-r", "-z", "--full-tree", ref], action="read")
    oids: dict[str, str] = {}
    for record in listing.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        parts = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if len(parts) == 3 and parts[1] == b"blob" and path in wanted:
            oids[path] = parts[2].decode()
    if not oids:
        return {}
    # rev-list names the missing objects without fetching them one by one, as cat-file would.
    objects = clone.git.out(["rev-list", "--objects", "--no-walk", "--missing=print", ref], action="read")
    needed = set(oids.values())
    missing = {line[1:] for line in objects.splitlines() if line.startswith("?")} & needed
    if missing:
        fetch_objects(clone, sorted(missing))
    batch = "".join(f"{oid}\n" for oid in sorted(needed)).encode()
    read = ["cat-file", "--batch"]
    blobs = parse_batch(retried(lambda _: clone.git.run_bytes(read, action="read", stdin=batch)))
    return {path: blobs[oid] for path, oid in oids.items() if oid in blobs}


def same_content(clone: Clone, sha: str, other: str) -> bool:
    """Whether two commits hold the same tree on the same parent (a rerun's commit vs
    the bot branch): then there is nothing to push."""

    def header(commit: str) -> list[str]:
        # cat-file, not log: a shallow-fetched commit hides its parents from log.
        raw = clone.git.out(["cat-file", "commit", commit], action="read").split("\n\n", 1)[0]
        return [line for line in raw.splitlines() if line.startswith(("tree ", "parent "))]

    return header(sha) == header(other)


def grep_tree(clone: Clone, needles: Sequence[bytes]) -> list[str]:
    """Files of the base commit whose text contains any needle, searched in the object
    store: a clone made with checkout=False then checks out only these (checkout_only).

    One thread: git's threads take turns at the object store for each blob, which costs more
    than they save on a tree of small files (50,000 manifests: 0.45 s with two threads, 0.18 s
    with one, git 2.39 on 2 cores); a tree of big values files loses little (bitnami/charts'
    4,200 files, 72 MB: 0.14 s against 0.11 s)."""
    args = [*_grep_args(needles), "--threads", "1", "HEAD"]
    return [p.partition(":")[2] for p in _grep(clone, args)]


def grep_files(clone: Clone, needles: Sequence[bytes]) -> list[str]:
    """Tracked files of the work tree whose text contains any needle (git's threaded grep
    is ~10x faster than reading every file of a big tree from Python)."""
    return _grep(clone, _grep_args(needles))


def _grep_args(needles: Sequence[bytes]) -> list[str]:
    # No -I: info/attributes marks every file -diff, which grep would take as binary.
    args = ["grep", "-l", "-z", "-F", "--no-color"]
    for needle in needles:
        args += ["-e", needle.decode()]
    return args


def _grep(clone: Clone, args: list[str]) -> list[str]:
    status, out, err = clone.git.execute(args)
    if status not in (0, 1):  # 1: no match
        raise clone.git.error(err, action="grep")
    return sorted(p for p in str(out).split("\0") if p)


def _head_branch(ls_remote: str) -> str | None:
    """The branch of `ref: refs/heads/<name>\tHEAD` in `ls-remote --symref` output."""
    for line in ls_remote.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/") : -len("\tHEAD")]
    return None

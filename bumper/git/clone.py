"""A shallow, hook-free, filter-free clone of the manifests repository, narrowed to what matters.

The repository is untrusted input: hooks never run (runner.py) and `$GIT_DIR/info/attributes`
unsets every filter/eol/encoding attribute *before* the first checkout, so no `.gitattributes`
can run a command or change a byte bumper reads or commits.

URLs with credentials: an http(s) URL carrying userinfo (`https://user:pw@host/x.git`) is refused
with a `ConfigError` instead of being silently stripped (git/url.py) — a password there means the
caller put the token in the wrong place, and stripping it would turn that into a confusing auth
failure. Any userinfo that still reaches a message (e.g. from git's own stderr) is redacted.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bumper.errors import WorkspaceError
from bumper.git.errors import GitError
from bumper.git.modes import LINK_MODE
from bumper.git.refname import validate_branch_name
from bumper.git.runner import GitRunner, retried

# Unset every attribute that makes git transform bytes or run a command on checkout/add.
# $GIT_DIR/info/attributes has the highest precedence, so this overrides any .gitattributes.
SAFE_ATTRIBUTES = "* -filter -text -eol -ident -working-tree-encoding -diff -merge\n"


@dataclass
class Clone:
    """A clone of the manifests repository at `path`, checked out at `base_sha` of `base`;
    `git` runs commands inside it."""

    path: Path
    base: str
    base_sha: str
    git: GitRunner
    # `git ls-files -s -z` of the index read_index filled from the base: each entry's mode and
    # blob id, which a commit on top of the base reads instead of listing the base tree again.
    base_index: bytes | None = None

    @property
    def url(self) -> str:
        """The repository URL as messages show it (no userinfo)."""
        return self.git.url


def clone(
    url: str,
    *,
    base: str | None,
    token: str | None,
    env: Mapping[str, str],
    dest: Path,
    sparse_paths: list[str] | None = None,
    checkout: bool = True,
    history: bool = False,
    authorization: str | None = None,
) -> Clone:
    """Shallow single-branch clone of `base` (default: the remote's default branch) to `dest`.

    With `sparse_paths` (gitignore-style globs such as `*.yaml` or `apps/**`) the clone is also
    blobless and sparse, so only matching files are downloaded and checked out. `history`
    makes it a blobless clone of the whole history instead (blobs come with fetch_objects).
    `dest` must not exist or be empty. Hooks and .gitattributes transformations never run.
    """
    if base is not None:
        validate_branch_name(base)
    runner = GitRunner(url, token=token, env=env, authorization=authorization)
    dest = Path(dest)
    existed = dest.exists()
    if existed and any(dest.iterdir()):
        raise WorkspaceError(f"clone destination {dest} is not empty")
    args = _clone_args(runner, base, dest, sparse=sparse_paths is not None, history=history)

    def attempt(_: int) -> None:
        try:
            runner.run(args, action="clone", branch=base, cwd=dest.parent)
        except GitError as exc:
            _wipe(dest, keep=existed)
            if exc.kind == "branch-not-found" and _is_empty(runner, dest.parent):
                raise _empty(runner) from exc
            raise

    dest.parent.mkdir(parents=True, exist_ok=True)
    retried(attempt)
    try:
        git = runner.inside(dest)
        (dest / ".git" / "info").mkdir(exist_ok=True)
        (dest / ".git" / "info" / "attributes").write_text(SAFE_ATTRIBUTES)
        if sparse_paths is not None:
            git.run(["sparse-checkout", "set", "--no-cone", "--", *sparse_paths], action="sparse-checkout")
        # Populates index and work tree from HEAD, honouring the sparse patterns; blobs of
        # a partial clone are fetched here, with the same auth environment.
        if checkout:
            retried(lambda _: git.run(["reset", "--quiet", "--hard", "HEAD"], action="checkout"))
        # One run for the commit and, without --base, the branch the remote's HEAD named.
        status, out, err = git.execute(["rev-parse", "HEAD^{commit}", "--symbolic-full-name", "HEAD"])
        if status != 0:  # cloned, yet no commit: an empty repository (git only warns)
            raise _empty(runner) if _is_empty(runner, dest.parent) else git.error(err, action="clone")
        base_sha, _, head = str(out).strip().partition("\n")
        if not base:
            if not head.startswith("refs/heads/"):
                raise GitError(f"the HEAD of {runner.url} names no branch; give the base branch with --base")
            base = head.removeprefix("refs/heads/")
    except BaseException:
        _wipe(dest, keep=existed)
        raise
    return Clone(dest, base, base_sha, git)


def _clone_args(runner: GitRunner, base: str | None, dest: Path, *, sparse: bool, history: bool) -> list[str]:
    """`git clone` without a checkout: shallow unless `history`, blobless when sparse or `history`."""
    args = ["clone", "--quiet", "--no-checkout", "--single-branch"]
    args += [] if history else ["--depth", "1"]
    args += ["--no-tags", "--origin", "origin"]
    if base:
        args += ["--branch", base]
    if sparse:
        args += ["--filter=blob:none", "--sparse"]
    elif history:
        args.append("--filter=blob:none")
    if runner.scheme == "local":
        args.append("--no-local")  # otherwise --depth/--filter are ignored for paths
    return [*args, "--", runner.git_url, str(dest)]


def _is_empty(runner: GitRunner, cwd: Path) -> bool:
    """Whether the remote has no ref at all (asked only once a clone found no commit)."""
    return not retried(lambda _: runner.out(["ls-remote", "--", runner.git_url], action="ls-remote", cwd=cwd))


def _empty(runner: GitRunner) -> GitError:
    return GitError(
        f"repository {runner.url} is empty (no branch, no commit); push a first commit, or check --repo",
        kind="empty",
    )


def read_index(clone: Clone) -> list[bytes]:
    """Fill the index from HEAD without touching the work tree (read-tree) and list its paths:
    the first half of checkout_only, which needs nothing from the grep and can run beside it."""
    git = clone.git
    retried(lambda _: git.run(["read-tree", "HEAD"], action="checkout"))
    clone.base_index = git.run_bytes(["ls-files", "-s", "-z"], action="checkout")
    return [record.partition(b"\t")[2] for record in clone.base_index.split(b"\0") if record]


def symlinks(clone: Clone) -> list[str]:
    """The base's symbolic links, from the index read_index listed (else from git): a run lists
    the manifest-named ones as left alone, with their reason, as a walk of the tree does. Found
    by their mode's text, not by splitting every record: most trees have none in 50,000 files."""
    listing = clone.base_index
    if listing is None:
        listing = clone.git.run_bytes(["ls-files", "-s", "-z"], action="read")
    listing = b"\x00" + listing
    needle = b"\x00" + LINK_MODE.encode() + b" "
    found, at = [], listing.find(needle)
    while at >= 0:
        end = listing.find(b"\x00", at + 1)
        record = listing[at + 1 : end if end >= 0 else len(listing)]
        found.append(record.partition(b"\t")[2].decode("utf-8", "surrogateescape"))
        at = listing.find(needle, at + 1)
    return found


def checkout_only(clone: Clone, paths: Sequence[str], entries: list[bytes] | None = None) -> None:
    """Check out just `paths` (plus every Chart.yaml, which tells chart templates apart, and the
    values.yaml beside it and the packaged subcharts in its `charts/`, which say where the chart
    keeps an image's tag);
    the index keeps all other files, marked skip-worktree, so commits still hold the whole tree.
    `entries`: read_index's answer, when the caller already has it.

    Exact index paths, never patterns: read-tree fills the index without touching the work
    tree, update-index marks every other entry skip-worktree, checkout-index writes the wanted
    files (as every checkout, under info/attributes: no filter, no eol conversion). Linear in
    the tree, where N `--no-cone` sparse patterns cost files x N (6 s at 12,500 paths)."""
    git = clone.git
    if entries is None:
        entries = read_index(clone)
    wanted = {p.encode("utf-8", "surrogateescape") for p in paths}
    charts = {e[: -len(b"Chart.yaml")] for e in entries if e == b"Chart.yaml" or e.endswith(b"/Chart.yaml")}
    wanted |= {folder + name for folder in charts for name in (b"Chart.yaml", b"values.yaml")}
    packaged = {folder + b"charts/" for folder in charts}  # subcharts as `helm dependency build` leaves them
    wanted |= {e for e in entries if e.endswith(b".tgz") and e[: e.rfind(b"/") + 1] in packaged}
    chosen = [e for e in entries if e in wanted]
    rest = set(entries).difference(chosen)
    if rest:
        git.run(
            ["update-index", "--skip-worktree", "-z", "--stdin"],
            action="checkout",
            stdin=b"".join(e + b"\0" for e in sorted(rest)),
        )
    if chosen:  # blobs of a partial clone are fetched here, with the same auth environment
        stdin = b"".join(e + b"\0" for e in chosen)
        retried(
            lambda _: git.run(["checkout-index", "-u", "-f", "-z", "--stdin"], action="checkout", stdin=stdin)
        )


def check_out(clone: Clone, paths: Sequence[str]) -> None:
    """Check out these index paths too, after checkout_only marked them skip-worktree."""
    if paths:
        stdin = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)
        args = ["checkout-index", "-u", "-f", "-z", "--ignore-skip-worktree-bits", "--stdin"]
        retried(lambda _: clone.git.run(args, action="checkout", stdin=stdin))


_CHART_FILES = ("values.yaml", "Chart.yaml")
_MAX_HOPS = 8  # a link to a link to …: as far as a tree's links reasonably chain


def check_out_chart_link_targets(clone: Clone, links: Iterable[str]) -> None:
    """Check out the files of the tree that a chart's checked-out link among `links` names (a
    values.yaml, a Chart.yaml, a packaged subchart linked to a vendored copy): a --dir run reads
    a chart through such a link, so a --repo run must have what it points to
    (bumper.plan.chart_values). No git process unless some link is one of those."""
    wanted = [p for p in links if p.rpartition("/")[2] in _CHART_FILES or p.endswith(".tgz")]
    if not wanted:
        return
    listed = clone.base_index
    if listed is None:
        listed = clone.git.run_bytes(["ls-files", "-s", "-z"], action="checkout")
    index = {  # files and links (a gitlink, a submodule, has nothing to check out)
        r.partition(b"\t")[2].decode("utf-8", "surrogateescape")
        for r in listed.split(b"\0")
        if r.startswith((b"100644 ", b"100755 ", LINK_MODE.encode() + b" "))
    }
    for _ in range(_MAX_HOPS):
        targets = sorted({t for t in map(functools.partial(_link_target, clone), wanted) if t in index})
        targets = [t for t in targets if not os.path.lexists(clone.path / t)]
        if not targets:
            return
        check_out(clone, targets)
        wanted = targets  # a target that is a link itself: what it names, next


def _link_target(clone: Clone, rel: str) -> str | None:
    """The path from the tree's top that the checked-out link `rel` names; None out of it."""
    try:
        target = os.readlink(clone.path / rel)
    except OSError:  # not checked out, or no link
        return None
    joined = os.path.normpath(os.path.join(os.path.dirname(rel), target))
    return None if os.path.isabs(target) or joined == ".." or joined.startswith("../") else joined


def check_out_all_yaml(clone: Clone) -> None:
    """Widen a sparse clone to every YAML file (one batched download of their blobs): a Flux
    marker under --path names an ImagePolicy that may live anywhere in the tree."""
    patterns = ["*.yaml", "*.yml", "Kustomization"]
    retried(lambda _: clone.git.run(["sparse-checkout", "add", "--", *patterns], action="sparse-checkout"))


def check_out_chart_values(clone: Clone) -> None:
    """Widen a sparse clone to the values.yaml beside each Chart.yaml, and the packaged subcharts
    in its `charts/` (`charts/es-8.5.1.tgz`), in one batched download: where a chart keeps an
    image's tag, which another values file of it may name the image without
    (bumper.plan.chart_values). Each path is added as a literal, anchored pattern."""
    listed = clone.git.run_bytes(["ls-files", "-z"], action="checkout")  # pathspecs are literal here
    paths = {
        p.decode("utf-8", "surrogateescape")
        for p in listed.split(b"\0")
        if p.endswith((b"values.yaml", b"Chart.yaml", b".tgz"))
    }
    charts = [p[: -len("Chart.yaml")] for p in paths if p == "Chart.yaml" or p.endswith("/Chart.yaml")]
    values = sorted(f"{folder}values.yaml" for folder in charts if f"{folder}values.yaml" in paths)
    packaged = {f"{folder}charts/" for folder in charts}
    values += sorted(p for p in paths if p.endswith(".tgz") and p[: p.rfind("/") + 1] in packaged)
    # A line of the sparse-checkout file: no newline; a trailing space would be dropped.
    patterns = ["/" + _GLOB.sub(r"\\\1", p) for p in values if "\n" not in p and not p.endswith(" ")]
    if patterns:
        args = ["sparse-checkout", "add", "--", *patterns]
        retried(lambda _: clone.git.run(args, action="sparse-checkout"))


_GLOB = re.compile(r"([\\*?\[])")  # what a gitignore pattern reads as a glob


def fetch_objects(clone: Clone, oids: Sequence[str]) -> None:
    """Download these objects into a blobless clone in few requests, as git's own lazy
    fetch does one by one."""
    args = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags"]
    args += ["--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "origin"]
    for start in range(0, len(oids), 2000):  # stays far below the argv limit
        retried(functools.partial(_fetch, clone, [*args, *oids[start : start + 2000]]))


def _fetch(clone: Clone, command: list[str], _: int) -> None:
    clone.git.run(command, action="fetch")


def drop_work_tree(clone: Clone) -> None:
    """Remove the checked-out files once nothing reads them; the git directory stays (later git
    commands need it). What cannot be removed is left to the temporary directory's removal."""
    for child in clone.path.iterdir():
        if child.name == ".git":
            continue
        try:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        except OSError:
            pass


def _wipe(dest: Path, *, keep: bool) -> None:
    """Undo a failed clone: remove `dest`, or only its contents when the caller created it."""
    if not dest.exists():
        return
    if not keep:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)

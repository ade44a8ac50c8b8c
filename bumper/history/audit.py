"""Every change of one image's references in a repository's git history, read from the commits.

The image's lines are diffed per commit, so bumps made by hand count as much as bumper's own;
trailers (ci/provenance.py) and merge messages only add the build link and the pull request.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bumper.chart_ref import try_parse_ref
from bumper.ci.provenance import TRAILER_BUILD
from bumper.errors import BumperError, ConfigError, NotFoundError, WorkspaceError
from bumper.git.batch import NULL_OID, GitReader
from bumper.git.log import CommitText, LogCommit, read_messages, shallow_boundary
from bumper.git.modes import FILE_MODES, FILE_MODES_BYTES
from bumper.history.walk import Rename, walk
from bumper.image_ref import ImageRef, repository_key
from bumper.plan.image_policy import FluxIndex, marked_policies
from bumper.plan.paths import matcher
from bumper.plan.select import MAX_FILE_BYTES, is_manifest_name
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all

_GITHUB_MERGE = re.compile(r"\AMerge pull request #(\d+) from ")
_GITHUB_SQUASH = re.compile(r"\(#(\d+)\)\s*\Z")
_GITLAB_MERGE = re.compile(r"^See merge request (?:\S+)?!(\d+)\s*$", re.MULTILINE)
_BUILD = re.compile(rf"^{TRAILER_BUILD}: (https?://\S+)\s*$", re.MULTILINE)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
_NO_TEXT = CommitText("", "")
_REGULAR = "100644"  # a merged side's blob, read as the file it is in the merge


@dataclass(frozen=True)
class FileChange:
    """One file's references to the image before and after a commit (None: absent)."""

    file: str
    old: str | None
    new: str | None


@dataclass
class Entry:
    """One commit of the branch's first-parent line that changed the image's references."""

    date: str
    commit: str  # the commit that made the change (on a merged branch: its newest commit there)
    author: str
    subject: str
    changes: list[FileChange] = field(default_factory=list)
    merge_commit: str | None = None
    pull_request: str | None = None
    build: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.date,
            "commit": self.commit,
            "merge_commit": self.merge_commit,
            "author": self.author,
            "subject": self.subject,
            "pull_request": self.pull_request,
            "build": self.build,
            "changes": [{"file": c.file, "old": c.old, "new": c.new} for c in self.changes],
        }


def local_reader(directory: str, env: Mapping[str, str]) -> GitReader:
    """Reads the clone at `directory`: the history of its checked-out branch."""
    if not Path(directory).is_dir():
        raise ConfigError(f"--dir {directory!r} is not a directory")
    reader = GitReader.local(directory, env)
    try:
        reader.run(["rev-parse", "--git-dir"])
    except WorkspaceError as exc:
        if getattr(exc, "kind", None) == "ownership":  # another uid's checkout: say what git wants
            raise ConfigError(exc.message) from None
        raise ConfigError(f"--dir {directory!r} is not inside a git repository; give a clone") from None
    try:
        reader.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    except WorkspaceError:  # git's own line named `ls-tree` and a URL: "Not a valid object name HEAD"
        raise NotFoundError(
            f"--dir {directory!r} has no commit yet (its branch is unborn), so no file there "
            "references any image; commit the manifests first, or give a clone that has them"
        ) from None
    return reader


@contextlib.contextmanager
def remote_reader(repo: str, env: Mapping[str, str]) -> Iterator[GitReader]:
    """Reads a blobless clone of the default branch's history, gone afterwards; blobs come only
    for the files that mention the image."""
    from bumper.git.clone import clone, fetch_objects
    from bumper.providers import registry

    try:
        provider = registry.resolve(env.get("BUMPER_PROVIDER", "auto"), repo, None, env)
    except ConfigError:
        provider = "none"  # any token variable serves git
    token = registry.token_for(provider, env)
    with tempfile.TemporaryDirectory(prefix="bumper-history-") as tmp:
        dest = Path(tmp) / "clone"
        authorization = registry.git_authorization(provider, token, env) if token else None
        cloned = clone(
            repo,
            base=None,
            token=token,
            env=env,
            dest=dest,
            checkout=False,
            history=True,
            authorization=authorization,
        )
        yield GitReader(cloned.git, str(cloned.path), fetch=lambda oids: fetch_objects(cloned, oids))


@dataclass
class History:
    """What `image_history` found: the entries, the files followed, and how complete it is."""

    entries: list[Entry]
    files: list[str]
    renames: list[Rename]
    boundary: list[str] | None  # a shallow clone's first commits; None: the history is complete


def image_history(git: GitReader, image: ImageRef, globs: tuple[str, ...] = (), tip: str = "HEAD") -> History:
    """Newest first: every first-parent commit of `tip` that changed `image`'s references in a
    file that mentions the image at `tip` (or in that file before it was renamed). With a tag or
    digest in `image`, only the changes to or from it."""
    paths, followed = _files_mentioning(git, image, globs, tip)
    if not paths:
        where = f" matching {', '.join(globs)}" if globs else ""
        raise NotFoundError(f"no file{where} references {image.name} at {tip}")
    boundary = shallow_boundary(git)
    cut = boundary or set()
    walked, renames = walk(git, tip, paths, cut)
    # A boundary commit's parents are not in the clone: git diffs it against nothing, so its
    # files would all read as added. What it changed is unknown; it is never an entry.
    commits = [c for c in walked if c.sha not in cut]
    blobs = git.blobs([oid for c in commits for f in c.files for oid in (f.old, f.new)])
    refs_of: dict[str, list[str]] = {}
    changed = []
    # per merge: each changed file's blob and references after it
    merged: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for commit in commits:
        changes = []
        for record in commit.files:
            was = record.source or record.path
            before = _refs(refs_of, blobs, (record.old, record.old_mode), was, followed)
            after = _refs(refs_of, blobs, (record.new, record.new_mode), record.path, followed)
            pairs = [(a, b) for a, b in _pairs(before, after) if _wanted(image, a, b)]
            changes += [FileChange(record.path, a, b) for a, b in pairs]
            if pairs and len(commit.parents) > 1:
                merged.setdefault(commit.sha, {})[record.path] = (record.new, after)
        if changes:
            changed.append((commit, changes))
    own = _written_while_merging(git, changed, merged, refs_of, followed)
    made = _merged_commits(git, changed, merged, own, refs_of, followed)
    entries = _entries(git, changed, made)
    seen = [c.sha for c in walked if c.sha in cut]
    return History(entries, paths, renames, None if boundary is None else seen or sorted(boundary))


class Followed(NamedTuple):
    """The image whose references are read, and the Flux policies that name it for a marker."""

    image: ImageRef
    policies: frozenset[str] = frozenset()


_POLICY_MARKER = b"$imagepolicy"
_FLUX_API = b"image.toolkit.fluxcd.io"
_PARTS = {"tag": ":", "digest": "@"}  # a marked part, and how it follows the image's name


def _wanted(image: ImageRef, old: str | None, new: str | None) -> bool:
    """Whether a change goes to or from the tag and digest `image` names (any, when it names none)."""
    if image.tag is None and image.digest is None:
        return True
    for text in (old, new):
        ref = try_parse_ref(text) if text else None
        if ref is not None and image.tag in (None, ref.tag) and image.digest in (None, ref.digest):
            return True
    return False


def _files_mentioning(
    git: GitReader, image: ImageRef, globs: tuple[str, ...], tip: str
) -> tuple[list[str], Followed]:
    """The files at `tip` that reference the image (by name, or by a `$imagepolicy` marker on a
    tag or digest whose policy watches it), and what their references are read for."""
    selected = matcher(globs)
    listing = git.run(["ls-tree", "-r", "-z", "--full-tree", tip])
    manifests: dict[str, str] = {}  # every manifest: the Flux objects may be anywhere
    for record in listing.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3 or parts[0] not in FILE_MODES_BYTES:  # a link's blob is its target's name
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        if is_manifest_name(path.rpartition("/")[2]):
            manifests[path] = parts[2].decode()
    candidates = {p: oid for p, oid in manifests.items() if selected is None or selected(p)}
    blobs = git.blobs(list(candidates.values()))
    policies: frozenset[str] = frozenset()
    if any(_POLICY_MARKER in data for data in blobs.values()):  # the Flux objects may be anywhere
        blobs.update(git.blobs([oid for p, oid in manifests.items() if p not in candidates]))
        policies = _watching(image, {p: blobs.get(oid, b"") for p, oid in manifests.items()})
    followed = Followed(image, policies)
    needles = image.needles()
    marked = _POLICY_MARKER if followed.policies else None

    def mentions(data: bytes) -> bool:
        return any(n in data for n in needles) or (marked is not None and marked in data)

    paths = sorted(p for p, oid in candidates.items() if mentions(blobs.get(oid, b"")))
    # The needle is a substring: `ghcr.io/acme/ap` is in every file of `ghcr.io/acme/app`. An
    # image that no file references at the tip is "not found", never an empty history.
    if not any(_references_in(blobs.get(candidates[p], b""), p, followed) for p in paths):
        return [], followed
    return paths, followed


def _watching(image: ImageRef, files: Mapping[str, bytes]) -> frozenset[str]:
    """The Flux image policies of the tree whose ImageRepository watches `image`: a marker on a
    tag or digest alone names the image only through them (read at the tip, as the files are)."""
    sources = []
    for path, data in files.items():
        if _FLUX_API in data or _POLICY_MARKER in data:
            with contextlib.suppress(UnicodeDecodeError, BumperError):
                sources.append(Source.from_bytes(path, data))
    if not any(_FLUX_API.decode() in source.text for source in sources):
        return frozenset()
    index = FluxIndex.from_sources(sources)
    named = {*index.policies, *index.stand_ins(lambda: marked_policies(sources))}
    watched = (p for p in named if (found := index.resolve(p)[0]) and repository_key(found) == image.key)
    return frozenset(watched)


def _refs(
    cache: dict[str, list[str]], blobs: Mapping[str, bytes], side: tuple[str, str], path: str, image: Followed
) -> list[str]:
    """The image's references in one side of a change (blob, mode), in file order (parsed once
    per blob); none in a link or a submodule."""
    oid, mode = side
    if oid == NULL_OID or mode not in FILE_MODES:
        return []
    if oid not in cache:
        cache[oid] = _references_in(blobs.get(oid, b""), path, image)
    return cache[oid]


def _references_in(data: bytes, path: str, followed: Followed) -> list[str]:
    image = followed.image
    marked = bool(followed.policies) and _POLICY_MARKER in data
    if not (marked or any(needle in data for needle in image.needles())) or len(data) > MAX_FILE_BYTES:
        return []
    try:
        source = Source.from_bytes(path, data)
        refs = []
        for r in find_references(source, compose_all(source)):
            if isinstance(r, PolicyRef) and r.policy in followed.policies and r.part in _PARTS:
                refs.append(f"{image.name}{_PARTS[r.part]}{r.value}")  # its policy's image
            elif r.ref.key == image.key:
                refs.append(str(r.ref))
        return refs
    except (UnicodeDecodeError, BumperError):
        # A version that did not parse: the references written on its lines still count.
        text = data.decode("utf-8", "replace")
        found = (try_parse_ref(t) for line in text.splitlines() for t in _TOKEN.findall(line))
        return [str(r) for r in found if r is not None and r.key == image.key and (r.tag or r.digest)]


def _pairs(before: list[str], after: list[str]) -> list[tuple[str | None, str | None]]:
    """old -> new per distinct change: position by position when the count stayed, else
    what went and what came."""
    if before == after:
        return []
    moved: list[tuple[str | None, str | None]]
    if len(before) == len(after):
        moved = [(a, b) for a, b in zip(before, after) if a != b]
    else:
        gone = sorted((Counter(before) - Counter(after)).elements())
        came = sorted((Counter(after) - Counter(before)).elements())
        moved = [*zip(gone, came), *((a, None) for a in gone[len(came) :])]
        moved += [(None, b) for b in came[len(gone) :]]
    return list(dict.fromkeys(moved))


def _written_while_merging(
    git: GitReader,
    changed: list[tuple[LogCommit, list[FileChange]]],
    merged: Mapping[str, Mapping[str, tuple[str, list[str]]]],
    refs_of: dict[str, list[str]],
    image: Followed,
) -> set[str]:
    """The merges whose references in a changed file are those of none of the branches they
    merged (an edit made while merging, a conflict resolved to a third version): that change is
    the merge's own, never to be told as the merged branch's newest commit's. One batch read
    of the merged sides' blobs for all merges; a side holding the merge's blob is read no further."""
    asked = [
        (commit.sha, parent, path)
        for commit, _ in changed
        for path in merged.get(commit.sha, {})
        for parent in commit.parents[1:]
    ]
    sides = _side_blobs(git, [(parent, path) for _, parent, path in asked])
    after = [merged[sha][path] for sha, _, path in asked]
    blobs = git.blobs(sorted({oid for oid, (blob, _) in zip(sides, after) if oid and oid != blob}))
    took: dict[tuple[str, str], bool] = {}  # (merge, path): whether a merged side holds its references
    for (sha, _, path), oid, (blob, refs) in zip(asked, sides, after):
        same = oid == blob or (
            oid is not None and _refs(refs_of, blobs, (oid, _REGULAR), path, image) == refs
        )
        took[(sha, path)] = took.get((sha, path), False) or same
    return {sha for (sha, _), same in took.items() if not same}


def _side_blobs(git: GitReader, wanted: list[tuple[str, str]]) -> list[str | None]:
    """The blob of each (commit, path) of `wanted` (None: none there), in one `cat-file
    --batch-check`; a path git's `REV:PATH` syntax cannot carry (a newline) is none."""
    if not wanted:
        return []
    lines = [f"{rev}:{path}" for rev, path in wanted if "\n" not in path]
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"
    # Only the name: git then reads no object, so a blobless clone fetches nothing here.
    answers = iter(git.run(["cat-file", "--batch-check=%(objectname)"], data).splitlines())
    out: list[str | None] = []
    for _, path in wanted:
        if "\n" in path:
            out.append(None)
            continue
        words = next(answers, b"").split()  # `REV:PATH missing` when the side has no such file
        out.append(words[0].decode() if len(words) == 1 else None)
    return out


def _entries(
    git: GitReader, changed: list[tuple[LogCommit, list[FileChange]]], made_by: Mapping[str, str | None]
) -> list[Entry]:
    """One entry per commit; a merge's change is told as the merged branch's commit that made
    it (`made_by`, _merged_commits), None: the merge's own."""
    merges = {c.sha: made_by.get(c.sha) for c, _ in changed if len(c.parents) > 1}
    texts = read_messages(git, [c.sha for c, _ in changed] + [m for m in merges.values() if m])
    entries = []
    for commit, changes in changed:
        made = merges.get(commit.sha) or commit.sha
        own, text = texts.get(commit.sha, _NO_TEXT), texts.get(made, _NO_TEXT)
        pr = _pull_request(own) or (_pull_request(text) if made != commit.sha else None)
        build = _BUILD.search(text.message) or _BUILD.search(own.message)
        entry = Entry(commit.date, made, text.author, text.subject, changes, pull_request=pr)
        entry.merge_commit = commit.sha if commit.sha in merges else None
        entry.build = build.group(1) if build else None
        entries.append(entry)
    return entries


_CANDIDATES = 50  # merged commits asked per merge for the one that wrote its references


def _merged_commits(
    git: GitReader,
    changed: list[tuple[LogCommit, list[FileChange]]],
    merged: Mapping[str, Mapping[str, tuple[str, list[str]]]],
    own: Collection[str],
    refs_of: dict[str, list[str]],
    image: Followed,
) -> dict[str, str | None]:
    """Per merge (not `own`), the merged commit that made its change: the newest commit of the
    merged sides touching its files whose references there are the merge's and differ from its
    parent's. The newest commit touching them (a later edit of another line, an octopus merge's
    other branch) wrote no tag: it is the answer only when none is found (a rename on one side)."""
    out: dict[str, str | None] = {}
    asked: list[tuple[str, str, str, list[str]]] = []  # (merge, candidate, its parent, paths)
    for commit, _ in changed:
        if len(commit.parents) < 2 or commit.sha in own:
            continue
        paths = sorted({p for f in commit.files for p in (f.path, f.source) if p})
        spec = [f"{commit.parents[0]}..{commit.sha}", "--", *paths]
        log = git.run(["log", f"-n{_CANDIDATES}", "--no-merges", "--format=%H %P", *spec]).decode()
        candidates = [line.split() for line in log.splitlines() if line.strip()]
        out[commit.sha] = candidates[0][0] if candidates else None
        written = sorted(merged.get(commit.sha, {}))
        asked += [(commit.sha, c[0], c[1] if len(c) > 1 else "", written) for c in candidates]
    wanted = [
        (rev, path) for _, sha, parent, paths in asked for rev in (sha, parent) if rev for path in paths
    ]
    oids = dict(zip(wanted, _side_blobs(git, wanted)))
    blobs = git.blobs(sorted({oid for oid in oids.values() if oid}))

    def refs(rev: str, path: str) -> list[str] | None:
        oid = oids.get((rev, path))
        return None if oid is None else _refs(refs_of, blobs, (oid, _REGULAR), path, image)

    found: set[str] = set()
    for merge, sha, parent, paths in asked:  # newest first per merge
        after = merged.get(merge, {})
        wrote = any(refs(sha, p) == after[p][1] and refs(parent, p) != after[p][1] for p in paths)
        if wrote and merge not in found:
            out[merge] = sha
            found.add(merge)
    return out


def _pull_request(text: CommitText) -> str | None:
    for pattern, prefix, where in (
        (_GITHUB_MERGE, "#", text.subject),
        (_GITHUB_SQUASH, "#", text.subject),
        (_GITLAB_MERGE, "!", text.message),
    ):
        match = pattern.search(where)
        if match:
            return prefix + match.group(1)
    return None

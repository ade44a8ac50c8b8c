""" "What's in this deploy": the compare link from the source commit of the version being replaced
to the one being deployed, read from bumper's own commit trailers (Bumper-Source-Commit) in the
manifests repository's history, so a reviewer of a deploy PR sees the application's changes.

No API request: the trailers are in git. The base's recent history is fetched (commits only
where the clone is partial) only when the CI names this build's repository and source commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from bumper.changes import Change, read_trailers
from bumper.chart_ref import try_parse_ref
from bumper.ci.env import compare_link, current_build
from bumper.ci.provenance import TRAILER_BUILD, TRAILER_IMAGE, TRAILER_SOURCE_COMMIT
from bumper.git.batch import GitReader
from bumper.git.clone import Clone
from bumper.git.errors import GitError
from bumper.git.log import read_messages
from bumper.image_ref import ImageRef

HISTORY_DEPTH = 200  # commits of the base searched for the commit that set the old version


def deploy_compare(
    clone: Clone,
    changes: Sequence[Change],
    env: Mapping[str, str],
    kept_from: Sequence[tuple[str, str]] | None = None,
) -> str:
    """The compare link for the first change whose old version a bumper commit set, or "".
    `kept_from`: the trailers of the bot branch's commit whose versions the run keeps (a later
    build brought them): the link goes up to that build's source commit, not this run's."""
    build = current_build(env)
    if build is None or build.commit is None or not changes:
        return ""
    if not compare_link(env, build.commit, build.commit):
        return ""  # this CI names no repository to compare in
    try:
        commits = list(_bump_commits(clone))
    except GitError:
        return ""  # a link is a courtesy: never a reason to fail the run
    kept = _bump_entry(kept_from) if kept_from is not None else None
    commits = [kept, *commits] if kept is not None else commits
    for change in changes:
        old, new = try_parse_ref(change.old), try_parse_ref(change.new)
        if old is None or new is None:
            continue
        before, after = _source_of(commits, old), _source_of(commits, new)
        if before is None or before[0] is None:
            continue
        builds = [before[1]] if after is None else [before[1], after[1]]
        head = build.commit if after is None else after[0]
        link = compare_link(env, before[0], head) if head and before[0] != head else None
        if link and _in_repository(link, builds):
            return link
    return ""


def _in_repository(link: str, builds: list[str | None]) -> bool:
    """Whether the builds that recorded the commits ran in the repository `link` compares in:
    a promotion run by another repository's pipeline must not link the app's commits as its own.
    A compare view outside `/compare/` (a ci_systems.yaml entry) cannot be told: it is trusted."""
    root = re.sub(r"(/-|/branches)?/compare/[^/]*$", "", link)  # GitLab's /-/, Bitbucket's /branches/
    if root == link:
        return True
    return all(url is not None and url.startswith(root + "/") for url in builds)


def _source_of(
    commits: list[tuple[list[str], str | None, str | None]], ref: ImageRef
) -> tuple[str | None, str | None] | None:
    """(source commit, build link) of the newest bump commit whose trailers set `ref`'s version."""
    for images, source, build in commits:
        for line in images:
            _, _, new = line.partition(" -> ")
            moved = try_parse_ref(new.strip())
            if moved is not None and _same_version(moved, ref):
                return source, build
    return None


def _same_version(a: ImageRef, b: ImageRef) -> bool:
    if a.key != b.key or a.tag != b.tag:
        return False
    return a.digest is None or b.digest is None or a.digest == b.digest


def _bump_commits(clone: Clone) -> Iterator[tuple[list[str], str | None, str | None]]:
    """(Bumper-Image values, Bumper-Source-Commit, Bumper-Build) of the base's bump commits,
    newest first."""
    git = clone.git
    if git.out(["rev-parse", "--is-shallow-repository"], action="fetch") == "true":
        partial = git.execute(["config", "--get", "remote.origin.promisor"])[0] == 0
        fetch = ["fetch", "--quiet", "--no-tags", f"--deepen={HISTORY_DEPTH}"]
        fetch += ["--filter=tree:0"] if partial else []
        git.run([*fetch, "origin", clone.base], action="fetch", branch=clone.base)
    shas = git.run(["rev-list", f"--max-count={HISTORY_DEPTH}", clone.base_sha, "--"], action="log").split()
    # Messages read from the commit objects by length, decoded by their own encoding (git/log.py).
    messages = read_messages(GitReader(git, str(clone.path)), shas)
    for sha in shas:
        entry = _bump_entry(read_trailers(messages[sha].message) if sha in messages else [])
        if entry is not None:
            yield entry


def _bump_entry(trailers: Sequence[tuple[str, str]]) -> tuple[list[str], str | None, str | None] | None:
    """(Bumper-Image values, Bumper-Source-Commit, Bumper-Build) of a bump commit's trailers;
    None for a commit that is no bump."""
    images = [value for key, value in trailers if key == TRAILER_IMAGE]
    if not images:
        return None
    sources = [value for key, value in trailers if key == TRAILER_SOURCE_COMMIT]
    builds = [value for key, value in trailers if key == TRAILER_BUILD]
    return images, (sources[0] if sources else None), (builds[0] if builds else None)

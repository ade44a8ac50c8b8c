"""What must hold after any `bumper bump --repo` run, whatever went wrong during it.

- At most one open PR/MR for the bot branch.
- The bot branch, when it exists, is exactly one commit on top of a commit of the base branch,
  and the only lines it changes are image lines, each rewritten to one intended tag.
- After a successful run with a provider, the PR exists and its title names the tag the branch
  holds (the PR describes the branch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from testing import repos
from testing.world import World

_TOKEN = re.compile(r"[A-Za-z0-9_.+\-]+")


@dataclass(frozen=True)
class LineChange:
    path: str
    line: int  # 1-based
    old: str
    new: str


def base_history(world: World, base: str = "main") -> list[str]:
    """First-parent history of the base branch, newest first."""
    out = repos.git("rev-list", "--first-parent", f"refs/heads/{base}", cwd=world.bare).decode()
    return out.split()


def branch_changes(world: World, branch: str) -> tuple[str, list[LineChange]]:
    """(parent sha, changed lines) of the bot branch's tip commit; asserts one parent and
    that every touched file is a text file keeping its line count."""
    info = repos.commit_info(world.bare, f"refs/heads/{branch}")
    parents = info["parents"].split()
    assert len(parents) == 1, f"{branch} tip has parents {parents}"
    parent = parents[0]
    changes: list[LineChange] = []
    raw = repos.git(
        "diff-tree", "-r", "--no-commit-id", "--no-renames", parent, f"refs/heads/{branch}", cwd=world.bare
    ).decode()
    for entry in raw.splitlines():
        meta, _, path = entry.partition("\t")
        old_mode, new_mode, _old, _new, status = meta.lstrip(":").split()
        assert status == "M" and old_mode == new_mode == "100644", f"{branch}: {status} {path} ({meta})"
        old = repos.read_file(world.bare, parent, path) or b""
        new = repos.read_file(world.bare, f"refs/heads/{branch}", path) or b""
        old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
        assert len(old_lines) == len(new_lines), f"{branch}: {path} gained or lost lines"
        for n, (a, b) in enumerate(zip(old_lines, new_lines), 1):
            if a != b:
                changes.append(LineChange(path, n, a.decode(), b.decode()))
    return parent, changes


def _changed_token(old: str, new: str) -> tuple[str, str] | None:
    """The single word-like token that differs between two lines, or None."""
    a, b = _TOKEN.split(old), _TOKEN.split(new)
    ta, tb = _TOKEN.findall(old), _TOKEN.findall(new)
    if a != b or len(ta) != len(tb):
        return None
    diffs = [(x, y) for x, y in zip(ta, tb) if x != y]
    return diffs[0] if len(diffs) == 1 else None


def tag_of(token: str, image: str) -> str:
    """`ghcr.io/acme/app:v1.2.3` -> `v1.2.3`; a bare tag stays as it is."""
    return token[len(image) + 1 :] if token.startswith(image + ":") else token


def assert_bot_branch_sane(
    world: World,
    branch: str,
    *,
    expected_lines: dict[tuple[str, int], str],
    tags: set[str],
    base: str = "main",
) -> str | None:
    """Check the bot branch (when it exists) and return the tag it holds, else None.

    `expected_lines` maps (path, 1-based line) to the image repository that line references:
    the branch must change exactly these lines, each only in its tag, all to the same tag,
    one of `tags`.
    """
    if world.branch_sha(branch) is None:
        return None
    count_above = repos.count_commits(world.bare, branch, since=f"refs/heads/{base}")
    parent, changes = branch_changes(world, branch)
    assert parent in base_history(world, base), f"{branch} is not built on a commit of {base}"
    assert count_above == 1, f"{branch} has {count_above} commits above {base}"
    got = {(c.path, c.line) for c in changes}
    assert got == set(expected_lines), f"{branch} changes lines {sorted(got)}, want {sorted(expected_lines)}"
    held: set[str] = set()
    for c in changes:
        diff = _changed_token(c.old, c.new)
        assert diff is not None, (
            f"{branch}: {c.path}:{c.line} changed more than one token: {c.old!r} -> {c.new!r}"
        )
        image = expected_lines[(c.path, c.line)]
        held.add(tag_of(diff[1].strip("\"'"), image))
    assert len(held) == 1 and held <= tags, f"{branch} holds tags {held}, allowed {tags}"
    trailers = repos.commit_trailers(world.bare, f"refs/heads/{branch}")
    assert trailers.get("Bumper-Branch") == branch, f"{branch}: its tip does not carry bumper's trailers"
    return held.pop()


def open_pulls_for(world: World, branch: str) -> list[object]:
    return [p for p in world.open_pulls() if p.head == branch]


def assert_at_most_one_pr(world: World, branch: str) -> object | None:
    pulls = open_pulls_for(world, branch)
    assert len(pulls) <= 1, f"{len(pulls)} open PRs for {branch}: {[p.number for p in pulls]}"  # type: ignore[attr-defined]
    return pulls[0] if pulls else None


def assert_one_stderr_line(proc: object) -> None:
    """A failed run: exit 1, exactly one line on stderr, starting `bumper: error: `, no traceback."""
    stderr: str = proc.stderr  # type: ignore[attr-defined]
    assert proc.returncode == 1, f"exit {proc.returncode}: {stderr}"  # type: ignore[attr-defined]
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), f"stderr: {stderr!r}"
    assert "Traceback" not in stderr

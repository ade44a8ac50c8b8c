"""`bumper check`: what would make a bump of this tree fail or miss, one `file:line` line each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from bumper.changes import Skip, reason_word
from bumper.errors import ExitCode, ManifestError
from bumper.plan.image_policy import unresolved_markers
from bumper.plan.marker_lint import near_misses
from bumper.plan.needles import CHECK_NEEDLES
from bumper.plan.rules import POLICY_FILE, Enclosing, PolicyFileError, Rule, enclosing_policy, load_policy
from bumper.plan.select import iter_candidates, unmatched_globs
from bumper.plan.tree import check_paths_match, manifest_sources, policy_paths
from bumper.report import detail, emit_json, ignored_line, info, warn
from bumper.shapes import has_template_syntax
from bumper.shapes.left_alone import AMBIGUOUS
from bumper.shapes.reference import Ignored
from bumper.shapes.walk import find_references
from bumper.yaml_edit import compose_all

# Files skipped for these reasons mention an image yet can never be bumped.
_BROKEN = {"not-utf-8": "is not UTF-8 text", "binary": "holds a NUL byte"}


class Problem(NamedTuple):
    file: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}" if self.line else f"{self.file}: {self.problem}"


def check(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    unmatched = unmatched_globs(Path(directory), paths)
    check_paths_match(paths, unmatched)  # a typo checks nothing: exit 3, as scan and bump say it
    considered: list[str] = []
    ignored: list[Skip] = []
    problems = find_problems(Path(directory), paths, considered, ignored)
    enclosing = enclosing_policy(Path(directory))
    if enclosing is not None:
        problems = sorted([*_enclosing_problems(Path(directory), enclosing), *problems], key=_order)
        warn(
            f"{_relative(Path(directory), enclosing)} governs {directory} from a folder above (a bump "
            f"of {directory} is refused): check validates it, but the paths its rules name are read "
            f"from that folder only; {enclosing.way_out('bumper check ')}"
        )
    for glob in unmatched:
        warn(f"--path {glob!r} matches no file")
    if output == "json":
        emit_json({"problems": [p._asdict() for p in problems]})
    else:
        for path in considered:
            detail(f"bumper: considered {path}")
        for skip in ignored:
            detail(ignored_line(skip))
        for problem in problems:
            print(problem)
        checked = f" in {len(considered)} file(s)"
        info(f"bumper: {len(problems)} problem(s){checked}" if problems else f"bumper: no problems{checked}")
    return ExitCode.FAILURE if problems else ExitCode.OK


def find_problems(
    root: Path,
    paths: tuple[str, ...] = (),
    considered: list[str] | None = None,
    ignored: list[Skip] | None = None,
) -> list[Problem]:
    """The policy file's first error, every marker that resolves to no image, and every file
    that mentions an image but cannot be read as YAML (files looked at go to `considered`, files
    left alone to `ignored`)."""
    problems: list[Problem] = []
    named: tuple[tuple[str, ...], ...] = ()  # the hidden folders the rules name (none when invalid)
    try:
        policy = load_policy(root)
        named = policy_paths(policy)
        problems += _rules_selecting_nothing(root, policy.rules, named)
    except PolicyFileError as exc:
        problems.append(Problem(exc.file or ".bumper.yaml", exc.line, exc.message))
    ignored = [] if ignored is None else ignored
    for source, _ in manifest_sources(
        root, paths, CHECK_NEEDLES, ignored, considered=considered, named=named
    ):
        notes: list[Ignored] = []
        try:
            find_references(source, compose_all(source), notes)
        except ManifestError as exc:
            if has_template_syntax(source.text):  # YAML only once rendered: not a problem
                ignored.append(Skip(source.path, exc.line, None, None, "template"))
                continue
            problems.append(
                Problem(source.path, exc.line, f"mentions an image but does not parse: {exc.message}")
            )
            continue
        problems += [Problem(source.path, line, problem) for line, problem in near_misses(source)]
        problems += _ambiguous(source.path, notes)
    # $bumper markers on no matching value; $imagepolicy markers naming no ImagePolicy or image
    problems += [
        Problem(u.file, u.line, f"{u.marker} marker {u.target!r} resolves to no image: {u.reason}")
        for u in unresolved_markers(root, paths, named=named)
    ]
    for skip in ignored:
        if skip.reason in _BROKEN:
            problems.append(_unreadable(root, skip.file, skip.reason))
    return sorted(problems, key=_order)


def _rules_selecting_nothing(
    root: Path, rules: tuple[Rule, ...], named: tuple[tuple[str, ...], ...]
) -> list[Problem]:
    """The rules whose `paths:` select no manifest file of the tree: such a rule governs nothing,
    so a typo there (`CLUSTERS/prod`, `clusters/prd`) silently turns it off, a hold most of all
    (a typo in a key is an error for the same reason)."""
    ruled = [rule for rule in rules if rule.paths is not None]
    if not ruled:
        return []
    files = [c.relpath for c in iter_candidates(root, (), named=named)]
    return [
        Problem(
            POLICY_FILE,
            rule.line,
            f"rule {rule.index + 1}: paths {', '.join(rule.paths.patterns)} select no file of the tree, "
            "so the rule governs nothing (patterns are case-sensitive, relative to the tree's root, "
            "read like .gitignore lines); fix the pattern, or remove the rule",
        )
        for rule in ruled
        if rule.paths is not None and not any(rule.paths(f) for f in files)
    ]


def _ambiguous(path: str, notes: list[Ignored]) -> list[Problem]:
    """The values every bump leaves alone as `ambiguous` (a Helm map saying a key twice but for
    case, another map reaching its values through an anchor, a kustomize entry whose `newName`
    holds a tag beside `newTag`): the file says two things where it means one; each reason ends
    with what to write."""
    return [
        Problem(path, note.line, f"{note.value!r} is left alone by every bump: {note.reason}")
        for note in notes
        if reason_word(note.reason) == AMBIGUOUS
    ]


def _order(problem: Problem) -> tuple[str, int]:
    return problem.file, problem.line or 0


def _relative(root: Path, enclosing: Enclosing) -> str:
    """The governing policy file as a path from `root` (`../.bumper.yaml`)."""
    return os.path.relpath(enclosing.folder / enclosing.name, root.resolve())


def _enclosing_problems(root: Path, enclosing: Enclosing) -> list[Problem]:
    """The first error of the policy file governing `root` from a folder above, which a bump of
    that folder reads (and fails on); named as a path from `root`."""
    try:
        load_policy(enclosing.folder)
    except PolicyFileError as exc:
        where = enclosing.folder / (exc.file or enclosing.name)
        return [Problem(os.path.relpath(where, root.resolve()), exc.line, exc.message)]
    return []


def _unreadable(root: Path, relpath: str, reason: str) -> Problem:
    """The line of the first byte that makes a file mentioning an image unreadable."""
    data = (root / relpath).read_bytes()
    if reason == "binary":
        offset = data.find(b"\0")
    else:
        try:
            data.decode("utf-8")
            offset = 0
        except UnicodeDecodeError as exc:
            offset = exc.start
    line = data.count(b"\n", 0, max(offset, 0)) + 1
    return Problem(relpath, line, f"mentions an image but {_BROKEN[reason]}")

"""Plan one file: its references, the edit of each, and what the file adds to the tree's plan.

A file's plan depends only on what the whole run settled first (the REFs, the Flux policies,
the rules), so files plan independently, also in a second process (bumper.two_cores): each
outcome pickles, rules travelling by their position in the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bumper.changes import Change, Skip
from bumper.diffs import file_diff
from bumper.errors import ManifestError
from bumper.files import has_template_syntax
from bumper.flux import PolicyTable, Unresolved
from bumper.image_ref import ImageRef
from bumper.policy import decide
from bumper.repo_policy import Rule, RunRules, held_lines
from bumper.shapes import Ignored, MarkerPartRef, Reference, find_references
from bumper.shapes.policy_marker import PolicyRef
from bumper.yaml_edit import Plan, Source, apply_and_verify, compose_all, paused_gc

if TYPE_CHECKING:
    from bumper.rewrite import TreePlan


@dataclass(frozen=True)
class FileEdit:
    """One file's bytes before and after; nothing is on disk until `write_all`."""

    relpath: str
    path: Path
    old: bytes
    new: bytes

    @cached_property
    def diff(self) -> str:
        """This file's part of a `git diff`-style unified diff."""
        return file_diff(self.relpath, self.old.decode("utf-8"), self.new.decode("utf-8"))


@dataclass
class FileOutcome:
    """What planning one file adds to the TreePlan; picklable (rules travel as their index),
    so a second process can plan some of the files (bumper.two_cores)."""

    ignored: list[Skip] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    rules: list[int | None] = field(default_factory=list)  # each change's rule, by its position
    matched: int = 0
    found: set[str] = field(default_factory=set)
    edit: FileEdit | None = None

    def merge_into(self, plan: TreePlan, rules: RunRules) -> None:
        plan.ignored += self.ignored
        plan.unresolved += self.unresolved
        plan.skipped += self.skipped
        plan.changes += self.changes
        plan.rules += [None if i is None else rules.policy.rules[i] for i in self.rules]
        plan.matched += self.matched
        plan.found |= self.found
        if self.edit is not None:
            plan.edits.append(self.edit)


@dataclass(frozen=True)
class FileJob:
    """Plans one file against what the whole run decided first (REFs, Flux policies, rules)."""

    by_key: dict[str, ImageRef]
    policies: PolicyTable
    rules: RunRules
    mode: str | None
    allow_downgrade: bool
    diffs: bool
    pins: dict[str, str] = field(default_factory=dict)  # --registry resolve: key -> tag's digest

    def plan(self, item: tuple[Source, str]) -> FileOutcome:
        with paused_gc():  # both node graphs stay alive until the proof is done
            return self._plan(item)

    def _plan(self, item: tuple[Source, str]) -> FileOutcome:
        source, path = item
        out = FileOutcome()
        notes: list[Ignored] = []
        try:
            docs = compose_all(source)
            found = find_references(source, docs, notes)
        except ManifestError as exc:
            if not has_template_syntax(source.text):
                raise
            out.ignored = [Skip(source.path, exc.line, None, None, "template")]  # YAML once rendered
            return out
        notes.sort(key=lambda n: n.line)
        out.ignored = [ignored_skip(source, n) for n in notes if n.key is None or n.key in self.by_key]
        edit_plan = Plan()
        held = held_lines(source.text)
        for ref in found:
            if isinstance(ref, PolicyRef):
                new = self.policies.latest.get(ref.policy)
                why = None if new is not None else self.policies.unresolved(ref)
                if why is not None:
                    out.unresolved.append(Unresolved(source.path, ref.line, "$imagepolicy", ref.target, why))
            else:
                new = self.by_key.get(ref.ref.key)
            new = self._pinned(ref, new)
            if new is None:
                continue
            out.matched += 1
            out.found.add(new.key)
            if isinstance(ref, MarkerPartRef) and ref.part == "name":
                continue  # the name is kept as spelled; nothing to move
            verdict = self.rules.judge(source.path, new.key, new.tag or ref.ref.tag, ref.line in held)
            if self.mode is not None and verdict.mode != self.mode:
                continue
            if verdict.skip is not None:
                by_rule = verdict.rule if verdict.skip == "policy" or ref.line not in held else None
                out.skipped.append(
                    Skip(source.path, ref.line, ref.shape, ref.value, verdict.skip, rule_note(by_rule))
                )
                continue
            if _plan_reference(out, edit_plan, source, ref, new, self.allow_downgrade):
                out.rules.append(self._position(verdict.rule))
        if edit_plan.edits or edit_plan.embedded:
            new_text = apply_and_verify(source, docs, edit_plan)
            out.edit = FileEdit(source.path, Path(path), source.to_bytes(), source.to_bytes(new_text))
            if self.diffs:
                _ = out.edit.diff  # made here, cached, and sent along with the edit
        return out

    def _pinned(self, ref: Reference, new: ImageRef | None) -> ImageRef | None:
        """--registry resolve: a tag-only REF takes its tag's digest where the reference is
        pinned by digest (a `digest` part, or a whole reference holding one)."""
        if new is None or new.digest is not None or new.key not in self.pins:
            return new
        if isinstance(ref, PolicyRef):
            pinned = ref.part == "digest" or (ref.part == "whole" and ref.ref.digest is not None)
        else:
            pinned = ref.ref.digest is not None
        return new._replace(digest=self.pins[new.key]) if pinned else new

    def _position(self, rule: Rule | None) -> int | None:
        return None if rule is None else self.rules.policy.rules.index(rule)


def _plan_reference(
    out: FileOutcome, edit_plan: Plan, source: Source, ref: Reference, new: ImageRef, allow_downgrade: bool
) -> bool:
    """Plan one reference's rewrite (True), or record why it is skipped (False)."""
    if isinstance(ref, MarkerPartRef) and ref.part == "tag" and new.tag is None:
        out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, "ref-has-no-tag"))
        return False
    if isinstance(ref, PolicyRef):
        outcome = ref.plan(edit_plan, source, new, allow_downgrade=allow_downgrade)
        if isinstance(outcome, Change):
            out.changes.append(outcome)
            return True
        out.skipped.append(outcome)
        return False
    decision = decide(
        ref.ref.tag,
        ref.ref.digest,
        new.tag,
        new.digest if ref.holds_digest else None,  # a tag field alone is up to date by its tag
        allow_downgrade=allow_downgrade,
        where=(source.path, ref.line),
        shown=(ref.value, str(new)),
    )
    if not decision.apply:
        out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, decision.reason or ""))
        return False
    new_value = ref.rewrite(edit_plan, source, new)
    if new_value is None:  # a digest-only REF and a Helm map with no `digest` key
        out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, "no-digest-field"))
        return False
    out.changes.append(Change(source.path, ref.line, ref.shape, ref.value, new_value))
    return True


def rule_note(rule: Rule | None) -> str | None:
    """Which `.bumper.yaml` rule refused a reference: where it is, its paths, what it allows."""
    if rule is None:
        return None
    parts = [f"paths {', '.join(rule.paths.patterns)}" if rule.paths is not None else "every path"]
    if rule.images is not None:
        parts.append(f"images {', '.join(p.lstrip('/') for p in rule.images.patterns)}")
    if rule.hold:
        parts.append("hold")
    elif rule.allow is not None:
        parts.append(f"allow '{rule.allow.pattern}'")
    return f"{rule.describe()}: {'; '.join(parts)}"


def ignored_skip(source: Source, note: Ignored) -> Skip:
    """A note of the shapes (a value left alone, and why) as the plan lists it."""
    return Skip(source.path, note.line, note.shape, note.value, note.reason)

"""Plan one file: its references, the edit of each, and what the file adds to the tree's plan.

A file's plan depends only on what the whole run settled first (the REFs, the Flux policies,
the rules), so files plan independently; an outcome names each change's rule by its position in
the policy, and bumper.plan.tree merges the outcomes in file order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from bumper.changes import Change, Skip, reason_word
from bumper.errors import ManifestError
from bumper.image_ref import ImageRef, repository_key
from bumper.plan.chart_sources import OVERLAY_PATCH, ChartSources
from bumper.plan.chart_values import chart_overrides
from bumper.plan.diffs import file_diff
from bumper.plan.holds import held_references, shared_with_other_images, with_other_images
from bumper.plan.image_policy import PolicyTable, Unresolved, markers_without_value, plan_marked
from bumper.plan.needles import names_any
from bumper.plan.rules import Rule, RunRules, Verdict
from bumper.plan.versions import decide, literal_pattern
from bumper.shapes import has_template_syntax
from bumper.shapes.markers import MarkerPartRef, says_a_word
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.reference import Ignored, Reference
from bumper.shapes.walk import read_references
from bumper.yaml_edit import Edit, Plan, Proof, Source, paused_gc


@dataclass(frozen=True)
class FileEdit:
    """One file's bytes before and after; nothing is on disk until `write_all`."""

    relpath: str
    path: str  # where it is written (a str: a plan of 12,500 files makes no Path for each)
    old: bytes
    new: bytes
    # The edits that make `new` of `old` (start, end, text; in the decoded text), so a diff
    # compares only the lines around them; empty: compare every line.
    near: tuple[tuple[int, int, str], ...] = ()

    @cached_property
    def diff(self) -> str:
        """This file's part of a `git diff`-style unified diff."""
        return file_diff(self.relpath, self.old.decode("utf-8"), self.new.decode("utf-8"), self.near)

    def without_bytes(self) -> FileEdit:
        """This edit less its bytes, as a forked planner sends it (its diff, when made, goes
        along): `with_bytes` makes them again from the source the edit was planned from."""
        bare = FileEdit(self.relpath, self.path, b"", b"", self.near)
        if "diff" in self.__dict__:
            bare.__dict__["diff"] = self.__dict__["diff"]
        return bare

    def with_bytes(self, source: Source) -> FileEdit:
        """This edit with the bytes `source` gives: the edits spliced in as the proof spliced
        them (yaml_edit.Plan.apply), so the text is the one the planner proved."""
        if source.path != self.relpath:  # an answer paired with another file's item: never write it
            raise RuntimeError(f"the edit of {self.relpath} was paired with {source.path}")
        bom = 1 if source.bom else 0
        new_text = Plan(edits=[Edit(start - bom, end - bom, text) for start, end, text in self.near]).apply(
            source.text
        )
        whole = FileEdit(self.relpath, self.path, source.to_bytes(), source.to_bytes(new_text), self.near)
        if "diff" in self.__dict__:
            whole.__dict__["diff"] = self.__dict__["diff"]
        return whole


def renamed_key(image: ImageRef, new: ImageRef) -> str:
    """What a kustomize entry renaming `image` to the REF `new` is judged by (bumper.plan.inherited):
    `image`'s references refused `new`'s version, apart from an entry renaming it to another REF."""
    return f"{image.key} as {new.key}"


@dataclass
class FileOutcome:
    """What planning one file adds to the tree's plan (bumper.plan.tree merges it)."""

    ignored: list[Skip] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    rules: list[int | None] = field(default_factory=list)  # each change's rule, by its position
    matched: int = 0
    found: set[str] = field(default_factory=set)
    edit: FileEdit | None = None
    # newTag added: path, line, the key of the image whose references hold the tag it ran (for a
    # rename, renamed_key: the image and the REF it moved to), and whether the entry pinned the
    # image by `digest:` alone (kustomize then renders NAME@DIGEST: no tag of a base runs)
    inherited: list[tuple[str, int, str, bool]] = field(default_factory=list)
    # each image an entry renamed (kustomize `name` -> `newName`), with the REF it moved to
    renamed: list[tuple[ImageRef, ImageRef]] = field(default_factory=list)
    # The refusals of references another commit mode delivers: no skips of this plan, but a
    # kustomize entry without newTag of this mode runs their tag (bumper.plan.inherited)
    refused_elsewhere: list[Skip] = field(default_factory=list)


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
    charts: ChartSources = field(default_factory=ChartSources)  # HelmRelease pins' sources
    # (path, line) of a kustomize entry without newTag -> why none is added (bumper.plan.inherited)
    overridden: Mapping[tuple[str, int], Skip] = field(default_factory=dict)

    def plan(self, item: tuple[Source, str]) -> FileOutcome:
        source, path = item
        with paused_gc():  # node graphs are alive throughout: nothing for a collection to find
            out, proof = self._plan(source, path)  # the first parse ends with _plan, spans of it stay
            if proof is not None:
                new_text = proof.verify()
                bom = 1 if source.bom else 0  # the diff reads the bytes, BOM and all
                near = tuple((e.start + bom, e.end + bom, e.text) for e in proof.edits)
                out.edit = FileEdit(source.path, path, source.to_bytes(), source.to_bytes(new_text), near)
                if self.diffs:
                    _ = out.edit.diff  # made here, cached, and sent along with the edit
        return out

    @staticmethod
    def pack(outcome: FileOutcome) -> FileOutcome:
        """What a forked planner sends of an outcome: its edit without the file's bytes, which
        the process it is sent to holds already (bumper.plan.forked; a chart repository's answer
        was megabytes of them)."""
        if outcome.edit is None:
            return outcome
        return replace(outcome, edit=outcome.edit.without_bytes())

    @staticmethod
    def unpack(item: tuple[Source, str], outcome: FileOutcome) -> FileOutcome:
        """An outcome `pack` sent, made whole again from the item it was planned from."""
        if outcome.edit is None:
            return outcome
        return replace(outcome, edit=outcome.edit.with_bytes(item[0]))

    def _plan(self, source: Source, path: str) -> tuple[FileOutcome, Proof | None]:
        """The file's outcome but its edit, and the proof to make of its edits if it has any."""
        out = FileOutcome()
        try:
            docs, found, notes, shared = read_references(source)
        except ManifestError as exc:
            # `python3 -m vllm` and no `python` image, or `github:` read for an Istio `hub:`: not
            # this run's file, as one that never names a REF is never parsed
            if not names_any(source.text, self.by_key.values()):
                return out, None
            if not has_template_syntax(source.text):
                raise _unparseable(exc, source.path) from None
            out.ignored = [Skip(source.path, exc.line, None, None, "template")]  # YAML once rendered
            return out, None
        found, notes = self.charts.settle(found, notes, self.by_key)  # HelmRelease pins' sources
        found = chart_overrides(source, path, docs, found, notes)  # an image whose tag the chart keeps
        notes.sort(key=lambda n: n.line)
        notes = self._overlay_patches(out, source, notes)
        out.ignored = [
            ignored_skip(source, n) for n in notes if n.key is None or _names_a_ref(n.key, self.by_key)
        ]
        # A marker on a nested map or flow map sets nothing, nor one inside a block read as text
        # (a `$bumper` marker naming an image of the run: said, never passed over in silence).
        if says_a_word(source.text, ("$imagepolicy", "$bumper")):
            out.unresolved += [
                u
                for u in markers_without_value(source, docs, found, notes)
                if u.marker == "$imagepolicy" or _marks_a_ref(u.target, self.by_key)
            ]
        edit_plan = Plan()
        held = held_references(source, docs, found, self.rules, shared)
        crossed = shared_with_other_images(found, shared) if shared or len(found) > 1 else {}
        for ref in with_other_images(found, shared, crossed) if shared else found:
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
            marked = ref.innermost()  # a marker inside a values block string too
            if isinstance(marked, MarkerPartRef) and marked.part == "name":
                continue  # the name is kept as spelled; nothing to move
            verdict = self.rules.judge(source.path, new.key, new.tag, id(ref) in held)
            if self.mode is not None and verdict.mode != self.mode:
                out.refused_elsewhere += self._refusal(
                    source, ref, new, verdict, held.get(id(ref), [ref.line])
                )
                continue
            if verdict.skip is not None:
                out.skipped += _verdict_skips(source, ref, verdict, held.get(id(ref), [ref.line]))
                continue
            if id(ref) in crossed:  # editing the anchor would move another image too
                out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, crossed[id(ref)]))
                continue
            refused = self.overridden.get((source.path, ref.line)) if ref.inherits_tag else None
            if _plan_reference(out, edit_plan, source, ref, new, self.allow_downgrade, refused):
                out.rules.append(self._position(verdict.rule))
        return out, Proof(source, docs, edit_plan) if edit_plan.edits or edit_plan.embedded else None

    def _overlay_patches(self, out: FileOutcome, source: Source, notes: list[Ignored]) -> list[Ignored]:
        """`notes` less the overlays' versions of a REF's chart left as they are while the base
        moves: each is a reference found and skipped, said on every run (production would keep
        the old chart), in the plan of its file's mode."""
        kept: list[Ignored] = []
        for note in notes:
            if note.key not in self.by_key or reason_word(note.reason) != OVERLAY_PATCH:
                kept.append(note)
            elif self._in_this_plan(source.path, note.key):
                out.skipped.append(ignored_skip(source, note))
                out.matched += 1
                out.found.add(note.key)
        return kept

    def _in_this_plan(self, path: str, key: str | None) -> bool:
        """Whether a reference of `key` in `path` is delivered by this plan's mode (every
        reference when the plan is not split by mode)."""
        if self.mode is None or key is None:
            return True
        return self.rules.judge(path, key, self.by_key[key].tag, False).mode == self.mode

    def _pinned(self, ref: Reference, new: ImageRef | None) -> ImageRef | None:
        """--registry resolve: a tag-only REF takes its tag's digest where the reference is
        pinned by digest (a `digest` part, or a whole reference holding one)."""
        if new is None or new.digest is not None or new.key not in self.pins:
            return new
        if isinstance(ref, PolicyRef):
            pinned = ref.part == "digest" or ref.pinned_digest is not None
        else:
            pinned = ref.ref.digest is not None
        return new._replace(digest=self.pins[new.key]) if pinned else new

    def _refusal(
        self, source: Source, ref: Reference, new: ImageRef, verdict: Verdict, lines: list[int]
    ) -> list[Skip]:
        """The skip a reference of another commit mode gets in its own mode's plan, when it is
        refused the move (a hold, a rule, another variant, a downgrade); else none."""
        if verdict.skip is not None:
            return _verdict_skips(source, ref, verdict, lines)
        if isinstance(ref, PolicyRef):
            return []
        refused = _refused_move(source, ref, new, self.allow_downgrade)
        return [] if refused is None else [refused]

    def _position(self, rule: Rule | None) -> int | None:
        return None if rule is None else self.rules.policy.rules.index(rule)


def _unparseable(exc: ManifestError, path: str) -> ManifestError:
    """A file the run must read that is not YAML, with the ways out: fix it, or leave it out."""
    if not exc.message.startswith("cannot parse YAML"):
        return exc  # a duplicate key, too many documents: the message says what to do
    import shlex  # only a failing run quotes a path

    pattern = shlex.quote(f"!/{literal_pattern(path)}")
    return ManifestError(
        f"{exc.message}; fix its YAML, or leave the file out with {pattern} "
        "(after --path '**' for bump, after the other --to for promote)",
        file=exc.file,
        line=exc.line,
    )


def _plan_reference(
    out: FileOutcome,
    edit_plan: Plan,
    source: Source,
    ref: Reference,
    new: ImageRef,
    allow_downgrade: bool,
    refused: Skip | None = None,
) -> bool:
    """Plan one reference's rewrite (True), or record why it is skipped (False); `refused`: the
    skip it gets when the tag it inherits must not be overridden."""
    marked = ref.innermost()
    if isinstance(marked, MarkerPartRef) and marked.part == "tag" and new.tag is None:
        out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, "ref-has-no-tag"))
        return False
    if isinstance(ref, PolicyRef):
        outcome = plan_marked(ref, edit_plan, source, new, allow_downgrade=allow_downgrade)
        if isinstance(outcome, Change):
            out.changes.append(outcome)
            return True
        out.skipped.append(outcome)
        return False
    skip = _refused_move(source, ref, new, allow_downgrade)
    if skip is not None:
        out.skipped.append(skip)
        return False
    if refused is not None:
        out.skipped.append(refused._replace(shape=ref.shape, value=ref.value))
        return False
    new_value = ref.rewrite(edit_plan, source, new)
    if new_value is None:  # a digest-only REF and a Helm map with no `digest` key
        out.skipped.append(Skip(source.path, ref.line, ref.shape, ref.value, "no-digest-field"))
        return False
    note = NO_DIGEST_WRITTEN if new.digest is not None and new.digest not in new_value else None
    out.changes.append(Change(source.path, ref.line, ref.shape, ref.value, new_value, note))
    if ref.inherits_tag:
        source_image = ref.inherits_from
        key = new.key if source_image is None else renamed_key(source_image, new)
        out.inherited.append((source.path, ref.line, key, ref.ref.digest is not None))
        if source_image is not None:
            out.renamed.append((source_image, new))
    return True


# A tag@digest REF written where the reference has no digest field (a values map `{repository,
# tag}`): the tag moves, as references without a digest stay without one; said, never silent.
NO_DIGEST_WRITTEN = (
    "no-digest-field: the tag moved, but the reference has no field for the REF's digest, so it is "
    "not pinned; add `digest:` beside the tag to have bumper pin it"
)


def _refused_move(source: Source, ref: Reference, new: ImageRef, allow_downgrade: bool) -> Skip | None:
    """The skip of a reference whose version may not move to `new`'s (another variant, a
    downgrade, up to date, a stale digest: bumper.plan.versions), or None when it may."""
    if new.tag is None and new.digest is not None and not ref.holds_digest and not ref.ref.tag:
        # a digest-only REF and a Helm map with no `digest` key and an empty tag (the chart's
        # appVersion): no place for the digest, and no tag to compare, so never up to date
        return Skip(source.path, ref.line, ref.shape, ref.value, "no-digest-field")
    decision = decide(
        ref.ref.tag,
        ref.ref.digest,
        # a digest field alone is up to date by its digest (a tag-only REF is still refused there)
        new.tag if ref.holds_tag or new.digest is None else None,
        new.digest if ref.holds_digest else None,  # a tag field alone is up to date by its tag
        allow_downgrade=allow_downgrade,
        where=(source.path, ref.line),
        shown=(ref.value, str(new)),
        untagged_runs=None if ref.inherits_tag else ref.innermost().untagged_runs,
        hold_line=ref.hold_line,
    )
    return (
        None if decision.apply else Skip(source.path, ref.line, ref.shape, ref.value, decision.reason or "")
    )


def _verdict_skips(source: Source, ref: Reference, verdict: Verdict, lines: list[int]) -> list[Skip]:
    """A reference the rules refuse (a hold, a rule's `allow`), skipped on each of its `lines`
    (a held anchor's aliases are held with it); the rule is named where it decided."""
    assert verdict.skip is not None
    rule = verdict.rule
    by_rule = rule if verdict.skip == "policy" or (rule is not None and rule.hold) else None
    lines = lines if verdict.skip == "held" else [ref.line]
    note = rule_note(by_rule)
    return [Skip(source.path, line, ref.shape, ref.value, verdict.skip, note) for line in lines]


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


def _marks_a_ref(target: str, by_key: dict[str, ImageRef]) -> bool:
    """Whether a `$bumper` marker's target (`REPO`, `REPO:tag`, …) names a REF's repository."""
    repo, _, part = target.rpartition(":")
    key = repository_key(repo if part in ("tag", "name", "digest") else target)
    return key is not None and key in by_key


def _names_a_ref(key: str, by_key: dict[str, ImageRef]) -> bool:
    """Whether a note keyed `key` is about a REF: its repository, or (`REGISTRY/NAMESPACE/*`, an
    Istio `hub` + `tag`, shapes/hubs.py) a REF directly in that namespace."""
    if key in by_key:
        return True
    if not key.endswith("/*"):
        return False
    under = key[:-1]
    return any(k.startswith(under) and "/" not in k[len(under) :] for k in by_key)

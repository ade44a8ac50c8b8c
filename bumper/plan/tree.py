"""Plan every edit of a tree for a set of REFs (bumper.plan.write writes them: all files or none)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bumper.changes import Change, Skip
from bumper.errors import BumperError, ConfigError, NotFoundError
from bumper.image_ref import ImageRef
from bumper.plan.chart_lock import stale_lock_warning, stale_locks
from bumper.plan.chart_sources import ChartSources
from bumper.plan.file import FileEdit, FileJob, FileOutcome
from bumper.plan.forked import map_in_order
from bumper.plan.image_policy import FluxIndex, PolicyTable, Unresolved, marked_policies, not_found_hint
from bumper.plan.inherited import overridden
from bumper.plan.needles import (
    API_NEEDLE,
    CHART_NEEDLES,
    INDEX_NEEDLES,
    MANIFEST_NAME_GLOBS,
    PATCH_NEEDLES,
    escaped_mention,
    hub_needles,
    needles,
    says_hub,
    says_split,
    split_needles,
)
from bumper.plan.not_found import left_alone, oci_artifact_hint
from bumper.plan.rules import PolicyFileError, RepoPolicy, Rule, RunRules, load_policy
from bumper.plan.search import NeedleSearch
from bumper.plan.select import (
    QUIET_REASONS,
    iter_candidates,
    mentions,
    read_manifest,
    read_tree,
    unmatched_globs,
)
from bumper.yaml_edit import Source


@dataclass(frozen=True)
class TreePlan:
    """What a bump would do to a tree. Never edited once planned: the methods below return a new
    plan (the verdicts of --verify, skips a flow raises, the direct-commit half before the PR's)."""

    changes: list[Change] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    ignored: list[Skip] = field(default_factory=list)
    edits: list[FileEdit] = field(default_factory=list)
    matched: int = 0
    found: set[str] = field(default_factory=set)  # keys of the images some file references
    not_found: list[str] = field(default_factory=list)  # REFs no file references (JSON "not_found")
    unresolved: list[Unresolved] = field(default_factory=list)  # $imagepolicy markers naming no image
    policies: dict[str, ImageRef] = field(default_factory=dict)  # each Flux policy's image this run
    rules: list[Rule | None] = field(default_factory=list)  # the policy rule of each change
    considered: list[str] = field(default_factory=list)  # every file read, in name order (-v)
    unmatched_paths: list[str] = field(default_factory=list)  # --path globs selecting no file
    verified: list[Any] = field(default_factory=list)  # --verify's verdicts (bumper.verify.run.Verified)
    stale_locks: list[str] = field(default_factory=list)  # Chart.lock files left out of sync (chart_lock)

    def lock_warnings(self) -> list[str]:
        """A warning line per Chart.lock this plan leaves out of sync (bumper.plan.chart_lock)."""
        return [stale_lock_warning(lock) for lock in self.stale_locks]

    def verified_by(self, verified: list[Any]) -> TreePlan:
        """This plan with --verify's verdicts."""
        return replace(self, verified=list(verified))

    def with_skips(self, skips: list[Skip]) -> TreePlan:
        """This plan with references a flow left alone after planning (e.g. a newer version
        already on the bot branch)."""
        return replace(self, skipped=[*self.skipped, *skips])

    def without_changes(self) -> TreePlan:
        """This plan reporting no change (the bot branch already held all of it)."""
        return replace(self, changes=[])

    def after(self, direct: TreePlan, *, changes: bool) -> TreePlan:
        """One plan for both halves of a run: the direct commit's skips and verdicts first, and
        with `changes` its changes and edits too."""
        merged = replace(
            self, skipped=[*direct.skipped, *self.skipped], verified=[*direct.verified, *self.verified]
        )
        if not changes:
            return merged
        return replace(merged, changes=[*direct.changes, *self.changes], edits=[*direct.edits, *self.edits])


def index_refs(refs: list[ImageRef]) -> dict[str, ImageRef]:
    """REFs by repository; two REFs for one repository are a usage error."""
    by_key: dict[str, ImageRef] = {}
    for ref in refs:
        if ref.tag is None and ref.digest is None:
            raise ConfigError(f"REF {str(ref)!r} has neither a tag nor a digest; give e.g. {ref.name}:1.2.3")
        if ref.key in by_key:
            raise ConfigError(f"REFs {str(by_key[ref.key])!r} and {str(ref)!r} name the same repository")
        by_key[ref.key] = ref
    return by_key


def manifest_sources(
    root: Path,
    globs: tuple[str, ...],
    needles: tuple[bytes, ...],
    ignored: list[Skip],
    only: frozenset[str] | None = None,
    considered: list[str] | None = None,
    named: tuple[tuple[str, ...], ...] = (),
    search: NeedleSearch | None = None,
) -> Iterator[tuple[Source, str]]:
    """(text, path) of each manifest that mentions a needle; files left alone go to `ignored`
    (hidden files and chart templates only when they mention a needle other than `INDEX_NEEDLES`,
    which say nothing of a REF), every file looked at to `considered`. `named`: the
    `.bumper.yaml` rules' paths, which may name hidden folders. `search`: this very search,
    started early by the caller (a different one is stopped)."""
    listed = tuple(n for n in needles if n not in INDEX_NEEDLES)
    if search is not None and (only is not None or not search.searches(root, needles, MANIFEST_NAME_GLOBS)):
        search.stop()
        search = None
    # A --repo run already knows, from git grep, which files mention a needle (`only`).
    if search is None and only is None:
        search = NeedleSearch.start(root, needles, MANIFEST_NAME_GLOBS)
    hits: frozenset[str] | None = None  # None: read every file
    pending = search  # asked once, at the first file to read: this loop runs 10,000 times on a big tree
    # Listing no file (no -v), the walk takes further only the files the search found, and links
    # and special files for their reason (the others would be neither read nor listed); a
    # chart's templates/ is not even listed.
    found = search.hits if search is not None and considered is None else None
    try:
        for candidate in iter_candidates(root, globs, only, named, found):
            if considered is not None:
                considered.append(candidate.relpath)
            reason = candidate.reason
            source = None
            if reason is None or reason in QUIET_REASONS:
                if pending is not None:
                    hits, pending = pending.hits(), None
                if hits is not None and candidate.relpath not in hits:
                    reason = None  # mentions no needle: nothing to read, nothing to list
                elif reason is None:
                    source, reason = read_manifest(candidate, needles)
                # A hidden file or template grep found is listed without reading it again: one
                # found by an escape of a character of the REF's name alone (escape_needles) is
                # listed too, though its escapes may spell another name (rare, never written).
                elif (hits is None or listed != needles) and not mentions(candidate, listed):
                    reason = None
            if reason is not None:
                ignored.append(Skip(candidate.relpath, None, None, None, reason))
            if source is not None:
                yield source, candidate.path
    finally:
        if search is not None:
            search.stop()


class TreeObjects:
    """The tree's Flux ImagePolicy/ImageRepository and HelmRepository objects, which resolve a
    marker or a HelmRelease pin of another file: read in one walk (never narrowed by --path),
    the first time a reference needs either; most trees need neither."""

    def __init__(self, root: Path, only: frozenset[str] | None = None) -> None:
        self._root, self._only = root, only
        self._read: tuple[FluxIndex, ChartSources] | None = None

    def flux(self) -> FluxIndex:
        return self._objects()[0]

    def charts(self) -> ChartSources:
        return self._objects()[1]

    def _objects(self) -> tuple[FluxIndex, ChartSources]:
        if self._read is None:
            sources = list(
                read_tree(
                    self._root,
                    (API_NEEDLE, *CHART_NEEDLES),
                    self._only,
                )
            )
            self._read = FluxIndex.from_sources(sources), ChartSources.from_sources(sources)
        return self._read


@dataclass(frozen=True)
class TreeRequest:
    """What one plan of a tree asks: the REFs, where to look, and the run's decisions."""

    root: Path
    refs: list[ImageRef]
    globs: tuple[str, ...] = ()  # --path: gitignore patterns the files must match
    allow_downgrade: bool = False
    # The files known to contain a needle (a faster search, e.g. the clone's git grep, ran).
    only: frozenset[str] | None = None
    # --image-policy: Flux policies' latest images; without it, the policies watching a REF's
    # repository follow that REF.
    image_policies: Mapping[str, ImageRef] | None = None
    # The tree's .bumper.yaml and the CLI: they may hold or refuse references; with a mode, only
    # the references delivered that way (pr or commit) are planned, the others left to another plan.
    rules: RunRules = field(default_factory=RunRules)
    mode: str | None = None
    diffs: bool = False  # a dry run prints them: each file's diff is made where it is planned
    # TreePlan.considered lists every file looked at (-v); without it, fewer are looked at.
    list_considered: bool = True
    # --registry resolve: a tag-only REF's repository -> the digest its digest-pinned references take.
    pins: Mapping[str, str] | None = None
    # The grep of `root` for these REFs' needles the caller started before it imported the planner
    # (bumper.local), taken over instead of a second.
    search: NeedleSearch | None = None
    # --repo: the files of the tree that mention any of these needles, checked out first (a clone
    # holds only what its grep found, or the YAML under --path): for a look beyond them
    # (bumper.plan.inherited). None: the whole tree is on disk.
    reveal: Callable[[tuple[bytes, ...]], frozenset[str]] | None = None
    paths_flag: str = "--path"  # the option that gave `globs`, as messages name it (promote: --to)


def plan_tree(request: TreeRequest) -> TreePlan:
    """Find and plan every rewrite; raise on the first file that cannot be handled safely."""
    refs, rules = request.refs, request.rules
    by_key = index_refs(refs)
    found = FileOutcome()  # every file's outcome, merged in file order
    considered: list[str] | None = [] if request.list_considered else None
    # One walk reads the files that mention a REF, a Flux marker or a Flux policy object.
    sources = list(
        manifest_sources(
            request.root,
            request.globs,
            needles(refs, bool(request.image_policies)),
            found.ignored,
            request.only,
            considered,
            policy_paths(rules.policy),
            request.search,
        )
    )
    objects = TreeObjects(request.root, request.only)  # read only when --path narrowed `sources`
    policies = PolicyTable.build(
        by_key,
        request.image_policies,
        lambda: _flux_index(request, sources, objects),
        lambda: marked_policies(source for source, _ in sources),
    )
    wanted = tuple(n.decode() for ref in refs for n in ref.needles()) + policies.needles()
    if any("://" in ref.registry for ref in refs):  # a HelmRelease patch may not name the chart
        wanted += tuple(n.decode() for n in PATCH_NEEDLES)  # a JSON 6902 version patch too
    images = [r for r in refs if "://" not in r.registry]
    hub, split = bool(hub_needles(images)), split_needles(images)
    image_needles = [r.needle().decode() for r in images]
    # Read for the Flux objects or markers only, the other files have nothing to rewrite.
    todo = [
        (source, path)
        for source, path in sources
        if any(n in source.text for n in wanted)
        or (hub and says_hub(source.text))
        or escaped_mention(source.text, image_needles)
        or says_split(source.text, split)
    ]
    pins = dict(request.pins or {})
    charts = _chart_sources(request, sources, objects)
    job = FileJob(by_key, policies, rules, request.mode, request.allow_downgrade, request.diffs, pins, charts)
    edits: list[FileEdit] = []
    for outcome in _plan_files(job, todo, request):
        _merge(found, edits, outcome)
    plan = TreePlan(
        changes=found.changes,
        skipped=found.skipped,
        ignored=found.ignored,
        edits=edits,
        matched=found.matched,
        found=found.found,
        not_found=[str(r) for r in refs if r.key not in found.found],
        unresolved=found.unresolved,
        policies=policies.latest,
        rules=[None if i is None else rules.policy.rules[i] for i in found.rules],
        considered=considered or [],
        unmatched_paths=unmatched_globs(request.root, request.globs),
        stale_locks=stale_locks(request.root, found.changes),
    )
    if plan.matched == 0:
        _nothing_found(plan, request)
    return plan


def _plan_files(job: FileJob, todo: list[tuple[Source, str]], request: TreeRequest) -> list[FileOutcome]:
    """Each file's outcome, in file order; a kustomize entry whose added newTag would override a
    reference the tree refused to move is planned again, skipped (bumper.plan.inherited), also
    where that reference is in a file --path leaves out, or of the image the entry renames."""
    outcomes = map_in_order(job.plan, todo, _characters, FileJob.pack, FileJob.unpack)
    refusals = list(outcomes)
    if request.globs and any(outcome.inherited for outcome in outcomes):
        planned = {source.path for source, _ in todo}
        wanted = needles(request.refs, bool(request.image_policies))
        refusals += _refusals(replace(job, diffs=False), request, wanted, planned)
    vetoed = overridden(refusals)
    # `name: X` renamed to a REF's image runs X's tag: X's references judge it at that REF's
    # version, once for each REF X is renamed to (two REFs may rename one X)
    renamed = {(image.key, new.key): (image, new) for outcome in outcomes for image, new in outcome.renamed}
    entries = FileOutcome(inherited=[entry for outcome in outcomes for entry in outcome.inherited])
    for image, new in renamed.values():
        as_ref = {image.key: image._replace(tag=new.tag, digest=new.digest)}
        judge = replace(job, by_key=as_ref, mode=None, diffs=False)
        judged = _refusals(judge, request, image.needles(), set())
        vetoed.update(overridden([entries, *judged], (image, new)))
    if vetoed:
        again, paths = replace(job, overridden=vetoed), {path for path, _ in vetoed}
        outcomes = [again.plan(item) if item[0].path in paths else o for item, o in zip(todo, outcomes)]
    return outcomes


def _characters(item: tuple[Source, str]) -> int:
    return len(item[0].text)


def _refusals(
    job: FileJob, request: TreeRequest, wanted: tuple[bytes, ...], planned: set[str]
) -> Iterator[FileOutcome]:
    """`job`'s outcomes of the files of the whole tree that mention `wanted`, but those in
    `planned`: only their refusals are read (an entry without newTag runs their tag), so one
    that cannot be planned is passed over."""
    only = request.reveal(wanted) if request.reveal is not None else request.only
    named = policy_paths(request.rules.policy)
    for item in manifest_sources(request.root, (), wanted, [], only, None, named):
        if item[0].path not in planned:
            try:
                yield job.plan(item)
            except BumperError:
                continue


def _flux_index(request: TreeRequest, sources: list[tuple[Source, str]], objects: TreeObjects) -> FluxIndex:
    """The tree's Flux policy objects: from the files read, or the whole tree when --path
    narrowed them."""
    if request.globs:
        return objects.flux()
    return FluxIndex.from_sources(source for source, _ in sources)


def _chart_sources(
    request: TreeRequest, sources: list[tuple[Source, str]], objects: TreeObjects
) -> ChartSources:
    """A chart REF's HelmRelease pins resolve through the tree's HelmRepository objects (from the
    whole tree when --path narrowed the files read)."""
    if not any("://" in ref.registry for ref in request.refs):
        return ChartSources()
    if request.globs:
        return objects.charts()
    return ChartSources.from_sources(source for source, _ in sources)


def _nothing_found(plan: TreePlan, request: TreeRequest) -> None:
    """Exit 3: no file references a REF; say which files were left alone and why."""
    check_paths_match(request.globs, plan.unmatched_paths, request.paths_flag)
    policies = (request.image_policies or {}).items()
    names = ", ".join([*(str(r) for r in request.refs), *(f"{p}={r}" for p, r in policies)])
    where = f" matching {', '.join(request.globs)}" if request.globs else ""
    hint = not_found_hint(plan.unresolved) + oci_artifact_hint(request.refs, plan.ignored)
    error = NotFoundError(f"no file{where} references {names}{left_alone(plan.ignored)}{hint}")
    error.ignored = plan.ignored
    error.not_found = plan.not_found
    raise error


def _merge(into: FileOutcome, edits: list[FileEdit], outcome: FileOutcome) -> None:
    """Add what planning one file found to what the files before it found, in file order."""
    into.ignored += outcome.ignored
    into.unresolved += outcome.unresolved
    into.skipped += outcome.skipped
    into.changes += outcome.changes
    into.rules += outcome.rules
    into.matched += outcome.matched
    into.found |= outcome.found
    if outcome.edit is not None:
        edits.append(outcome.edit)


def check_paths_match(globs: tuple[str, ...], unmatched: list[str], flag: str = "--path") -> None:
    """Exit 3 with a hint when no --path glob selects any file (a typo, or a path not relative
    to the tree's root); globs that select nothing beside others that do are only warned about."""
    if globs and len(unmatched) == len(globs):
        which = ", ".join(repr(g) for g in unmatched)
        raise NotFoundError(
            f"{flag} {which} matches no YAML file in the tree; give paths relative to its root, "
            "e.g. 'apps/**/*.yaml' ('bumper scan -v' lists the files it considers)"
        )


def unified_diff(edits: list[FileEdit]) -> str:
    """A `git diff`-style unified diff of the planned edits."""
    return "".join(edit.diff for edit in edits)


def policy_paths(policy: RepoPolicy) -> tuple[tuple[str, ...], ...]:
    """The `paths:` of each of the policy's rules: a rule selects the hidden files it names."""
    return tuple(rule.paths.patterns for rule in policy.rules if rule.paths is not None)


def tree_policy_paths(root: Path) -> tuple[tuple[str, ...], ...]:
    """policy_paths of the tree's `.bumper.yaml`; none when it is invalid (`check` says why)."""
    try:
        return policy_paths(load_policy(root))
    except PolicyFileError:
        return ()

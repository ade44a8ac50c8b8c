"""`--verify`: render each affected kustomization root before and after the edit, compare, and
fail the run (or, with `warn`, only report) when the render would not deploy the bump."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bumper.errors import VerifyError
from bumper.image_ref import ImageRef
from bumper.verify.compare import Expected, compare
from bumper.verify.processes import Renderers
from bumper.verify.render import Rendered, render, renderer, scrubbed_env, timeout_from
from bumper.verify.roots import Graph
from bumper.verify.tree import Tree

if TYPE_CHECKING:
    from bumper.plan.tree import TreePlan

VERIFIED, FAILED, NOT_VERIFIED = "verified", "failed", "not-verified"
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Verified:
    """One root's verdict: `verified`, `failed` (with the problems) or `not-verified` (why)."""

    root: str
    status: str
    detail: str
    problems: tuple[str, ...] = field(default=(), compare=False)

    def as_json(self) -> dict[str, str]:
        return {"root": self.root, "status": self.status, "detail": self.detail}


def verify_plan(
    mode: str,
    plan: TreePlan,
    refs: Iterable[ImageRef],
    tree: Callable[[], Tree],
    env: Mapping[str, str],
    timeout: float | None = None,
) -> list[Verified]:
    """The verdict of every root whose build reads a planned edit; raise VerifyError when one
    failed, unless `mode` is `warn`. `tree()` gives the files before the edit."""
    if mode == "off" or not plan.edits:
        return []
    timeout = timeout_from(env) if timeout is None else timeout
    command = renderer()
    if command is None:
        from bumper.report import detail

        detail("bumper: --verify auto: neither kustomize nor kubectl is on PATH; not verifying")
        return []
    files = tree()
    graph = Graph(files)
    roots = graph.affected({e.relpath for e in plan.edits})
    if not roots:
        return []
    needed = set().union(*(graph.closure(r) for r in roots))
    empty = set().union(*(graph.named_dirs(r) for r in roots))
    with tempfile.TemporaryDirectory(prefix="bumper-verify-") as tmp:
        sides = {side: Path(tmp) / side for side in ("before", "after")}
        files.materialize(sides["before"], needed, {e.relpath: e.old for e in plan.edits})
        files.materialize(sides["after"], needed, {e.relpath: e.new for e in plan.edits})
        for side in sides.values():  # as in the tree, so kustomize's error is the tree's own
            for directory in empty:
                (side / directory).mkdir(parents=True, exist_ok=True)
        home = Path(tmp) / "home"
        home.mkdir()
        scrubbed = scrubbed_env(env, home)
        jobs = [(side, root) for root in roots for side in sides]
        renderers = Renderers()
        outputs = _render_all(
            jobs, lambda j: render(command, sides[j[0]], j[1], scrubbed, timeout, renderers), renderers
        )
    expected = _expected(plan, refs)
    results = [_verdict(r, outputs["before", r], outputs["after", r], expected) for r in roots]
    failed = [v for v in results if v.status == FAILED]
    if failed and mode != "warn":
        problems = [f"{v.root}: {p}" for v in failed for p in v.problems]
        more = f" (and {len(problems) - 1} more, listed above)" if len(problems) > 1 else ""
        raise VerifyError(f"{problems[0]}{more}", verified=results)
    return results


def _render_all(
    jobs: list[tuple[str, str]], job: Callable[[tuple[str, str]], Rendered], renderers: Renderers
) -> dict[tuple[str, str], Rendered]:
    """Every job in worker threads. The main thread, where Ctrl-C and SIGTERM arrive, waits in
    short sleeps (a signal never lands inside a lock of the pool's) and, when one arrives, ends
    every renderer before the pool waits for its threads."""
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
        futures = [pool.submit(job, j) for j in jobs]
        try:
            while not all(f.done() for f in futures):
                time.sleep(0.02)
        except BaseException:
            for future in futures:
                future.cancel()
            renderers.stop_all()
            raise
    return {j: f.result() for j, f in zip(jobs, futures, strict=True)}


def _expected(plan: TreePlan, refs: Iterable[ImageRef]) -> Expected:
    images = {r.key: r for r in [*refs, *plan.policies.values()] if r.key in plan.found}
    return Expected(
        images=images,
        pairs=frozenset((c.old, c.new) for c in plan.changes),
        kept=frozenset(s.value for s in plan.skipped if s.value),
    )


def _verdict(root: str, before: Rendered, after: Rendered, expected: Expected) -> Verified:
    name = root or "."
    if before.output is None:
        return Verified(name, NOT_VERIFIED, before.reason or "")
    if after.output is None:
        if after.timed_out:
            return Verified(name, NOT_VERIFIED, after.reason or "")
        problem = f"no longer renders after the edit: {after.reason}"
        return Verified(name, FAILED, problem, (problem,))
    outcome = compare(before.output, after.output, expected)
    if outcome.problems:
        shown = outcome.problems[:_SHOWN_PROBLEMS]
        more = len(outcome.problems) - len(shown)
        detail = "; ".join(shown) + (f"; and {more} more" if more else "")
        return Verified(name, FAILED, detail, tuple(outcome.problems))
    images = ", ".join(sorted(str(r) for r in expected.images.values()))
    if outcome.images:
        return Verified(name, VERIFIED, f"{outcome.images} image(s) now {images}, nothing else changed")
    return Verified(name, VERIFIED, "no applied image renders here and nothing else changed")

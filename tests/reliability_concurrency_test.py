"""Many CI jobs at once against one manifests repository (subprocesses started together).

- 20 runs, each bumping a different image of a 20-image repo (every image has its own
  Deployment and an entry in one shared kustomization.yaml, so runs race on the same file):
  20 PRs, each branch one commit on main changing only its own image's lines.
- 10 runs bumping the same image to 10 different semver tags, started in random order with
  random delays: one PR, and the branch and the PR title end holding the highest tag
  (semver order: v2.10.0 > v2.9.0).

Every run must exit 0, print no canary, and leave no traceback. The totals are written to
`reliability_concurrency.json` next to the fault summary (see tests/reliability_faults_test.py).
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver, summaries
from testing.canary import assert_no_canary
from testing.invariants import assert_at_most_one_pr, assert_bot_branch_sane
from testing.shuffled_tags import HIGHEST, TAGS
from testing.world import World, make_world

N_IMAGES = 20
OLD = "1.0.0"
PROVIDERS = ("github", "gitlab")


def image(i: int) -> str:
    return f"registry.local/team/svc-{i:02d}"


def twenty_image_tree() -> dict[str, bytes]:
    tree: dict[str, bytes] = {}
    for i in range(N_IMAGES):
        tree[f"apps/svc-{i:02d}/deployment.yaml"] = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            f"  name: svc-{i:02d}\nspec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: app\n          image: {image(i)}:{OLD}\n"
        ).encode()
    entries = "".join(f"  - name: {image(i)}\n    newTag: {OLD}\n" for i in range(N_IMAGES))
    tree["kustomization.yaml"] = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n" + entries
    ).encode()
    return tree


def expected_lines(i: int) -> dict[tuple[str, int], str]:
    """The deployment's image line (10) and the kustomization's newTag line of image i."""
    return {
        (f"apps/svc-{i:02d}/deployment.yaml", 10): image(i),
        ("kustomization.yaml", 5 + 2 * i): image(i),
    }


def branch_for(i: int) -> str:
    return f"bumper/{image(i).replace('/', '-')}"


def start(world: World, ref: str, *extra: str) -> forkserver.ForkedRun | subprocess.Popen[str]:
    return forkserver.start(["bump", ref, "--output", "json", *extra], env=world.env())


def finish(procs: list[subprocess.Popen[str]]) -> list[subprocess.CompletedProcess[str]]:
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _record(key: str, value: dict[str, Any]) -> None:
    summaries.record("reliability_concurrency", {key: value})


@pytest.mark.parametrize("provider", PROVIDERS)
def test_twenty_images_at_once_give_twenty_clean_prs(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider, twenty_image_tree()) as world:
        started = time.monotonic()
        procs = [start(world, f"{image(i)}:2.0.{i}") for i in range(N_IMAGES)]
        results = finish(procs)
        seconds = round(time.monotonic() - started, 1)

        failed = [(i, r.returncode, r.stderr) for i, r in enumerate(results) if r.returncode != 0]
        assert not failed, failed
        for i, result in enumerate(results):
            assert json.loads(result.stdout)["status"] == "opened", result.stdout
            assert "Traceback" not in result.stderr
            branch = branch_for(i)
            held = assert_bot_branch_sane(world, branch, expected_lines=expected_lines(i), tags={f"2.0.{i}"})
            assert held == f"2.0.{i}"
            pr = assert_at_most_one_pr(world, branch)
            assert pr is not None and f"2.0.{i}" in pr.title  # type: ignore[attr-defined]
            assert_no_canary(world, result)
        assert len(world.open_pulls()) == N_IMAGES
        _record(
            f"twenty-images-{provider}",
            {
                "runs": N_IMAGES,
                "exit_0": N_IMAGES - len(failed),
                "prs": len(world.open_pulls()),
                "correct_prs": N_IMAGES,
                "seconds": seconds,
            },
        )


@pytest.mark.parametrize("round_", [1, 2])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_ten_tags_of_one_image_at_once_end_on_the_highest(tmp_path: Path, provider: str, round_: int) -> None:
    rng = random.Random(f"ten-tags-{provider}-{round_}")
    order = TAGS[:]
    rng.shuffle(order)
    with make_world(tmp_path, provider, twenty_image_tree()) as world:
        started = time.monotonic()
        procs = []
        for tag in order:  # started in random order, random gaps: they finish in random order
            procs.append(start(world, f"{image(0)}:{tag}"))
            time.sleep(rng.uniform(0, 0.15))
        results = finish(procs)
        seconds = round(time.monotonic() - started, 1)

        failed = [(tag, r.returncode, r.stderr) for tag, r in zip(order, results) if r.returncode != 0]
        assert not failed, failed
        statuses = {tag: json.loads(r.stdout)["status"] for tag, r in zip(order, results)}
        branch = branch_for(0)
        held = assert_bot_branch_sane(world, branch, expected_lines=expected_lines(0), tags=set(TAGS))
        pr = assert_at_most_one_pr(world, branch)
        assert held == HIGHEST, (held, statuses)
        assert pr is not None
        title, body = pr.title, pr.body  # type: ignore[attr-defined]
        assert f"{image(0)}:{HIGHEST}" in title and f"{image(0)}:{HIGHEST}" in body, title
        assert len(world.open_pulls()) == 1
        for result in results:
            assert "Traceback" not in result.stderr
            assert_no_canary(world, result)
        _record(
            f"ten-tags-{provider}-round-{round_}",
            {
                "runs": len(TAGS),
                "exit_0": len(TAGS) - len(failed),
                "prs": len(world.open_pulls()),
                "final_tag": held,
                "pr_title": title,
                "order": order,
                "statuses": statuses,
                "seconds": seconds,
            },
        )

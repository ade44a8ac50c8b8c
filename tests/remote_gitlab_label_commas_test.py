"""End to end: a label name with a comma on GitLab, whose API splits `labels` (string or array
items alike) at commas. `--label 'team, infra'` is refused (exit 2) before anything is cloned or
asked of the host; a `.bumper.yaml` rule's such label is not sent (one warning line) and the MR
opens with the others. Hosts that keep the name whole take it (docs/reference.md, `--label`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.runs import run_bump
from testing.world import make_world

IMAGE = "ghcr.io/acme/app"
TREE = {"apps/app.yaml": b"image: ghcr.io/acme/app:v1.0.0\n"}


@pytest.mark.parametrize("label", ["team, infra", "a,b", ","])
def test_a_label_with_a_comma_is_refused_before_anything_happens(tmp_path: Path, label: str) -> None:
    with make_world(tmp_path, "gitlab", TREE) as world:
        proc = run_bump(world, f"{IMAGE}:v1.1.0", "--label", "deps", "--label", label)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"bumper: error: --label {label!r}: GitLab's API splits label names at commas")
        assert "its own --label" in line
        assert json.loads(proc.stdout)["error"]["kind"] in ("usage", "bad-input")
        assert world.git.requests == [] and world.host.requests == []  # nothing cloned, nothing asked
        assert world.open_pulls() == []


def test_the_environment_variable_is_refused_the_same_way(tmp_path: Path) -> None:
    with make_world(tmp_path, "gitlab", TREE) as world:
        proc = run_bump(world, f"{IMAGE}:v1.1.0", BUMPER_LABEL="a,b")
        assert proc.returncode == 2 and "--label 'a,b'" in proc.stderr
        assert world.git.requests == []


@pytest.mark.parametrize("provider", ["github", "gitea", "azure-devops"])
def test_hosts_that_keep_the_name_whole_take_it(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider, TREE) as world:
        proc = run_bump(world, f"{IMAGE}:v1.1.0", "--label", "team, infra")
        assert proc.returncode == 0, proc.stderr
        [pr] = world.open_pulls()
        assert pr.labels == ["team, infra"]


def test_a_policy_label_with_a_comma_is_a_warning_and_the_others_are_added(tmp_path: Path) -> None:
    policy = b"version: 1\nrules:\n  - paths: [apps]\n    labels: ['a,b', production]\n"
    with make_world(tmp_path, "gitlab", {**TREE, ".bumper.yaml": policy}) as world:
        proc = run_bump(world, f"{IMAGE}:v1.1.0", "--label", "deps")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "opened"
        [pr] = world.open_pulls()
        assert pr.labels == ["deps", "production"]  # never "a" and "b"
        [line] = [x for x in proc.stderr.splitlines() if "'a,b'" in x]
        assert line.startswith("bumper: label 'a,b' not added: GitLab's API splits label names at commas")

        api = world.host.mark()
        proc = run_bump(world, f"{IMAGE}:v1.2.0", "--label", "deps")  # the update adds no split label
        assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "updated"
        assert pr.labels == ["deps", "production"]
        assert all("a,b" not in json.dumps(r.body) for r in world.host.since(api))

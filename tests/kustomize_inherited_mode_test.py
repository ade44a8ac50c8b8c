"""End to end: a kustomize entry without newTag runs its base's tag, and the base's refusal
(a hold, another variant) keeps it from getting one even when the entry and the base are
delivered in different commit modes (.bumper.yaml `mode`: each mode is planned on its own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from testing import forkserver
from testing.world import CANARY, World, make_world

DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0-alpine%s
"""
PROD = b"resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/app\n    newName: ghcr.io/acme/app\n"


def tree(policy: bytes, marker: bytes = b"") -> dict[str, bytes]:
    return {
        ".bumper.yaml": policy,
        "base/deployment.yaml": DEPLOYMENT % marker,
        "base/kustomization.yaml": b"resources:\n  - deployment.yaml\n",
        "overlays/prod/kustomization.yaml": PROD,
        "README.md": b"manifests\n",
    }


PROD_COMMITS = b"version: 1\nrules:\n  - paths: [overlays/prod]\n    mode: commit\n"
BASE_COMMITS = b"version: 1\nrules:\n  - paths: [base]\n    mode: commit\n"


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as worlds:
        yield worlds


@pytest.mark.parametrize(
    ("policy", "marker", "ref", "reason"),
    [
        (PROD_COMMITS, b" # bumper: hold", "ghcr.io/acme/app:1.2.0-alpine", "held"),
        (PROD_COMMITS, b"", "ghcr.io/acme/app:1.2.0", "variant"),
        (BASE_COMMITS, b" # bumper: hold", "ghcr.io/acme/app:1.2.0-alpine", "held"),
        (BASE_COMMITS, b"", "ghcr.io/acme/app:1.2.0", "variant"),
    ],
)
def test_the_base_refusal_holds_the_entry_in_another_mode(
    stack: ExitStack, tmp_path: Path, policy: bytes, marker: bytes, ref: str, reason: str
) -> None:
    world: World = stack.enter_context(make_world(tmp_path, "github", tree(policy, marker)))
    before = world.branch_sha("main")
    proc = world.run("bump", ref, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert result["changes"] == []
    assert world.branch_sha("main") == before and world.open_pulls() == []
    why = {s["file"]: s["reason"] for s in result["skipped"]}
    assert why["overlays/prod/kustomization.yaml"] == (
        f"{reason}: the entry has no newTag, so it runs the tag of base/deployment.yaml:10 "
        "(ghcr.io/acme/app:1.0.0-alpine), which is not moved"
    )
    assert world.read("main", "overlays/prod/kustomization.yaml") == PROD


NO_POLICY = b"version: 1\n"


@pytest.mark.parametrize(
    ("marker", "ref", "reason"),
    [
        (b" # bumper: hold", "ghcr.io/acme/app:1.2.0-alpine", "held"),
        (b"", "ghcr.io/acme/app:1.2.0", "variant"),
    ],
)
@pytest.mark.parametrize("paths", [("overlays/prod/**",), ("overlays/**",), ("**", "!base/**")])
def test_a_base_that_path_leaves_out_still_holds_the_entry(
    tmp_path: Path, marker: bytes, ref: str, reason: str, paths: tuple[str, ...]
) -> None:
    for relpath, data in tree(NO_POLICY, marker).items():
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_bytes(data)
    (tmp_path / "overlays/broken.yaml").write_bytes(b"image: ghcr.io/acme/app:1.0.0-alpine\n{: [\n")
    (tmp_path / "elsewhere.yaml").write_bytes(b"image: ghcr.io/acme/app:1.0.0-alpine\n{: [\n")
    args = ["bump", ref, "--dir", ".", "--output", "json"]
    for glob in paths:
        args += ["--path", glob]
    args += ["--path", "!overlays/broken.yaml", "--path", "!elsewhere.yaml"]
    for extra in (["--dry-run"], []):
        proc = forkserver.run([*args, *extra], cwd=tmp_path)
        assert proc.returncode == 0 and "internal error" not in proc.stderr, proc.stderr
        result = json.loads(proc.stdout)
        assert result["changes"] == []
        why = {s["file"]: s["reason"] for s in result["skipped"]}
        assert why["overlays/prod/kustomization.yaml"].startswith(f"{reason}: the entry has no newTag")
    assert (tmp_path / "overlays/prod/kustomization.yaml").read_bytes() == PROD


def test_a_repo_run_narrowed_by_path_keeps_the_held_base(stack: ExitStack, tmp_path: Path) -> None:
    world: World = stack.enter_context(make_world(tmp_path, "github", tree(NO_POLICY, b" # bumper: hold")))
    proc = world.run("bump", "ghcr.io/acme/app:1.2.0-alpine", "--path", "overlays/**", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert result["changes"] == [] and world.open_pulls() == []
    assert world.read("main", "overlays/prod/kustomization.yaml") == PROD


DEV = b"resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/app\n    newTag: 1.0.0-alpine\n"
DEV_COMMITS = b"version: 1\nrules:\n  - paths: [overlays/dev]\n    mode: commit\n"


@pytest.mark.parametrize("marker", [b" # bumper: hold", b""])
def test_a_path_run_of_both_modes_widens_the_clone_after_the_direct_commit(
    stack: ExitStack, tmp_path: Path, marker: bytes
) -> None:
    files = {**tree(DEV_COMMITS, marker), "overlays/dev/kustomization.yaml": DEV}
    world: World = stack.enter_context(make_world(tmp_path, "github", files))
    proc = world.run("bump", "ghcr.io/acme/app:1.2.0-alpine", "--path", "overlays/**", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert world.read("main", "overlays/dev/kustomization.yaml") == DEV.replace(b"1.0.0", b"1.2.0")
    assert world.read("main", "base/deployment.yaml") == DEPLOYMENT % marker
    assert world.read("main", "overlays/prod/kustomization.yaml") == PROD
    if marker:
        assert world.open_pulls() == [] and result["branch"] is None
    else:
        [pr] = world.open_pulls()
        assert (
            world.read(result["branch"], "overlays/prod/kustomization.yaml")
            == PROD + b"    newTag: 1.2.0-alpine\n"
        )
        assert world.read(result["branch"], "overlays/dev/kustomization.yaml") == DEV.replace(
            b"1.0.0", b"1.2.0"
        )
        assert world.read(result["branch"], "base/deployment.yaml") == DEPLOYMENT % marker


MIRROR = b"resources:\n  - ../../base\nimages:\n  - name: nginx\n    newName: registry.acme.internal/nginx\n"
NGINX_BASE = DEPLOYMENT.replace(b"ghcr.io/acme/app:1.0.0-alpine", b"nginx:1.25-alpine")


def mirrored(marker: bytes = b"") -> dict[str, bytes]:
    """The prod overlay renames the base's `nginx` to a mirror and sets no tag: prod runs the
    base's nginx tag from the mirror, and the base itself never names the mirror."""
    return {
        "base/deployment.yaml": NGINX_BASE % marker,
        "base/kustomization.yaml": b"resources:\n  - deployment.yaml\n",
        "overlays/prod/kustomization.yaml": MIRROR,
    }


@pytest.mark.parametrize(
    ("marker", "ref", "reason"),
    [
        (b"", "registry.acme.internal/nginx:1.27.0", "variant"),
        (b"", "registry.acme.internal/nginx:1.24.0-alpine", "downgrade"),
        (b" # bumper: hold", "registry.acme.internal/nginx:1.27.0-alpine", "held"),
    ],
)
@pytest.mark.parametrize("paths", [(), ("overlays/**",)], ids=["whole-tree", "path"])
def test_an_entry_renaming_an_image_runs_the_tag_of_that_images_references(
    stack: ExitStack, tmp_path: Path, marker: bytes, ref: str, reason: str, paths: tuple[str, ...]
) -> None:
    """`name: nginx, newName: <mirror>` without newTag: the base's nginx reference (not the REF's
    image, so never planned for the REF) decides, in a --repo run (the clone holds only what its
    grep for the mirror found) as in a --dir run."""
    world: World = stack.enter_context(make_world(tmp_path / "w", "github", mirrored(marker)))
    args = ["bump", ref, "--output", "json", *(a for glob in paths for a in ("--path", glob))]
    proc = world.run(*args)
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    expected = (
        f"{reason}: the entry has no newTag, so it runs the tag of base/deployment.yaml:10 "
        "(nginx:1.25-alpine), which is not moved"
    )
    assert result["changes"] == [] and world.open_pulls() == []
    assert {s["file"]: s["reason"] for s in result["skipped"]} == {
        "overlays/prod/kustomization.yaml": expected
    }
    assert world.read("main", "overlays/prod/kustomization.yaml") == MIRROR

    local = tmp_path / "dir"
    for relpath, data in mirrored(marker).items():
        (local / relpath).parent.mkdir(parents=True, exist_ok=True)
        (local / relpath).write_bytes(data)
    proc = forkserver.run(["bump", ref, "--dir", ".", "--output", "json"], cwd=local)
    assert proc.returncode == 0, proc.stderr
    assert {s["file"]: s["reason"] for s in json.loads(proc.stdout)["skipped"]}[
        "overlays/prod/kustomization.yaml"
    ] == expected
    assert (local / "overlays/prod/kustomization.yaml").read_bytes() == MIRROR


def test_an_entry_renaming_an_image_of_the_same_variant_gets_the_new_tag(
    stack: ExitStack, tmp_path: Path
) -> None:
    """Nothing refused: the mirror entry gets its newTag, and the base's nginx stays."""
    world: World = stack.enter_context(make_world(tmp_path, "github", mirrored()))
    proc = world.run("bump", "registry.acme.internal/nginx:1.27.0-alpine", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    [pr] = world.open_pulls()
    assert (
        world.read(result["branch"], "overlays/prod/kustomization.yaml")
        == MIRROR + b"    newTag: 1.27.0-alpine\n"
    )
    assert world.read(result["branch"], "base/deployment.yaml") == NGINX_BASE % b""


def test_two_refs_renaming_one_image_are_each_judged_at_their_own_version(
    stack: ExitStack, tmp_path: Path
) -> None:
    """Two overlays rename the base's `nginx` to two mirrors, one REF each: the alpine mirror
    gets its newTag, the other (a non-alpine tag over the base's alpine) is skipped as a variant,
    whichever order the overlays come in."""
    for first, second in (("one", "two"), ("two", "one")):
        files = mirrored()
        del files["overlays/prod/kustomization.yaml"]
        files[f"overlays/{first}/kustomization.yaml"] = MIRROR.replace(b"registry", b"m1")
        files[f"overlays/{second}/kustomization.yaml"] = MIRROR.replace(b"registry", b"m2")
        world: World = stack.enter_context(make_world(tmp_path / first, "github", files))
        refs = ("m1.acme.internal/nginx:1.27.0-alpine", "m2.acme.internal/nginx:1.27.0")
        proc = world.run("bump", *refs, "--output", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert [(c["file"], c["new"]) for c in result["changes"]] == [
            (f"overlays/{first}/kustomization.yaml", "m1.acme.internal/nginx:1.27.0-alpine")
        ]
        assert {s["file"]: s["reason"] for s in result["skipped"]} == {
            f"overlays/{second}/kustomization.yaml": "variant: the entry has no newTag, so it runs the "
            "tag of base/deployment.yaml:10 (nginx:1.25-alpine), which is not moved"
        }
        assert (
            world.read(result["branch"], f"overlays/{second}/kustomization.yaml")
            == files[f"overlays/{second}/kustomization.yaml"]
        )


@pytest.mark.parametrize("name", [b"nginx:1.25-alpine", b"docker.io/library/nginx@sha256:" + b"a" * 64])
def test_an_entry_renaming_an_image_named_with_its_tag_runs_that_images_tag(
    stack: ExitStack, tmp_path: Path, name: bytes
) -> None:
    """kustomize matches a `name` holding a tag or digest (`nginx:1.25-alpine`) too: the base's
    nginx still decides the mirror entry, as for a bare `name: nginx` (images compared, not spellings)."""
    files = mirrored()
    files["overlays/prod/kustomization.yaml"] = MIRROR.replace(b"name: nginx", b"name: " + name)
    world: World = stack.enter_context(make_world(tmp_path, "github", files))
    proc = world.run("bump", "registry.acme.internal/nginx:1.27.0", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["changes"] == [] and world.open_pulls() == []
    assert {s["file"]: s["reason"] for s in result["skipped"]} == {
        "overlays/prod/kustomization.yaml": "variant: the entry has no newTag, so it runs the tag of "
        "base/deployment.yaml:10 (nginx:1.25-alpine), which is not moved"
    }


def test_an_entry_renaming_an_image_that_is_a_ref_too_is_judged_at_its_own_refs_version(
    stack: ExitStack, tmp_path: Path
) -> None:
    """`bump nginx:1.27.0 <mirror>:1.27.0-alpine`: the base's nginx is refused nginx:1.27.0 (a
    variant), but the mirror entry runs the base's tag at the mirror REF's version, an alpine
    one: it gets its newTag, and is not held back by a refusal of another version."""
    world: World = stack.enter_context(make_world(tmp_path, "github", mirrored()))
    refs = ("nginx:1.27.0", "registry.acme.internal/nginx:1.27.0-alpine")
    proc = world.run("bump", *refs, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [s["file"] for s in result["skipped"]] == ["base/deployment.yaml"]
    assert (
        world.read(result["branch"], "overlays/prod/kustomization.yaml")
        == MIRROR + b"    newTag: 1.27.0-alpine\n"
    )
    assert world.read(result["branch"], "base/deployment.yaml") == NGINX_BASE % b""

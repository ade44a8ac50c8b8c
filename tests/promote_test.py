"""End to end: `bumper promote` reads one environment's version and bumps another to exactly it,
in a --dir tree, a local clone's other branch, and through --repo on both hosts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bumper.errors import ConfigError, NotFoundError
from bumper.image_ref import ImageRef
from bumper.plan.promote import promote_branch, promoted_ref
from testing import forkserver, repos
from testing.world import CANARY, World, make_world

IMAGE = "ghcr.io/acme/app"
A, B, C = ("a" * 64, "b" * 64, "c" * 64)


def deployment(ref: str) -> bytes:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n"
        f"    spec:\n      containers:\n        - name: app\n          image: {ref}  # the app\n"
    ).encode()


def values(tag: str) -> bytes:
    return f"# helm values\nimage:\n  repository: {IMAGE}\n  tag: '{tag}'\n".encode()


STAGING = {
    "clusters/staging/app.yaml": deployment(f"{IMAGE}:1.5.0@sha256:{A}"),
    "clusters/staging/values.yaml": values("1.5.0"),
}
PROD = {
    "clusters/prod/app.yaml": deployment(f"{IMAGE}:1.4.0@sha256:{B}"),
    "clusters/prod/values.yaml": values("1.4.0"),
}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def promote(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    return forkserver.run(("promote", IMAGE, *args), env=env, cwd=cwd, timeout=60)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_tree(tmp_path, {**STAGING, **PROD})
    return tmp_path


# -- --dir -------------------------------------------------------------------------------------


def test_prod_gets_exactly_stagings_tag_and_digest_and_nothing_else(tree: Path) -> None:
    before = {rel: (tree / rel).read_bytes() for rel in STAGING}
    proc = promote(
        tree, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".", "--output", "json"
    )

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["promoted"] == {"from": "clusters/staging", "ref": f"{IMAGE}:1.5.0@sha256:{A}"}
    assert (tree / "clusters/prod/app.yaml").read_bytes() == deployment(f"{IMAGE}:1.5.0@sha256:{A}")
    assert (tree / "clusters/prod/values.yaml").read_bytes() == values("1.5.0")  # quotes kept
    assert {rel: (tree / rel).read_bytes() for rel in STAGING} == before  # the source is read only
    assert sorted(c["file"] for c in result["changes"]) == [
        "clusters/prod/app.yaml",
        "clusters/prod/values.yaml",
    ]


def test_a_rerun_writes_nothing(tree: Path) -> None:
    args = ("--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".")
    assert promote(tree, *args).returncode == 0
    after = (tree / "clusters/prod/app.yaml").stat().st_mtime_ns
    proc = promote(tree, *args)
    assert proc.returncode == 0, proc.stderr
    assert (
        "up to date" in proc.stderr
        and f"promoted {IMAGE}:1.5.0@sha256:{A} from clusters/staging" in proc.stderr
    )
    assert (tree / "clusters/prod/app.yaml").stat().st_mtime_ns == after


def test_disagreeing_references_are_exit_2_listing_each(tree: Path) -> None:
    (tree / "clusters/staging/values.yaml").write_bytes(values("1.5.1"))
    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".")

    assert proc.returncode == 2
    assert "clusters/staging/app.yaml:10:" in proc.stderr and "clusters/staging/values.yaml:4:" in proc.stderr
    assert "do not agree" in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD["clusters/prod/app.yaml"]


def test_a_newer_version_in_the_target_is_not_downgraded(tree: Path) -> None:
    (tree / "clusters/prod/app.yaml").write_bytes(deployment(f"{IMAGE}:1.6.0@sha256:{C}"))
    proc = promote(
        tree, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".", "--output", "json"
    )

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [s["reason"] for s in result["skipped"]] == ["downgrade"]
    assert (tree / "clusters/prod/app.yaml").read_bytes() == deployment(f"{IMAGE}:1.6.0@sha256:{C}")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (
            ("--from", "clusters/nowhere", "--to", "clusters/prod"),
            3,
            "--from 'clusters/nowhere' matches no YAML file",
        ),
        (("--from", "clusters/prod", "--to", "clusters/prod"), 2, "same path"),
        (  # a typo in --to is named as --to, not as bump's --path
            ("--from", "clusters/staging", "--to", "clusters/prdo"),
            3,
            "bumper: error: --to 'clusters/prdo' matches no YAML file",
        ),
        (
            ("--from", "clusters/staging", "--to", "clusters/prod", "--wait-timeout", "soon"),
            2,
            "--wait-timeout",
        ),
    ],
)
def test_bad_source_or_target_is_refused_before_any_write(
    tree: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    proc = promote(tree, *args, "--dir", ".")
    assert proc.returncode == code, proc.stderr
    assert says in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD["clusters/prod/app.yaml"]


def test_image_with_a_tag_is_refused(tree: Path) -> None:
    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".")
    assert proc.returncode == 0
    proc = forkserver.run(
        ("promote", f"{IMAGE}:1.0", "--from", "a", "--to", "b", "--dir", "."), env={"NO_COLOR": "1"}, cwd=tree
    )
    assert proc.returncode == 2 and "without a tag or digest" in proc.stderr


def test_from_branch_reads_another_branch_of_the_local_clone(tmp_path: Path) -> None:
    bare = repos.make_bare_repo(
        tmp_path / "origin.git", {"apps/app.yaml": deployment(f"{IMAGE}:1.4.0@sha256:{B}")}
    )
    repos.add_commit(bare, "staging", {"apps/app.yaml": deployment(f"{IMAGE}:1.5.0@sha256:{A}")})
    clone = tmp_path / "clone"
    repos.git("clone", "--quiet", "--branch", "main", str(bare), str(clone))
    repos.git("fetch", "--quiet", "origin", "staging:staging", cwd=clone)

    proc = promote(clone, "--from-branch", "staging", "--from", "apps", "--to", "apps", "--dir", ".")

    assert proc.returncode == 0, proc.stderr
    assert (clone / "apps/app.yaml").read_bytes() == deployment(f"{IMAGE}:1.5.0@sha256:{A}")
    proc = promote(clone, "--from-branch", "nope", "--from", "apps", "--to", "apps", "--dir", ".")
    assert proc.returncode == 2 and "--from-branch 'nope'" in proc.stderr


# xunholy/k8s-gitops: busybox:latest under kubernetes/apps/base/game-servers, and a node-exporter
# sidecar pinned busybox:1.38.0@sha256 under observability. The refusal named `bump`'s ways out
# ("give the REF with its digest", "--path '**' --path '!…'"): promote has no REF and no --path.
PINNED_TARGET = {
    "clusters/staging/job.yaml": deployment(f"{IMAGE}:latest"),
    "clusters/prod/exporter/helmrelease.yaml": deployment(f"{IMAGE}:1.38.0@sha256:{B}"),
    "clusters/prod/app.yaml": deployment(f"{IMAGE}:1.0.0"),
}


def test_the_digest_pin_refusal_names_promotes_ways_out(tmp_path: Path) -> None:
    write_tree(tmp_path, PINNED_TARGET)
    proc = promote(tmp_path, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: clusters/prod/exporter/helmrelease.yaml:10: ")
    assert f"the version under --from, {IMAGE}:latest, has none" in line
    assert f"pin it by digest under --from ({IMAGE}:latest@sha256:<digest>)" in line
    assert "--to '!clusters/prod/exporter/**'" in line and "--path" not in line and "REF" not in line
    way_out = ("--to", "clusters/prod", "--to", "!clusters/prod/exporter/**", "--dir", ".")
    narrowed = promote(tmp_path, "--from", "clusters/staging", *way_out)
    assert narrowed.returncode == 0, narrowed.stderr  # the way out it names works
    assert (tmp_path / "clusters/prod/app.yaml").read_bytes() == deployment(f"{IMAGE}:latest")
    bump = forkserver.run(["bump", f"{IMAGE}:latest", "--dir", str(tmp_path), "--path", "clusters/prod"])
    assert bump.returncode == 2 and "--path '**' --path '!clusters/prod/exporter/**'" in bump.stderr


# -- --repo, both hosts --------------------------------------------------------------------------


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param, {**STAGING, **PROD}) as w:
        yield w


def run_json(world: World, *args: str) -> dict:  # type: ignore[type-arg]
    proc = world.run("promote", IMAGE, "--output", "json", *args)
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_repo_promotion_opens_its_own_pr_saying_where_from(world: World) -> None:
    result = run_json(world, "--from", "clusters/staging", "--to", "clusters/prod")

    branch = "bumper/promote/clusters-prod/ghcr.io-acme-app"
    assert (result["status"], result["branch"]) == ("opened", branch)
    [pr] = world.open_pulls()
    assert pr.title == f"Promote {IMAGE}:1.5.0@sha256:{A} from clusters/staging"
    assert "Promotes" in pr.body and "`clusters/staging`" in pr.body
    assert world.read(branch, "clusters/prod/app.yaml") == deployment(f"{IMAGE}:1.5.0@sha256:{A}")
    assert repos.changed_paths(world.bare, branch) == ["clusters/prod/app.yaml", "clusters/prod/values.yaml"]
    assert "Promote" in repos.commit_info(world.bare, branch)["message"]

    writes = len(world.writes())
    again = run_json(world, "--from", "clusters/staging", "--to", "clusters/prod")
    assert again["status"] == "up-to-date"
    assert len(world.writes()) == writes  # a rerun writes nothing


def test_repo_promotion_from_a_branch(world: World) -> None:
    repos.add_commit(
        world.bare, "staging", {"clusters/prod/app.yaml": deployment(f"{IMAGE}:1.7.0@sha256:{C}")}
    )
    result = run_json(world, "--from-branch", "staging", "--from", "clusters/prod", "--to", "clusters/prod")

    assert result["promoted"] == {"from": "staging:clusters/prod", "ref": f"{IMAGE}:1.7.0@sha256:{C}"}
    assert world.read(result["branch"], "clusters/prod/app.yaml") == deployment(f"{IMAGE}:1.7.0@sha256:{C}")
    assert world.read("staging", "clusters/prod/app.yaml") == deployment(f"{IMAGE}:1.7.0@sha256:{C}")


def test_repo_promotions_into_two_bases_keep_a_branch_and_pr_each(world: World) -> None:
    """A promotion into release-1 named the same branch as one into main: main's was then
    `blocked` ('its base was changed', retarget #1 to main). Each base now has its own."""
    repos.git("branch", "release-1", "main", cwd=world.bare)
    promotion = ("--from", "clusters/staging", "--to", "clusters/prod")
    into_release = run_json(world, *promotion, "--base", "release-1")
    into_main = run_json(world, *promotion)

    assert into_release["branch"] == "bumper/promote/release-1/clusters-prod/ghcr.io-acme-app"
    assert into_main["branch"] == "bumper/promote/clusters-prod/ghcr.io-acme-app"
    assert (into_release["status"], into_main["status"]) == ("opened", "opened")
    assert sorted((p.base, p.head) for p in world.open_pulls()) == [
        ("main", into_main["branch"]),
        ("release-1", into_release["branch"]),
    ]


def test_repo_promotion_into_another_base_keeps_the_pr_an_older_bumper_opened(world: World) -> None:
    """An older bumper's open promotion PR into release-1, from the name without the base, is
    updated in place: no second PR into release-1."""
    repos.git("branch", "release-1", "main", cwd=world.bare)
    earlier = "bumper/promote/clusters-prod/ghcr.io-acme-app"
    ref = f"{IMAGE}:1.4.5@sha256:{C}"
    old = world.run("bump", ref, "--base", "release-1", "--branch", earlier, "--path", "clusters/prod")
    assert old.returncode == 0, old.stderr
    [pr] = world.open_pulls()

    result = run_json(world, "--from", "clusters/staging", "--to", "clusters/prod", "--base", "release-1")
    assert (result["status"], result["branch"]) == ("updated", earlier)
    assert [p.number for p in world.open_pulls()] == [pr.number]
    assert world.read(earlier, "clusters/prod/app.yaml") == deployment(f"{IMAGE}:1.5.0@sha256:{A}")


def test_repo_promotions_whose_targets_spell_alike_keep_a_branch_and_pr_each(tmp_path: Path) -> None:
    """--to clusters/prod and --to 'clusters/*/prod' both name bumper/promote/clusters-prod/…:
    the second run rebuilt that branch with its own files only, so the first promotion's change
    under review vanished from its PR, which was retitled."""
    regions = {"clusters/eu/prod/app.yaml": deployment(f"{IMAGE}:1.4.0@sha256:{B}")}
    with make_world(tmp_path, "github", {**STAGING, **PROD, **regions}) as world:
        first = run_json(world, "--from", "clusters/staging", "--to", "clusters/prod")
        [pr] = world.open_pulls()
        held = world.read(first["branch"], "clusters/prod/app.yaml")
        assert held == deployment(f"{IMAGE}:1.5.0@sha256:{A}")

        second = run_json(world, "--from", "clusters/staging", "--to", "clusters/*/prod")
        assert second["status"] == "opened" and second["branch"] != first["branch"]
        assert second["branch"].startswith(first["branch"] + "-")  # its twin
        assert world.read(first["branch"], "clusters/prod/app.yaml") == held  # still under review
        assert world.read(second["branch"], "clusters/eu/prod/app.yaml") == held
        assert len(world.open_pulls()) == 2 and "clusters/staging" in pr.title

        again = run_json(world, "--from", "clusters/staging", "--to", "clusters/prod")
        assert (again["status"], again["branch"]) == ("up-to-date", first["branch"])


def test_repo_disagreement_writes_nothing(world: World) -> None:
    repos.add_commit(world.bare, "main", {"clusters/staging/values.yaml": values("1.5.9")})
    proc = world.run("promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prod")

    assert proc.returncode == 2, proc.stderr
    assert "clusters/staging/values.yaml:4:" in proc.stderr
    assert world.writes() == [] and world.open_pulls() == []


def test_repo_promotion_to_a_typo_names_to(world: World) -> None:
    proc = world.run("promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prdo")

    assert proc.returncode == 3, proc.stderr
    assert "bumper: error: --to 'clusters/prdo' matches no YAML file" in proc.stderr, proc.stderr
    assert world.writes() == [] and world.open_pulls() == []


def test_repo_promotion_onto_a_base_that_does_not_exist_is_bad_input(world: World) -> None:
    """promote's source clone reads --base as bump's clone does: no such branch is exit 2."""
    proc = world.run(
        "promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prod", "--base", "nowhere"
    )

    assert proc.returncode == 2, proc.stderr
    assert "nowhere" in proc.stderr and proc.stderr.count("bumper: error:") == 1
    assert world.writes() == [] and world.open_pulls() == []


def test_repo_digest_pin_refusal_in_json_names_promotes_ways_out(tmp_path: Path) -> None:
    with make_world(tmp_path, "github", PINNED_TARGET) as world:
        proc = world.run(
            "promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prod", "--output", "json"
        )
        assert proc.returncode == 2, proc.stderr
        error = json.loads(proc.stdout)["error"]
        assert (error["kind"], error["file"], error["line"]) == (
            "policy",
            "clusters/prod/exporter/helmrelease.yaml",
            10,
        )
        assert "pin it by digest under --from" in error["message"] and "--path" not in error["message"]
        assert world.writes() == [] and world.pushes() == []


# -- the pure rules ----------------------------------------------------------------------------


def entry(file: str, tag: str | None, digest: str | None = None) -> dict[str, object]:
    value = IMAGE + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return {
        "file": file,
        "line": 1,
        "value": value,
        "registry": "ghcr.io",
        "repository": "acme/app",
        "tag": tag,
        "digest": digest,
    }


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([entry("a", "1.5.0")], f"{IMAGE}:1.5.0"),
        ([entry("a", "1.5.0", f"sha256:{A}"), entry("b", "1.5.0")], f"{IMAGE}:1.5.0@sha256:{A}"),
        ([entry("a", None, f"sha256:{A}")], f"{IMAGE}@sha256:{A}"),
    ],
)
def test_agreeing_references_give_one_ref(entries: list[dict[str, object]], expected: str) -> None:
    assert str(promoted_ref(ImageRef.parse(IMAGE), entries, "src")) == expected


@pytest.mark.parametrize(
    "entries",
    [
        [entry("a", "1.5.0"), entry("b", "1.5.1")],
        [entry("a", "1.5.0", f"sha256:{A}"), entry("b", "1.5.0", f"sha256:{B}")],
        [entry("a", None, f"sha256:{A}"), entry("b", "1.5.0")],
    ],
)
def test_disagreeing_references_are_refused(entries: list[dict[str, object]]) -> None:
    with pytest.raises(ConfigError, match="do not agree"):
        promoted_ref(ImageRef.parse(IMAGE), entries, "src")


def test_a_source_without_the_image_is_exit_3(tree: Path) -> None:
    proc = forkserver.run(
        (
            "promote",
            "ghcr.io/acme/other",
            "--from",
            "clusters/staging",
            "--to",
            "clusters/prod",
            "--dir",
            ".",
        ),
        env={"NO_COLOR": "1"},
        cwd=tree,
    )
    assert (
        proc.returncode == 3 and "no file under clusters/staging references ghcr.io/acme/other" in proc.stderr
    )


def test_a_source_holding_only_a_placeholder_names_it(tree: Path) -> None:
    (tree / "clusters/staging/app.yaml").write_bytes(deployment(IMAGE + ":${TAG}"))
    (tree / "clusters/staging/values.yaml").unlink()
    before = (tree / "clusters/prod/app.yaml").read_bytes()
    args = ("promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prod", "--dir", ".")
    proc = forkserver.run(args, env={"NO_COLOR": "1"}, cwd=tree)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("bumper: error: "), proc.stderr
    assert "clusters/staging/app.yaml:10: ghcr.io/acme/app:${TAG} (placeholder)" in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == before


def test_other_images_do_not_count() -> None:
    other = {**entry("a", "9.9.9"), "repository": "acme/other"}
    with pytest.raises(NotFoundError):
        promoted_ref(ImageRef.parse(IMAGE), [other], "src")


def test_promotion_branches_differ_per_target_and_stay_valid() -> None:
    image = ImageRef.parse(IMAGE)
    assert promote_branch(image, ["clusters/prod-eu"]) != promote_branch(image, ["clusters/prod-us"])
    long = promote_branch(image, ["x" * 300])
    assert len(long) < 120 and long.startswith("bumper/promote/")


def test_nothing_under_from_is_the_not_found_object_in_json(tree: Path) -> None:
    proc = promote(
        tree, "--from", "clusters/nowhere", "--to", "clusters/prod", "--dir", ".", "--output", "json"
    )

    assert proc.returncode == 3, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["status"], result["error"]["kind"]) == ("not-found", "not-found")
    assert result["changes"] == [] and "--from 'clusters/nowhere'" in result["error"]["message"]

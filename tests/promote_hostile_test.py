"""End to end, a careless or hostile user of `bumper promote`: --to spelled to reach back into
--from, sources that cannot be promoted, and odd spellings of the image."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.world import make_world

IMAGE = "ghcr.io/acme/app"
STAGING = b"image: ghcr.io/acme/app:1.5.0\n"
PROD = b"image: ghcr.io/acme/app:1.4.0\n"


def promote(cwd: Path, *args: str, image: str = IMAGE) -> subprocess.CompletedProcess[str]:
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    return forkserver.run(("promote", image, *args, "--dir", "."), env=env, cwd=cwd, timeout=60)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, data in {"clusters/staging/app.yaml": STAGING, "clusters/prod/app.yaml": PROD}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(
    "to",
    [
        "./clusters/staging/",  # the same folder, spelled otherwise
        "clusters/staging/app.yaml",  # one file of the source
        "clusters",  # a parent of the source
        "**/app.yaml",  # a glob reaching both
    ],
)
def test_a_target_that_selects_a_source_file_is_refused_naming_it(tree: Path, to: str) -> None:
    proc = promote(tree, "--from", "clusters/staging", "--to", to)

    assert proc.returncode == 2, proc.stderr
    assert "clusters/staging/app.yaml" in proc.stderr and "--to" in proc.stderr
    assert "up to date" not in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD


def test_a_negation_takes_the_source_back_out_of_the_target(tree: Path) -> None:
    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters", "--to", "!clusters/staging")

    assert proc.returncode == 0, proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == STAGING


FLUX = b"""apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/acme/app
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: ">=1.0.0"
"""


def split_values(marker: str, tag: str, digest: str | None = None) -> bytes:
    """Helm values whose fields each carry one part of the reference, marked for `marker`."""
    text = f'image:\n  repository: ghcr.io/acme/app # {{"{marker[0]}": "{marker[1]}:name"}}\n'
    text += f'  tag: {tag} # {{"{marker[0]}": "{marker[1]}:tag"}}\n'
    if digest:
        text += f'  digest: sha256:{digest} # {{"{marker[0]}": "{marker[1]}:digest"}}\n'
    return text.encode()


@pytest.mark.parametrize(
    "marker", [("$bumper", "ghcr.io/acme/app"), ("$imagepolicy", "flux-system:app")], ids=["bumper", "flux"]
)
def test_a_source_marked_field_by_field_promotes_its_tag_and_digest(
    tmp_path: Path, marker: tuple[str, str]
) -> None:
    """`:name`, `:tag` and `:digest` markers are one reference split over three fields: the name
    carries no version and the digest field no tag, so they agree with the tag field."""
    a, b = "a" * 64, "b" * 64
    files = {
        "flux-system/policy.yaml": FLUX,
        "clusters/staging/values.yaml": split_values(marker, "1.5.0", a),
        "clusters/prod/values.yaml": split_values(marker, "1.4.0", b),
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)

    proc = promote(tmp_path, "--from", "clusters/staging", "--to", "clusters/prod")

    assert proc.returncode == 0, proc.stderr
    assert f"promoted {IMAGE}:1.5.0@sha256:{a}" in proc.stderr
    assert (tmp_path / "clusters/prod/values.yaml").read_bytes() == split_values(marker, "1.5.0", a)


@pytest.fixture(params=["github", "gitlab"])
def host(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_repo_flux_markers_resolve_through_a_policy_outside_from_and_to(tmp_path: Path, host: str) -> None:
    """The ImagePolicy lives in flux-system/, which neither --from nor --to selects: the narrowed
    clones still resolve the tag-only markers on both sides, as --dir does."""
    marker = ("$imagepolicy", "flux-system:app")
    tree = {
        "flux-system/policy.yaml": FLUX,
        "clusters/staging/values.yaml": split_values(marker, "1.5.0"),
        "clusters/prod/values.yaml": split_values(marker, "1.4.0"),
    }
    with make_world(tmp_path, host, tree) as world:
        proc = world.run(
            "promote", IMAGE, "--from", "clusters/staging", "--to", "clusters/prod", "--output", "json"
        )

        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened", result
        assert world.read(result["branch"], "clusters/prod/values.yaml") == split_values(marker, "1.5.0")


def test_repo_bump_with_path_resolves_flux_markers_through_a_policy_outside_it(
    tmp_path: Path, host: str
) -> None:
    """The same for `bump --path`: its sparse clone used to hold no ImagePolicy (exit 3)."""
    marker = ("$imagepolicy", "flux-system:app")
    tree = {"flux-system/policy.yaml": FLUX, "clusters/prod/values.yaml": split_values(marker, "1.4.0")}
    with make_world(tmp_path, host, tree) as world:
        proc = world.run("bump", f"{IMAGE}:1.5.0", "--path", "clusters/prod", "--output", "json")

        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert [c["file"] for c in result["changes"]] == ["clusters/prod/values.yaml"]
        assert world.read(result["branch"], "clusters/prod/values.yaml") == split_values(marker, "1.5.0")


def test_from_branch_missing_from_a_ci_checkout_says_how_to_fetch_it(tmp_path: Path) -> None:
    """A CI checkout holds its own branch only (or `origin/staging`, no local `staging`): the
    error names --from-branch and the one command that makes the branch readable."""
    bare = tmp_path / "origin.git"
    repos.make_bare_repo(bare, {"apps/app.yaml": PROD})
    repos.add_commit(bare, "staging", {"apps/app.yaml": STAGING})
    clone = tmp_path / "ci"
    repos.git("clone", "--quiet", "--no-local", "--depth", "1", "--branch", "main", bare.as_uri(), str(clone))
    args = ("--from-branch", "staging", "--from", "apps", "--to", "apps")

    proc = promote(clone, *args)

    assert proc.returncode == 2, proc.stderr
    assert "--from-branch 'staging'" in proc.stderr and "git fetch origin staging:staging" in proc.stderr
    assert "--base" not in proc.stderr
    repos.git("fetch", "--quiet", "origin", "staging:staging", cwd=clone)  # what it says
    assert promote(clone, *args).returncode == 0
    assert (clone / "apps/app.yaml").read_bytes() == STAGING


@pytest.mark.parametrize("target", ["clusters/prod.lock", "clusters/prod..eu"])
def test_repo_target_folders_git_would_refuse_in_a_branch_name_still_promote(
    tmp_path: Path, target: str
) -> None:
    """The bot branch is named after --to: a folder name git refuses in a ref (`x.lock`, `a..b`)
    must not make the promotion fail with an error about a branch the user never named."""
    tree = {"clusters/staging/app.yaml": STAGING, f"{target}/app.yaml": PROD}
    with make_world(tmp_path, "github", tree) as world:
        proc = world.run("promote", IMAGE, "--from", "clusters/staging", "--to", target, "--output", "json")

        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened" and result["branch"].startswith("bumper/promote/")
        assert world.read(result["branch"], f"{target}/app.yaml") == STAGING


def test_from_branch_naming_the_branch_being_written_is_the_same_tree(tmp_path: Path) -> None:
    """`--from-branch main` on a clone of main (or with `--base main`) reads the very files --to
    writes: the same-path refusal applies, as without --from-branch."""
    bare = repos.make_bare_repo(tmp_path / "origin.git", {"apps/app.yaml": PROD})
    clone = tmp_path / "clone"
    repos.git("clone", "--quiet", "--branch", "main", str(bare), str(clone))

    proc = promote(clone, "--from-branch", "main", "--from", "apps", "--to", "apps")
    assert proc.returncode == 2, proc.stderr
    assert "same path" in proc.stderr
    proc = promote(
        clone, "--from-branch", "main", "--from", "apps", "--to", "apps/app.yaml", "--base", "main"
    )
    assert proc.returncode == 2, proc.stderr
    assert "--to selects apps/app.yaml" in proc.stderr


def test_a_negation_in_from_takes_the_target_out_of_the_source(tree: Path) -> None:
    """`--from clusters --from '!clusters/prod'`: a '!' pattern selects nothing by itself, so it
    is not "a --from that matches no file"."""
    proc = promote(tree, "--from", "clusters", "--from", "!clusters/prod", "--to", "clusters/prod")

    assert proc.returncode == 0, proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == STAGING


def test_repo_a_negation_in_from_takes_the_target_out_of_the_source(tmp_path: Path, host: str) -> None:
    tree = {"clusters/staging/app.yaml": STAGING, "clusters/prod/app.yaml": PROD}
    with make_world(tmp_path, host, tree) as world:
        args = ("--from", "clusters", "--from", "!clusters/prod", "--to", "clusters/prod", "--output", "json")
        proc = world.run("promote", IMAGE, *args)

        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert world.read(result["branch"], "clusters/prod/app.yaml") == STAGING


def test_an_unparseable_source_file_mentioning_the_image_fails_the_read(tree: Path) -> None:
    """It may hold another version: promoting what the other files say would be a guess. As a
    bump does for a file it must edit: exit 1 naming file and line, nothing written."""
    (tree / "clusters/staging/broken.yaml").write_bytes(b"image: ghcr.io/acme/app:1.6.0\n  bad: [x\n")
    (tree / "clusters/staging/other.yaml").write_bytes(b"image: ghcr.io/acme/api:9\n  bad: [x\n")

    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters/prod")

    assert proc.returncode == 1, proc.stderr
    assert "clusters/staging/broken.yaml:2:" in proc.stderr and "other.yaml" not in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD


RENAMING = b"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [app.yaml]
images:
- name: ghcr.io/acme/app
  newName: mirror.acme.io/acme/app
  newTag: 2.0.0
"""


def test_a_source_entry_renaming_the_image_counts_at_the_version_it_runs(tree: Path) -> None:
    """Staging's overlay renames the image to a mirror and runs 2.0.0; its app.yaml still says
    1.5.0. Before, the entry (an image of another name) was not read, and prod got 1.5.0, a
    build staging does not run. Now the two disagree: exit 2 naming both, nothing written."""
    (tree / "clusters/staging/kustomization.yaml").write_bytes(RENAMING)

    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters/prod")

    assert proc.returncode == 2, proc.stderr
    assert "clusters/staging/app.yaml:1: ghcr.io/acme/app:1.5.0" in proc.stderr
    assert (
        "clusters/staging/kustomization.yaml:7: ghcr.io/acme/app renamed to mirror.acme.io/acme/app:2.0.0"
        in proc.stderr
    )
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD


def test_a_source_entry_renaming_the_image_alone_gives_the_version(tree: Path) -> None:
    """With the renamed Deployment outside --from, the overlay alone says what staging runs."""
    (tree / "clusters/staging/kustomization.yaml").write_bytes(RENAMING)

    proc = promote(tree, "--from", "clusters/staging/kustomization.yaml", "--to", "clusters/prod")

    assert proc.returncode == 0, proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == b"image: ghcr.io/acme/app:2.0.0\n"

"""End to end: `bumper bump --registry check|resolve` against a real OCI registry on loopback
(CNCF distribution with htpasswd auth, images pushed by skopeo), for --dir and --repo."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import forkserver
from testing.composite_action import run_action
from testing.oci_registry import PASSWORD, USER, RealRegistry, missing_tools, real_registry
from testing.runs import run_bump
from testing.world import make_world

SKIP = missing_tools()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
PLATFORMS = ["linux/amd64", "linux/arm64/v8"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRegistry]:
    """One registry per module: acme/app v1.2.3 (one platform), v2.0.0 (an index of two)."""
    with real_registry(tmp_path_factory.mktemp("registry")) as reg:
        reg.push("acme/app", "v1.2.3", ["linux/amd64"])
        reg.push("acme/app", "v2.0.0", PLATFORMS)
        yield reg


def deploy(image: str) -> str:
    return f"kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: {image}\n"


@pytest.fixture()
def tree(tmp_path: Path, registry: RealRegistry) -> Path:
    """One reference pinned by digest, one by tag only."""
    root = tmp_path / "tree"
    (root / "apps").mkdir(parents=True)
    old_digest = "sha256:" + "1" * 64
    (root / "apps" / "pinned.yaml").write_text(deploy(f"{registry.host}/acme/app:v1.0.0@{old_digest}"))
    (root / "apps" / "tagged.yaml").write_text(deploy(f"{registry.host}/acme/app:v1.0.0"))
    return root


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "DOCKER_", "REGISTRY_AUTH"))}
    env.update({"HOME": str(tmp_path / "home"), "NO_COLOR": "1", "BUMPER_API_BACKOFF": "0.001", **extra})
    return env


def bump(tmp_path: Path, registry: RealRegistry, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`bumper bump ARGS --output json` with the registry's login in a temporary DOCKER_CONFIG."""
    config = registry.docker_config(tmp_path / "docker")
    proc = forkserver.run(
        ["bump", *args, "--output", "json"], env=clean_env(tmp_path, **{"DOCKER_CONFIG": str(config), **env})
    )
    assert "Traceback" not in proc.stderr
    for secret in (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()):
        assert secret not in proc.stdout + proc.stderr
    return proc


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_check_passes_an_existing_tag_and_reports_its_digest_and_platform(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    (tree / "apps" / "pinned.yaml").unlink()
    ref = f"{registry.host}/acme/app:v1.2.3"
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "check")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    pushed = registry.pushed["acme/app:v1.2.3"]
    assert result["images"] == [{"ref": ref, "digest": pushed.digest, "platforms": ["linux/amd64"]}]
    assert result["status"] == "written"
    assert (tree / "apps" / "tagged.yaml").read_text() == deploy(ref)


def test_a_missing_tag_is_exit_1_kind_registry_and_writes_nothing(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    before = snapshot(tree)
    proc = bump(
        tmp_path, registry, f"{registry.host}/acme/app:v1.2.4", "--dir", str(tree), "--registry", "check"
    )
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert error["kind"] == "registry"
    assert f"{registry.host}/acme/app:v1.2.4 does not exist" in error["message"]
    assert proc.stderr.startswith("bumper: error: ") and len(proc.stderr.splitlines()) == 1
    assert snapshot(tree) == before


def test_a_missing_repository_is_a_missing_tag_too(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    (tree / "apps" / "other.yaml").write_text(deploy(f"{registry.host}/acme/nope:v1"))
    proc = bump(
        tmp_path, registry, f"{registry.host}/acme/nope:v2", "--dir", str(tree), "--registry", "check"
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["kind"] == "registry"
    assert f"{registry.host}/acme/nope:v2" in proc.stderr


def test_one_platforms_digest_of_an_index_is_exit_2_naming_the_index_digest(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    before = snapshot(tree)
    pushed = registry.pushed["acme/app:v2.0.0"]
    arm = pushed.platforms["linux/arm64/v8"]
    ref = f"{registry.host}/acme/app:v2.0.0@{arm}"
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "check")
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["kind"] == "registry"
    assert "linux/arm64/v8 manifest inside the multi-platform index" in error["message"]
    assert f"{registry.host}/acme/app:v2.0.0@{pushed.digest}" in error["message"]
    assert "linux/amd64" in error["message"]
    assert snapshot(tree) == before


def test_a_digest_that_is_not_the_tags_is_exit_2(tmp_path: Path, registry: RealRegistry, tree: Path) -> None:
    before = snapshot(tree)
    other = registry.pushed["acme/app:v2.0.0"].digest
    proc = bump(
        tmp_path,
        registry,
        f"{registry.host}/acme/app:v1.2.3@{other}",
        "--dir",
        str(tree),
        "--registry",
        "check",
    )
    assert proc.returncode == 2
    assert "does not match the registry" in proc.stderr
    assert registry.pushed["acme/app:v1.2.3"].digest in proc.stderr
    assert snapshot(tree) == before


def test_the_right_tag_and_index_digest_pass_check_and_pin(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    digest = registry.pushed["acme/app:v2.0.0"].digest
    ref = f"{registry.host}/acme/app:v2.0.0@{digest}"
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "check")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["images"] == [{"ref": ref, "digest": digest, "platforms": PLATFORMS}]
    assert (tree / "apps" / "pinned.yaml").read_text() == deploy(ref)


def test_resolve_pins_the_index_digest_where_pinned_and_leaves_tags_alone(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    ref = f"{registry.host}/acme/app:v2.0.0"
    index = registry.pushed["acme/app:v2.0.0"].digest
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "resolve")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["images"] == [{"ref": ref, "digest": index, "platforms": PLATFORMS}]
    assert (tree / "apps" / "pinned.yaml").read_text() == deploy(f"{ref}@{index}")
    assert (tree / "apps" / "tagged.yaml").read_text() == deploy(ref)
    # A second run finds everything up to date: the pin is the registry's digest.
    again = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "resolve")
    assert json.loads(again.stdout)["status"] == "up-to-date"


def test_resolve_pins_every_shape_that_holds_a_digest(tmp_path: Path, registry: RealRegistry) -> None:
    """Helm maps with a `digest` key, kustomize `digest`, whole and `:digest` markers; a text run
    says what the registry answered."""
    host, old = registry.host, "sha256:" + "1" * 64
    root = tmp_path / "shapes"
    root.mkdir()
    (root / "values.yaml").write_text(
        f"image:\n  registry: {host}\n  repository: acme/app\n  tag: v1.0.0\n  digest: {old}\n"
        f"sidecar:\n  repository: {host}/acme/app\n  tag: v1.0.0\n"
    )
    (root / "kustomization.yaml").write_text(
        f"images:\n  - name: {host}/acme/app\n    newTag: v1\n    digest: {old}\n"
    )
    marker = f'# {{"$bumper": "{host}/acme/app:digest"}}'
    (root / "m.yaml").write_text(f'image: {host}/acme/app@{old}\ndigest: "{old}" {marker}\n')
    config = registry.docker_config(tmp_path / "docker")
    env = clean_env(tmp_path, DOCKER_CONFIG=str(config))
    proc = forkserver.run(
        ["bump", f"{host}/acme/app:v2.0.0", "--dir", str(root), "--registry", "resolve"], env=env
    )
    assert proc.returncode == 0, proc.stderr
    new = registry.pushed["acme/app:v2.0.0"].digest
    assert f"{host}/acme/app:v2.0.0 is {new} in its registry (linux/amd64, linux/arm64/v8)" in proc.stderr
    assert (root / "values.yaml").read_text() == (
        f"image:\n  registry: {host}\n  repository: acme/app\n  tag: v2.0.0\n  digest: {new}\n"
        f"sidecar:\n  repository: {host}/acme/app\n  tag: v2.0.0\n"
    )
    assert (root / "kustomization.yaml").read_text() == (
        f"images:\n  - name: {host}/acme/app\n    newTag: v2.0.0\n    digest: {new}\n"
    )
    assert (root / "m.yaml").read_text() == f'image: {host}/acme/app:v2.0.0@{new}\ndigest: "{new}" {marker}\n'


def test_resolve_pins_flux_policy_markers_that_hold_a_digest(tmp_path: Path, registry: RealRegistry) -> None:
    host, old = registry.host, "sha256:" + "1" * 64
    root = tmp_path / "flux"
    root.mkdir()
    policy = "flux-system:app"
    text = (
        f'whole: {host}/acme/app:v1@{old} # {{"$imagepolicy": "{policy}"}}\n'
        f'digest: "{old}" # {{"$imagepolicy": "{policy}:digest"}}\n'
        f'tag: v1 # {{"$imagepolicy": "{policy}:tag"}}\n'
        f'unpinned: {host}/acme/app:v1 # {{"$imagepolicy": "{policy}"}}\n'
    )
    (root / "release.yaml").write_text(text)
    config = registry.docker_config(tmp_path / "docker")
    ref = f"{host}/acme/app:v2.0.0"
    env = clean_env(tmp_path, DOCKER_CONFIG=str(config))
    args = ["bump", "--image-policy", f"{policy}={ref}", "--dir", str(root), "--registry", "resolve"]
    proc = forkserver.run(args, env=env)
    assert proc.returncode == 0, proc.stderr
    new = registry.pushed["acme/app:v2.0.0"].digest
    assert (root / "release.yaml").read_text() == (
        text.replace(f"{host}/acme/app:v1@{old}", f"{ref}@{new}")
        .replace(f'"{old}"', f'"{new}"')
        .replace("tag: v1", "tag: v2.0.0")
        .replace(f"unpinned: {host}/acme/app:v1 ", f"unpinned: {ref} ")
    )


def test_check_alone_still_refuses_a_digest_pinned_reference(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    before = snapshot(tree)
    proc = bump(
        tmp_path, registry, f"{registry.host}/acme/app:v2.0.0", "--dir", str(tree), "--registry", "check"
    )
    assert proc.returncode == 2
    assert "pinned by digest" in proc.stderr
    assert snapshot(tree) == before


def test_resolve_comes_from_the_environment_too(tmp_path: Path, registry: RealRegistry, tree: Path) -> None:
    ref = f"{registry.host}/acme/app:v1.2.3"
    started = time.monotonic()  # a retried HTTPS probe would sleep 200 s and more
    proc = bump(
        tmp_path, registry, ref, "--dir", str(tree), BUMPER_REGISTRY="resolve", BUMPER_API_BACKOFF="100"
    )
    assert time.monotonic() - started < 60
    assert proc.returncode == 0, proc.stderr
    digest = registry.pushed["acme/app:v1.2.3"].digest
    assert (tree / "apps" / "pinned.yaml").read_text() == deploy(f"{ref}@{digest}")


def test_off_is_the_default_and_asks_no_registry(tmp_path: Path, registry: RealRegistry, tree: Path) -> None:
    (tree / "apps" / "pinned.yaml").unlink()
    (tree / "apps" / "tagged.yaml").write_text(deploy("127.0.0.1:9/acme/app:v1"))
    proc = bump(tmp_path, registry, "127.0.0.1:9/acme/app:v2", "--dir", str(tree))  # nothing listens on :9
    assert proc.returncode == 0, proc.stderr
    assert "images" not in json.loads(proc.stdout)


def test_a_digest_only_ref_must_exist(tmp_path: Path, registry: RealRegistry, tree: Path) -> None:
    digest = registry.pushed["acme/app:v1.2.3"].digest
    ok = bump(
        tmp_path, registry, f"{registry.host}/acme/app@{digest}", "--dir", str(tree), "--registry", "check"
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["images"][0]["platforms"] == ["linux/amd64"]
    missing = "sha256:" + "2" * 64
    proc = bump(
        tmp_path, registry, f"{registry.host}/acme/app@{missing}", "--dir", str(tree), "--registry", "check"
    )
    assert proc.returncode == 1
    assert f"acme/app@{missing} does not exist" in proc.stderr


def test_wrong_or_no_credentials_fail_without_printing_them(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    before = snapshot(tree)
    ref = f"{registry.host}/acme/app:v1.2.3"
    wrong = registry.docker_config(tmp_path / "wrong", password="not-the-" + PASSWORD)
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "check", DOCKER_CONFIG=str(wrong))
    assert proc.returncode == 1
    assert "refused" in proc.stderr and str(wrong / "config.json") in proc.stderr
    assert "not-the-" not in proc.stdout + proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = bump(tmp_path, registry, ref, "--dir", str(tree), "--registry", "check", DOCKER_CONFIG=str(empty))
    assert proc.returncode == 1
    assert "none are stored" in proc.stderr
    assert snapshot(tree) == before


def test_podman_auth_file_is_read_after_the_docker_config(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    auth_file = registry.docker_config(tmp_path / "podman") / "config.json"
    empty = tmp_path / "empty"
    empty.mkdir()
    ref = f"{registry.host}/acme/app:v1.2.3"
    proc = bump(
        tmp_path, registry, ref, "--dir", str(tree), "--registry", "resolve",
        DOCKER_CONFIG=str(empty), REGISTRY_AUTH_FILE=str(auth_file),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def helper_script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"docker-credential-{name}"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize("key", ["credHelpers", "credsStore"])
def test_credential_helpers_give_the_login(
    tmp_path: Path, registry: RealRegistry, tree: Path, key: str
) -> None:
    """A docker-credential-* helper on PATH answers `get` with the server on stdin."""
    bin_dir = tmp_path / "bin"
    seen = tmp_path / "asked"
    answer = json.dumps({"ServerURL": registry.host, "Username": USER, "Secret": PASSWORD})
    helper_script(bin_dir, "acme", f"[ \"$1\" = get ] || exit 3\ncat > {seen}\necho '{answer}'\n")
    config = tmp_path / "helper-config"
    config.mkdir()
    settings = {"credHelpers": {registry.host: "acme"}} if key == "credHelpers" else {"credsStore": "acme"}
    (config / "config.json").write_text(json.dumps(settings))
    ref = f"{registry.host}/acme/app:v1.2.3"
    path = f"{bin_dir}:{os.environ['PATH']}"
    proc = bump(
        tmp_path,
        registry,
        ref,
        "--dir",
        str(tree),
        "--registry",
        "resolve",
        DOCKER_CONFIG=str(config),
        PATH=path,
    )
    assert proc.returncode == 0, proc.stderr
    assert seen.read_text() == registry.host


def test_a_failing_credential_helper_is_named_but_its_output_is_not_printed(
    tmp_path: Path, registry: RealRegistry, tree: Path
) -> None:
    bin_dir = tmp_path / "bin"
    helper_script(bin_dir, "broken", "echo 'leaked-helper-output' >&2\nexit 1\n")
    config = tmp_path / "helper-config"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"credHelpers": {registry.host: "broken"}}))
    path = f"{bin_dir}:{os.environ['PATH']}"
    proc = bump(
        tmp_path, registry, f"{registry.host}/acme/app:v1.2.3", "--dir", str(tree), "--registry", "check",
        DOCKER_CONFIG=str(config), PATH=path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "docker-credential-broken get failed" in proc.stderr
    assert "leaked-helper-output" not in proc.stdout + proc.stderr


# -- --repo ------------------------------------------------------------------------------------


def repo_tree(registry: RealRegistry) -> dict[str, bytes]:
    return {
        "apps/pinned.yaml": deploy(f"{registry.host}/acme/app:v1.0.0@sha256:{'1' * 64}").encode(),
        "apps/tagged.yaml": deploy(f"{registry.host}/acme/app:v1.0.0").encode(),
    }


def test_repo_resolve_pins_the_digest_and_the_pr_names_digest_and_platforms(
    tmp_path: Path, registry: RealRegistry
) -> None:
    config = registry.docker_config(tmp_path / "docker")
    with make_world(tmp_path / "world", "github", repo_tree(registry)) as world:
        ref = f"{registry.host}/acme/app:v2.0.0"
        index = registry.pushed["acme/app:v2.0.0"].digest
        world.extra_env["DOCKER_CONFIG"] = str(config)
        proc = run_bump(world, ref, "--registry", "resolve")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert result["images"] == [{"ref": ref, "digest": index, "platforms": PLATFORMS}]
        branch = result["branch"]
        assert world.read(branch, "apps/pinned.yaml") == deploy(f"{ref}@{index}").encode()
        assert world.read(branch, "apps/tagged.yaml") == deploy(ref).encode()
        [pr] = world.open_pulls()
        assert index in pr.body and "linux/amd64, linux/arm64/v8" in pr.body
        assert PASSWORD not in proc.stdout + proc.stderr


def test_repo_missing_tag_clones_pushes_and_writes_nothing(tmp_path: Path, registry: RealRegistry) -> None:
    config = registry.docker_config(tmp_path / "docker")
    with make_world(tmp_path / "world", "gitlab", repo_tree(registry)) as world:
        world.extra_env["DOCKER_CONFIG"] = str(config)
        proc = run_bump(world, f"{registry.host}/acme/app:v3.0.0", "--registry", "check")
        assert proc.returncode == 1
        assert json.loads(proc.stdout)["error"]["kind"] == "registry"
        assert world.git.requests == []  # not even a clone
        assert world.writes() == [] and world.open_pulls() == []


# -- the GitHub Action, as the runner runs it ------------------------------------------------


@pytest.mark.parametrize("tag", ["v2.0.0", "v9.9.9"])
def test_action_registry_input_reads_the_login_docker_login_wrote(
    tmp_path: Path, registry: RealRegistry, tag: str
) -> None:
    """docker/login-action writes ~/.docker/config.json; the `registry` input makes bumper use it."""
    exe = Path(sys.executable).parent / "bumper"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    old = f"{registry.host}/acme/app:v1.0.0@sha256:{'1' * 64}"
    (workspace / "deploy.yaml").write_text(deploy(old))
    registry.docker_config(tmp_path / "runner" / "home" / ".docker")
    ref = f"{registry.host}/acme/app:{tag}"
    run = run_action(
        {"images": ref, "directory": ".", "registry": "resolve"},
        workspace=workspace,
        temp=tmp_path / "runner",
        given_outputs={"install": {"bumper": str(exe), "python": sys.executable}},
    )
    assert PASSWORD not in run.log + run.summary
    if tag == "v9.9.9":
        assert run.returncode == 1, run.log
        assert f"{registry.host}/acme/app:v9.9.9 does not exist" in run.log
        assert (workspace / "deploy.yaml").read_text() == deploy(old)
        return
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "written"
    digest = registry.pushed["acme/app:v2.0.0"].digest
    assert (workspace / "deploy.yaml").read_text() == deploy(f"{ref}@{digest}")


def promote(tmp_path: Path, registry: RealRegistry, *args: str) -> subprocess.CompletedProcess[str]:
    """`bumper promote ARGS --output json` with the registry's login, as `bump` above."""
    config = registry.docker_config(tmp_path / "docker")
    env = clean_env(tmp_path, DOCKER_CONFIG=str(config))
    proc = forkserver.run(["promote", *args, "--output", "json"], env=env)
    assert PASSWORD not in proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("tag", ["v2.0.0", "v9.9.9"])
def test_promote_checks_the_version_it_read_and_resolves_its_digest(
    tmp_path: Path, registry: RealRegistry, tag: str
) -> None:
    """The version read under --from is asked of its registry before --to is written: a tag
    staging names that was never pushed stops the promotion; a pushed one pins prod by digest."""
    root = tmp_path / "tree"
    for env in ("staging", "prod"):
        (root / env).mkdir(parents=True)
    image = f"{registry.host}/acme/app"
    (root / "staging" / "app.yaml").write_text(deploy(f"{image}:{tag}"))
    old = f"{image}:v1.0.0@sha256:{'1' * 64}"
    (root / "prod" / "app.yaml").write_text(deploy(old))

    proc = promote(
        tmp_path,
        registry,
        image,
        "--from",
        "staging",
        "--to",
        "prod",
        "--dir",
        str(root),
        "--registry",
        "resolve",
    )

    if tag == "v9.9.9":
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["error"]["kind"] == "registry"
        assert f"{image}:v9.9.9 does not exist" in proc.stderr
        assert (root / "prod" / "app.yaml").read_text() == deploy(old)
        return
    assert proc.returncode == 0, proc.stderr
    digest = registry.pushed["acme/app:v2.0.0"].digest
    result = json.loads(proc.stdout)
    assert result["promoted"] == {"from": "staging", "ref": f"{image}:v2.0.0"}
    assert [i["digest"] for i in result["images"]] == [digest]
    assert (root / "prod" / "app.yaml").read_text() == deploy(f"{image}:v2.0.0@{digest}")

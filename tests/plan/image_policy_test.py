"""Flux `$imagepolicy` markers through the CLI: --image-policy, resolution, scan, check, --repo;
and how a marked scalar is decided (decide_marked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bumper.cli import main
from bumper.errors import PolicyError
from bumper.image_ref import ImageRef
from bumper.plan.image_policy import FluxIndex, PolicyTable, decide_marked, unresolved_markers
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all
from testing import repos
from testing.world import make_world

DIGEST = "sha256:" + "ab" * 32
POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: web
  namespace: flux-system
spec:
  image: ghcr.io/acme/web
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: web
  namespace: apps
spec:
  imageRepositoryRef:
    name: web
    namespace: flux-system
"""
VALUES = """\
image:
  repository: ghcr.io/acme/web # {"$imagepolicy": "apps:web:name"}
  tag: v1.0.0 # {"$imagepolicy": "apps:web:tag"}
sidecar:
  image: ghcr.io/acme/web:v1.0.0
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, prog_name="bumper")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def error_line(result: Result) -> str:
    [line] = result.stderr.splitlines()
    assert line.startswith("bumper: error: ")
    return line


# --- --image-policy input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("apps:web", "invalid --image-policy 'apps:web': expected NAMESPACE:NAME=REF"),
        (
            "web=ghcr.io/acme/web:v1",
            "invalid --image-policy 'web=ghcr.io/acme/web:v1': expected NAMESPACE:NAME",
        ),
        ("Apps:web=ghcr.io/acme/web:v1", "expected NAMESPACE:NAME=REF with Kubernetes names"),
        ("apps:web:tag=ghcr.io/acme/web:v1", "expected NAMESPACE:NAME=REF"),
        (
            "apps:web=ghcr.io/acme/web",
            "the REF has neither a tag nor a digest; give e.g. apps:web=ghcr.io/acme/web:1.2.3",
        ),
        ("apps:web=ghcr.io/Acme/web:v1", "invalid image reference 'ghcr.io/Acme/web:v1'"),
        ("apps:web=", "invalid image reference ''"),
        ("../x:web=ghcr.io/acme/web:v1", "expected NAMESPACE:NAME=REF with Kubernetes names"),
        ("apps:" + "w" * 300 + "=ghcr.io/acme/web:v1", "expected NAMESPACE:NAME=REF with Kubernetes names"),
        ("apps:web=ghcr.io/acme/web:v1;touch x", "invalid image reference 'ghcr.io/acme/web:v1;touch x'"),
    ],
)
def test_bad_image_policy_exits_2_with_one_line(tmp_path: Path, value: str, message: str) -> None:
    write(tmp_path, {"values.yaml": VALUES})
    result = run("bump", "--dir", str(tmp_path), "--image-policy", value)
    assert result.exit_code == 2
    assert message in error_line(result)
    assert (tmp_path / "values.yaml").read_text() == VALUES


def test_one_policy_given_two_different_refs_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": VALUES})
    result = run(
        "bump",
        "--dir",
        str(tmp_path),
        "--image-policy",
        "apps:web=ghcr.io/acme/web:v1.1.0",
        "--image-policy",
        "apps:web=ghcr.io/acme/web:v1.2.0",
    )
    assert result.exit_code == 2
    assert "--image-policy apps:web is given twice" in error_line(result)


def test_neither_ref_nor_image_policy_is_a_usage_error(tmp_path: Path) -> None:
    result = run("bump", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "give at least one REF or --image-policy" in error_line(result)


@pytest.mark.parametrize("separator", ["\n", " "], ids=["one-per-line", "space-separated"])
def test_policies_from_the_environment(tmp_path: Path, separator: str) -> None:
    write(tmp_path, {"a.yaml": 'a: x:v1 # {"$imagepolicy": "ns:a"}\nb: v1 # {"$imagepolicy": "ns:b:tag"}\n'})
    env = {"BUMPER_IMAGE_POLICIES": f"ns:a=ghcr.io/acme/a:v2{separator}ns:b=ghcr.io/acme/b:v3\n"}
    result = run("bump", "--dir", str(tmp_path), env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.yaml").read_text() == (
        'a: ghcr.io/acme/a:v2 # {"$imagepolicy": "ns:a"}\nb: v3 # {"$imagepolicy": "ns:b:tag"}\n'
    )


# --- what a run changes -----------------------------------------------------------------------------


def test_image_policy_changes_only_marked_fields_and_reports_them(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": VALUES})
    result = run(
        "bump",
        "--dir",
        str(tmp_path),
        "--output",
        "json",
        "--image-policy",
        "apps:web=ghcr.io/acme/web:v1.1.0",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "values.yaml").read_text() == VALUES.replace("tag: v1.0.0", "tag: v1.1.0")
    payload = json.loads(result.stdout)
    assert payload["status"] == "written"
    assert payload["changes"] == [
        {
            "file": "values.yaml",
            "line": 3,
            "shape": "marker",
            "old": "ghcr.io/acme/web:v1.0.0",
            "new": "ghcr.io/acme/web:v1.1.0",
        }
    ]
    assert payload["skipped"] == [
        {
            "file": "values.yaml",
            "line": 2,
            "shape": "marker",
            "value": "ghcr.io/acme/web",
            "reason": "up-to-date",
        }
    ]


def test_positional_ref_and_image_policy_together(tmp_path: Path) -> None:
    """The REF moves the unmarked reference; the policy moves its marked fields."""
    write(tmp_path, {"values.yaml": VALUES})
    result = run(
        "bump",
        "ghcr.io/acme/web:v1.0.5",
        "--dir",
        str(tmp_path),
        "--image-policy",
        "apps:web=ghcr.io/acme/web:v1.1.0",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "values.yaml").read_text() == VALUES.replace("tag: v1.0.0", "tag: v1.1.0").replace(
        "web:v1.0.0", "web:v1.0.5"
    )


def test_lower_policy_tag_is_skipped_unless_allowed(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": VALUES})
    policy = ("--image-policy", "apps:web=ghcr.io/acme/web:v0.9.0")
    result = run("bump", "--dir", str(tmp_path), *policy, "-v")
    assert result.exit_code == 0, result.output
    assert "bumper: skipped values.yaml:3: ghcr.io/acme/web:v1.0.0: downgrade" in result.stderr
    assert (tmp_path / "values.yaml").read_text() == VALUES

    result = run("bump", "--dir", str(tmp_path), *policy, "--allow-downgrade")
    assert result.exit_code == 0, result.output
    assert "tag: v0.9.0 #" in (tmp_path / "values.yaml").read_text()


def test_digest_policy_moves_tag_and_digest_and_reruns_up_to_date(tmp_path: Path) -> None:
    text = (
        'tag: v1.0.0 # {"$imagepolicy": "apps:web:tag"}\ndigest: "" # {"$imagepolicy": "apps:web:digest"}\n'
    )
    write(tmp_path, {"v.yaml": text})
    policy = ("--image-policy", f"apps:web=ghcr.io/acme/web:v1.1.0@{DIGEST}")
    assert run("bump", "--dir", str(tmp_path), *policy).exit_code == 0
    assert (tmp_path / "v.yaml").read_text() == text.replace("v1.0.0", "v1.1.0").replace('""', f'"{DIGEST}"')
    rerun = run("bump", "--dir", str(tmp_path), *policy)
    assert rerun.exit_code == 0 and "up to date" in rerun.stderr


def test_policy_marked_nowhere_exits_3_naming_it(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": VALUES})
    result = run("bump", "--dir", str(tmp_path), "--image-policy", "apps:api=ghcr.io/acme/api:v2")
    assert result.exit_code == 3
    assert "no file references apps:api=ghcr.io/acme/api:v2" in error_line(result)


def test_verbose_lists_unresolved_markers_in_the_files_it_reads(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": VALUES + 'extra: ghcr.io/acme/web:v1 # {"$imagepolicy": "apps:gone"}\n'})
    result = run("bump", "ghcr.io/acme/web:v1.1.0", "--dir", str(tmp_path), "-v")
    assert result.exit_code == 0, result.output
    assert (
        "bumper: unresolved values.yaml:3: $imagepolicy 'apps:web:tag' resolves to no image: "
        "no ImagePolicy apps:web in the tree"
    ) in result.stderr
    assert "bumper: unresolved values.yaml:6: $imagepolicy 'apps:gone'" in result.stderr
    # never guessed: only the unmarked reference moved
    assert (tmp_path / "values.yaml").read_text().count("v1.1.0") == 1


# --- scan and check ---------------------------------------------------------------------------------


def test_scan_json_reports_policy_and_part_and_the_resolved_repository(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "flux/policies.yaml": POLICIES,
            "app/values.yaml": VALUES + 'legacy: ghcr.io/acme/web:v1 # {"$bumper": "ghcr.io/acme/web"}\n',
            "app/k.yaml": 'images:\n  - name: x\n    newTag: v1 # {"$imagepolicy": "apps:missing:tag"}\n',
        },
    )
    result = run("scan", "--dir", str(tmp_path), "--output", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    markers = [
        (i["file"], i["line"], i["policy"], i["part"], i["registry"], i["repository"], i["tag"])
        for i in payload["images"]
        if i["shape"] == "marker"
    ]
    assert sorted(markers) == [
        ("app/k.yaml", 3, "apps:missing", "tag", None, None, "v1"),
        ("app/values.yaml", 2, "apps:web", "name", "ghcr.io", "acme/web", None),
        ("app/values.yaml", 3, "apps:web", "tag", "ghcr.io", "acme/web", "v1.0.0"),
        ("app/values.yaml", 6, None, "whole", "ghcr.io", "acme/web", "v1"),
    ]
    assert payload["unresolved"] == [
        {
            "file": "app/k.yaml",
            "line": 3,
            "marker": "$imagepolicy",
            "target": "apps:missing:tag",
            "reason": "no ImagePolicy apps:missing in the tree",
        }
    ]
    text = run("scan", "--dir", str(tmp_path))
    assert "app/values.yaml:3:8: marker: v1.0.0 [$imagepolicy apps:web:tag]" in text.stdout
    assert "bumper: unresolved app/k.yaml:3: $imagepolicy 'apps:missing:tag'" in text.stderr


def test_unresolved_markers_for_check_name_each_reason(tmp_path: Path) -> None:
    bare_policy = POLICIES.replace("  namespace: apps\n", "").replace(
        "name: web\n  namespace", "name: web\n  ns"
    )
    write(
        tmp_path,
        {
            "flux/a.yaml": POLICIES,
            "flux/b.yaml": POLICIES.replace("ghcr.io/acme/web", "ghcr.io/acme/other").replace(
                "name: web", "name: dup"
            ),
            "flux/c.yaml": POLICIES.replace("ghcr.io/acme/web", "ghcr.io/acme/third").replace(
                "name: web", "name: dup"
            ),
            "flux/d.yaml": bare_policy.replace("name: web", "name: bare"),
            "flux/e.yaml": POLICIES.split("---\n")[1].replace("name: web", "name: orphan"),
            "app.yaml": (
                'a: v1 # {"$imagepolicy": "apps:web:tag"}\n'
                'b: v1 # {"$imagepolicy": "apps:dup:tag"}\n'
                'c: v1 # {"$imagepolicy": "apps:bare:tag"}\n'
                'd: v1 # {"$imagepolicy": "apps:orphan:tag"}\n'
                'e: v1 # {"$imagepolicy": "Apps:x:tag"}\n'
                'f: ghcr.io/acme/zzz:v1 # {"$bumper": "ghcr.io/acme/web"}\n'
                'g: # {"$imagepolicy": "apps:web"}\n'
                "  - x\n"
            ),
        },
    )
    found = [(u.line, u.marker, u.target, u.reason) for u in unresolved_markers(tmp_path)]
    assert found == [
        (
            2,
            "$imagepolicy",
            "apps:dup:tag",
            "ImageRepository flux-system:dup is defined with different "
            "values of spec.image (flux/b.yaml:1, flux/c.yaml:1)",
        ),
        (
            4,
            "$imagepolicy",
            "apps:orphan:tag",
            "no ImageRepository flux-system:orphan in the tree (ImagePolicy at flux/e.yaml:1)",
        ),
        (5, "$imagepolicy", "Apps:x:tag", "'Apps:x' is not NAMESPACE:NAME"),
        (6, "$bumper", "ghcr.io/acme/web", "the value on this line is no reference of ghcr.io/acme/web"),
        (
            7,
            "$imagepolicy",
            "apps:web",
            "the value on this line is a list, not a scalar; put the marker at the end of the line "
            "of the one scalar it sets (e.g. `tag:`)",
        ),
    ]
    assert FluxIndex.from_tree(tmp_path).resolve("apps:web") == ("ghcr.io/acme/web", "")
    # line 3: the ImagePolicy and ImageRepository `bare` have no namespace; they answer apps:bare
    assert FluxIndex.from_tree(tmp_path).resolve("apps:bare") == ("ghcr.io/acme/web", "")


def _without_namespaces(text: str, name: str, image: str) -> str:
    return (
        POLICIES.replace("  namespace: apps\n", "")
        .replace("  namespace: flux-system\n", "")
        .replace("    namespace: flux-system\n", "")
        .replace("name: web", f"name: {name}")
        .replace("ghcr.io/acme/web", image)
    )


def test_a_policy_without_a_namespace_answers_a_marker_only_where_none_has_one(tmp_path: Path) -> None:
    """Flux's d2 layout: the objects get their namespace from the Kustomization that applies
    them, so the marker's NAMESPACE:NAME is answered by the tree's namespace-less object of that
    name, unless an object of that name with that namespace exists; two namespace-less
    definitions that disagree answer nothing."""
    write(
        tmp_path,
        {
            "flux/web.yaml": POLICIES,  # apps:web -> flux-system:web -> ghcr.io/acme/web
            "flux/bare-web.yaml": _without_namespaces(POLICIES, "web", "ghcr.io/acme/other"),
            "flux/api.yaml": _without_namespaces(POLICIES, "api", "ghcr.io/acme/api"),
            "flux/two-a.yaml": _without_namespaces(POLICIES, "two", "ghcr.io/acme/two-a"),
            "flux/two-b.yaml": _without_namespaces(POLICIES, "two", "ghcr.io/acme/two-b"),
        },
    )
    index = FluxIndex.from_tree(tmp_path)
    assert index.resolve("apps:web") == ("ghcr.io/acme/web", "")  # the namespaced one wins
    assert index.resolve("staging:web") == ("ghcr.io/acme/other", "")
    assert index.resolve("apps:api") == ("ghcr.io/acme/api", "")
    assert index.resolve("apps:two") == (
        None,
        "ImageRepository apps:two is defined with different values of spec.image "
        "(flux/two-a.yaml:1, flux/two-b.yaml:1)",
    )
    assert index.resolve("apps:none")[0] is None
    # the run's table (what a rerun holds against the bot branch, too) knows the stand-in by
    # the name its markers give it
    ref = ImageRef.parse("ghcr.io/acme/api:v2")
    table = PolicyTable.build({ref.key: ref}, None, lambda: index, lambda: {"apps:api", "apps:web"})
    assert {name: str(image) for name, image in table.latest.items()} == {"apps:api": "ghcr.io/acme/api:v2"}


# --- --repo -----------------------------------------------------------------------------------------


def test_repo_resolves_policies_whose_files_never_name_the_image(tmp_path: Path) -> None:
    """The narrowed clone checks out the ImagePolicy and the marked kustomization although
    neither mentions ghcr.io/acme/web; the PR changes exactly the marked lines."""
    tree = {
        "clusters/prod/repository.yaml": POLICIES.split("---\n")[0].encode(),
        "clusters/prod/policy.yaml": POLICIES.split("---\n")[1].encode(),
        "apps/web/kustomization.yaml": (
            b'images:\n  - name: web\n    newTag: v1.0.0 # {"$imagepolicy": "apps:web:tag"}\n'
        ),
        "apps/web/other.yaml": b'image: ghcr.io/acme/api:v1 # {"$imagepolicy": "apps:api"}\n',
    }
    with make_world(tmp_path, "github", tree) as world:
        proc = world.run("bump", "ghcr.io/acme/web:v1.1.0", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert result["branch"] == "bumper/ghcr.io-acme-web"
        assert repos.changed_paths(world.bare, "bumper/ghcr.io-acme-web") == ["apps/web/kustomization.yaml"]
        assert world.read("bumper/ghcr.io-acme-web", "apps/web/kustomization.yaml") == (
            b'images:\n  - name: web\n    newTag: v1.1.0 # {"$imagepolicy": "apps:web:tag"}\n'
        )

        # --image-policy alone: no positional REF, the branch and PR are named after the image.
        proc = world.run("bump", "--image-policy", "apps:api=ghcr.io/acme/api:v2", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert (result["status"], result["branch"]) == ("opened", "bumper/ghcr.io-acme-api")
        assert world.read("bumper/ghcr.io-acme-api", "apps/web/other.yaml") == (
            b'image: ghcr.io/acme/api:v2 # {"$imagepolicy": "apps:api"}\n'
        )
        assert any("ghcr.io/acme/api:v2" in pr.title for pr in world.open_pulls())


def test_repo_rerun_with_an_older_policy_image_does_not_take_the_pr_backwards(tmp_path: Path) -> None:
    """Tag-only markers carry no repository: the bot branch's newer tag is still found through
    the policy, both for --image-policy and for a REF resolved through the tree's ImagePolicy."""
    tree = {
        "clusters/prod/flux.yaml": POLICIES.encode(),
        "apps/web.yaml": b'web:\n  tag: v1.0.0 # {"$imagepolicy": "apps:web:tag"}\n',
        "apps/api.yaml": b'api:\n  tag: v1.0.0 # {"$imagepolicy": "apps:api:tag"}\n',
    }
    with make_world(tmp_path, "github", tree) as world:
        for first, second, branch, path in [
            (
                ("ghcr.io/acme/web:v1.2.0",),
                ("ghcr.io/acme/web:v1.1.0",),
                "bumper/ghcr.io-acme-web",
                "apps/web.yaml",
            ),
            (
                ("--image-policy", "apps:api=ghcr.io/acme/api:v1.2.0"),
                ("--image-policy", "apps:api=ghcr.io/acme/api:v1.1.0"),
                "bumper/ghcr.io-acme-api",
                "apps/api.yaml",
            ),
        ]:
            opened = world.run("bump", *first, "--output", "json")
            assert opened.returncode == 0, opened.stderr
            assert json.loads(opened.stdout)["status"] == "opened"
            sha, pushes = world.branch_sha(branch), len(world.pushes())

            older = world.run("bump", *second, "--output", "json")
            assert older.returncode == 0, older.stderr
            result = json.loads(older.stdout)
            assert result["status"] == "up-to-date"
            assert [s["reason"] for s in result["skipped"]] == [f"newer-on-bot-branch: {branch} holds v1.2.0"]
            assert world.branch_sha(branch) == sha and len(world.pushes()) == pushes
            assert b"tag: v1.2.0 #" in (world.read(branch, path) or b"")
            # the commit names the image although the file holds a bare tag
            image = first[-1].split("=")[-1]
            trailer = f"Bumper-Image: {image.replace('v1.2.0', 'v1.0.0')} -> {image}"
            assert trailer in repos.commit_info(world.bare, branch)["message"]


def test_repo_rerun_keeps_a_newer_tag_a_namespace_less_policy_answers(tmp_path: Path) -> None:
    """Flux's d2 layout (no metadata.namespace; the marker says apps:web): the policy the
    markers name is known to the run, so the bot branch's newer tag holds against an older REF."""
    tree = {
        "update-policies/web.yaml": _without_namespaces(POLICIES, "web", "ghcr.io/acme/web").encode(),
        "apps/web.yaml": b'web:\n  tag: v1.0.0 # {"$imagepolicy": "apps:web:tag"}\n',
    }
    branch = "bumper/ghcr.io-acme-web"
    with make_world(tmp_path, "github", tree) as world:
        opened = world.run("bump", "ghcr.io/acme/web:v1.2.0", "--output", "json")
        assert opened.returncode == 0, opened.stderr
        assert json.loads(opened.stdout)["status"] == "opened"
        assert (
            world.read(branch, "apps/web.yaml") == b'web:\n  tag: v1.2.0 # {"$imagepolicy": "apps:web:tag"}\n'
        )
        sha, pushes = world.branch_sha(branch), len(world.pushes())

        older = world.run("bump", "ghcr.io/acme/web:v1.1.0", "--output", "json")
        assert older.returncode == 0, older.stderr
        result = json.loads(older.stdout)
        assert result["status"] == "up-to-date"
        assert [s["reason"] for s in result["skipped"]] == [f"newer-on-bot-branch: {branch} holds v1.2.0"]
        assert world.branch_sha(branch) == sha and len(world.pushes()) == pushes


@pytest.mark.parametrize(
    ("value", "part", "latest", "decision"),
    [
        ("v1.0.0", "tag", "ghcr.io/acme/web:v1.1.0", (True, None)),
        ("v1.2.0", "tag", "ghcr.io/acme/web:v1.1.0", (False, "downgrade")),
        ("ghcr.io/acme/web:v1.2.0", "whole", "ghcr.io/acme/web:v1.1.0", (False, "downgrade")),
        ("v1.0.0-alpine", "tag", "ghcr.io/acme/web:v1.1.0", (False, "variant")),
        ("ghcr.io/acme/web:v1.1.0", "whole", "ghcr.io/acme/web:v1.1.0", (False, "up-to-date")),
        ("v1.0.0", "tag", f"ghcr.io/acme/web@{DIGEST}", (False, "ref-has-no-tag")),
        ("ghcr.io/acme/web", "name", "ghcr.io/acme/mirror/web:v1", (True, None)),
    ],
)
def test_a_marked_scalar_moves_by_flux_and_bumpers_rules(
    value: str, part: str, latest: str, decision: tuple[bool, str | None]
) -> None:
    ref = _marked(value, part)
    assert (
        tuple(decide_marked(ref, ImageRef.parse(latest), allow_downgrade=False, where=("a.yaml", 1)))
        == decision
    )


def test_a_downgrade_is_allowed_when_asked_and_a_digest_part_needs_a_digest() -> None:
    latest = ImageRef.parse("ghcr.io/acme/web:v1.1.0")
    assert decide_marked(_marked("v1.2.0", "tag"), latest, allow_downgrade=True, where=("a.yaml", 1)).apply
    with pytest.raises(PolicyError, match="has no digest"):
        decide_marked(_marked(DIGEST, "digest"), latest, allow_downgrade=False, where=("a.yaml", 1))


def _marked(value: str, part: str) -> PolicyRef:
    target = "apps:web" if part == "whole" else f"apps:web:{part}"
    source = Source("a.yaml", f'x: {value} # {{"$imagepolicy": "{target}"}}\n')
    (ref,) = find_references(source, compose_all(source))
    assert isinstance(ref, PolicyRef)
    return ref

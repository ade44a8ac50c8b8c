"""`bumper check`: one `file:line: problem` line each, exit 0 clean / 1 otherwise; the pre-commit hook."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from testing import forkserver

ROOT = Path(__file__).resolve().parents[1]

CLEAN = {
    ".bumper.yaml": b"version: 1\nrules:\n  - paths: [docs]\n    hold: true\n",
    "apps/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/values.yaml": b'app:\n  tag: v1.0.0 # {"$bumper": "ghcr.io/acme/app:tag"}\n',
    "apps/whole.yaml": b'x: ghcr.io/acme/app:v1 # {"$bumper": "ghcr.io/acme/app"}\n',
    "docs/notes.yaml": b"just: [a, list\n",  # mentions no image: never parsed, no problem
    "charts/c/Chart.yaml": b"name: c\n",
    "charts/c/templates/d.yaml": b"image: {{ .Values.image }}\n",  # a chart template: left alone
}


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _check(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    where = [] if cwd is not None else ["--dir", str(root)]
    return forkserver.run(["check", *where, *args], cwd=cwd)


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    out = _check(_tree(tmp_path, CLEAN))
    assert (out.returncode, out.stdout) == (0, ""), out.stderr
    assert out.stderr == "bumper: no problems in 6 file(s)\n"  # .bumper.yaml is policy, not a manifest


@pytest.mark.parametrize("pattern", ["CLUSTERS/prod", "clusters/prd", "clusters/prod/app.yml"])
def test_a_rule_whose_paths_select_no_file_is_a_problem(tmp_path: Path, pattern: str) -> None:
    """A hold rule naming `CLUSTERS/prod` (the tree has `clusters/prod`) holds nothing: bump
    rewrote clusters/prod/app.yaml and check said "no problems". Now check names the rule."""
    policy = f"version: 1\nrules:\n  - paths: [{pattern}]\n    hold: true\n  - mode: pr\n".encode()
    root = _tree(
        tmp_path, {".bumper.yaml": policy, "clusters/prod/app.yaml": b"image: ghcr.io/acme/app:v1\n"}
    )
    out = _check(root)
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        f".bumper.yaml:3: rule 1: paths {pattern} select no file of the tree, so the rule governs nothing "
        "(patterns are case-sensitive, relative to the tree's root, read like .gitignore lines); fix the "
        "pattern, or remove the rule"
    ]
    fixed = _tree(tmp_path, {".bumper.yaml": policy.replace(pattern.encode(), b"clusters/prod")})
    assert _check(fixed).returncode == 0  # the rule without paths (every file) is never one


def test_quiet_and_verbose(tmp_path: Path) -> None:
    root = _tree(tmp_path, CLEAN)
    quiet = _check(root, "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    verbose = _check(root, "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stderr.splitlines() == [
        "bumper: considered apps/values.yaml",
        "bumper: considered apps/web.yaml",
        "bumper: considered apps/whole.yaml",
        "bumper: considered charts/c/Chart.yaml",
        "bumper: considered charts/c/templates/d.yaml",
        "bumper: considered docs/notes.yaml",
        "bumper: ignored charts/c/templates/d.yaml: helm-template",
        "bumper: no problems in 6 file(s)",
    ]


def test_every_problem_is_one_file_line(tmp_path: Path) -> None:
    broken = {
        **CLEAN,
        ".bumper.yaml": b"version: 1\nrules:\n  - paths: [legacy]\n    hold: sometimes\n",
        "apps/values.yaml": b'app:\n  tag: v1.0.0\n  other: x # {"$bumper": "ghcr.io/acme/app"}\n',
        "apps/typo.yaml": b'x: 1 # {"$bumper": ghcr.io/acme/app}\n',
        "apps/broken.yaml": b"spec:\n  image: ghcr.io/acme/app:v1\n   bad: indent\n",
        "apps/latin1.yaml": b"image: ghcr.io/acme/app:v1\n# caf\xe9\n",
    }
    out = _check(_tree(tmp_path, broken))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert all(re.match(r"^[^:\s]+:\d+: \S", line) for line in lines)
    assert lines == [
        ".bumper.yaml:4: rules[0].hold: 'sometimes' is not of type 'boolean'; see docs/policy.md",
        "apps/broken.yaml:3: mentions an image but does not parse: cannot parse YAML: "
        "mapping values are not allowed in this context",
        "apps/latin1.yaml:2: mentions an image but is not UTF-8 text",
        "apps/typo.yaml:1: malformed $bumper marker (bumper and Flux read only this JSON at the line's end); "
        'write # {"$bumper": "ghcr.io/acme/app"}',
        "apps/values.yaml:3: $bumper marker 'ghcr.io/acme/app' resolves to no image: "
        "the value on this line is no reference of ghcr.io/acme/app",
    ]
    assert out.stderr == "bumper: 5 problem(s) in 9 file(s)\n"


def test_json_output(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**CLEAN, "apps/typo.yaml": b'x: 1 # {"$bumper": "ghcr.io/acme/app"}\n'})
    out = _check(root, "--output", "json")
    assert out.returncode == 1
    assert json.loads(out.stdout) == {
        "problems": [
            {
                "file": "apps/typo.yaml",
                "line": 1,
                "problem": "$bumper marker 'ghcr.io/acme/app' resolves to no image: "
                "the value on this line is no reference of ghcr.io/acme/app",
            }
        ]
    }


def test_pre_commit_manifest_is_valid_and_its_entry_runs_in_the_repository(tmp_path: Path) -> None:
    manifest = ROOT / ".pre-commit-hooks.yaml"
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    [hook] = yaml.safe_load(manifest.read_text())
    assert hook["id"] == "bumper-check" and hook["pass_filenames"] is False
    for name in (".bumper.yaml", "apps/web.yaml", "a/b.yml", "overlays/Kustomization"):
        assert re.search(hook["files"], name), name
    assert not re.search(hook["files"], "README.md")
    # pre-commit runs the entry at the repository root, with no file names
    program, *args = shlex.split(hook["entry"])
    assert program == "bumper"
    root = _tree(tmp_path, {**CLEAN, "apps/bad.yaml": b"image: [\n"})
    out = _check(root, *args[1:], cwd=root)
    assert out.returncode == 1 and out.stdout.startswith(
        "apps/bad.yaml:2: mentions an image but does not parse"
    )


@pytest.mark.parametrize("name", [".bumper.yml"])
def test_misnamed_policy_is_a_problem(tmp_path: Path, name: str) -> None:
    files = {k: v for k, v in CLEAN.items() if k != ".bumper.yaml"}
    root = _tree(tmp_path, {**files, name: CLEAN[".bumper.yaml"]})
    out = _check(root)
    assert out.returncode == 1
    assert out.stdout == ".bumper.yml: found .bumper.yml; bumper reads only .bumper.yaml: rename it\n"


def test_flux_marker_naming_no_image_policy(tmp_path: Path) -> None:
    marked = b'spec:\n  image: ghcr.io/acme/app:v1 # {"$imagepolicy": "flux-system:app"}\n'
    out = _check(_tree(tmp_path, {**CLEAN, "apps/flux.yaml": marked}))
    assert out.returncode == 1
    [line] = out.stdout.splitlines()
    assert line.startswith("apps/flux.yaml:2: $imagepolicy marker 'flux-system:app' resolves to no image: ")


def test_a_marked_placeholder_is_no_problem(tmp_path: Path) -> None:
    """A `$bumper` marker on a placeholder tag (`changeme`, `${TAG}`, chartpress's), whole or
    `:tag`, as a file or in an Argo CD Application's helm.values block: the marker's scalar,
    filled in by another tool; `scan` lists it `placeholder`, `check` says nothing (each was
    'resolves to no image: the value on this line is no reference', exit 1). A marker on no
    image at all still is a problem."""
    values = (
        b'web:\n  image: ghcr.io/acme/app:set-by-chartpress # {"$bumper": "ghcr.io/acme/app"}\n'
        b'api:\n  tag: changeme # {"$bumper": "ghcr.io/acme/app:tag"}\n'
        b'jobs:\n  tag: ${TAG} # {"$bumper": "ghcr.io/acme/app:tag"}\n'
    )
    app = (
        b"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n"
        b"  source:\n    helm:\n      values: |\n        p:\n"
        b'          image: ghcr.io/acme/app:changeme # {"$bumper": "ghcr.io/acme/app"}\n'
    )
    root = _tree(tmp_path, {"values.yaml": values.replace(b"\n", b"\r\n"), "app.yaml": app})
    out = _check(root)
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "bumper: no problems in 2 file(s)\n")
    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    ignored = json.loads(scan.stdout)["ignored"]
    assert [(i["file"], i["line"], i["reason"]) for i in ignored] == [
        ("app.yaml", 10, "placeholder"),
        *[("values.yaml", line, "placeholder") for line in (2, 4, 6)],
    ]
    assert json.loads(scan.stdout)["unresolved"] == []
    (root / "other.yaml").write_bytes(b'x: ghcr.io/acme/other:v1 # {"$bumper": "ghcr.io/acme/app"}\n')
    out = _check(root)
    assert out.returncode == 1
    assert out.stdout.startswith("other.yaml:1: $bumper marker 'ghcr.io/acme/app' resolves to no image")


def test_an_anchor_defined_again_is_no_problem(tmp_path: Path) -> None:
    """YAML (and Go's YAML, which kubectl, Helm and Flux read with) lets a document define an
    anchor again; billimek/k8s-gitops's plex HelmRelease defines `&port` twice. It parses."""
    text = (
        b"spec:\n  values:\n    image:\n      repository: ghcr.io/acme/app\n      tag: v1.0.0\n"
        b"    route:\n      port: &port 32400\n      other: *port\n"
        b"    service:\n      port: &port 32400\n      gateway: *port\n"
    )
    out = _check(_tree(tmp_path, {"plex.yaml": text}))
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "bumper: no problems in 1 file(s)\n")


def test_two_objects_run_together_say_where_the_separator_is_missing(tmp_path: Path) -> None:
    """kubevirt/hyperconverged-cluster-operator@03da3cff deploy/nightly-bundle/
    kubevirt-testing-infra.yaml: a DaemonSet follows a Deployment with no `---` line, so the top
    level says `apiVersion` twice. "remove one of them" sent a reader to delete a line of a valid
    object; the line names the missing separator (check and bump alike), and a key repeated
    inside an object keeps the old advice."""
    text = (
        b"---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        b"        - image: kubevirt/cdi-http-import-server:latest\n"
        b"apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n"
        b"        - image: kubevirt/disks-images-provider:latest\n"
    )
    nested = b"spec:\n  containers:\n    - image: ghcr.io/acme/app:v1\n      image: ghcr.io/acme/app:v2\n"
    root = _tree(tmp_path, {"infra.yaml": text, "nested.yaml": nested})
    out = _check(root)
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        "infra.yaml:9: mentions an image but does not parse: duplicate key 'apiVersion' at the top"
        " level: another object starts here with no '---' line before it; add that line (or remove"
        " one of the keys)",
        "nested.yaml:4: mentions an image but does not parse: duplicate key 'image'; remove one of them",
    ]
    bump = forkserver.run(["bump", "kubevirt/disks-images-provider:v1.0.0", "--dir", str(root)])
    assert bump.returncode == 1
    assert bump.stderr.startswith(
        "bumper: error: infra.yaml:9: duplicate key 'apiVersion' at the top level"
    ), bump.stderr
    assert (root / "infra.yaml").read_bytes() == text


def test_a_character_no_token_starts_with_is_named_with_what_to_do(tmp_path: Path) -> None:
    """The C parser says "found character that cannot start any token" and not which: kubevirt/
    hyperconverged-cluster-operator@03da3cff deploy/nightly-bundle/kubevirt-test-pod.yaml has
    `image: @OPERATOR_IMAGE_URL@` (a sed placeholder); a tab indenting a line says the same."""
    files = {
        "pod.yaml": b"spec:\n  containers:\n    - name: test-runner\n      image: @OPERATOR_IMAGE_URL@\n",
        "tabbed.yaml": b"spec:\n  containers:\n\t- image: ghcr.io/acme/app:v1\n",
        "bom.yaml": b"\xef\xbb\xbfspec:\n  image: `ghcr.io/acme/app:v1`\n",
    }
    out = _check(_tree(tmp_path, files))
    assert out.returncode == 1, out.stderr
    prefix = "mentions an image but does not parse: cannot parse YAML: found character"
    assert out.stdout.splitlines() == [
        f"bom.yaml:2: {prefix} '`' that cannot start any token; '`' is reserved in YAML: quote the value",
        f"pod.yaml:4: {prefix} '@' that cannot start any token; '@' is reserved in YAML: quote the value",
        f"tabbed.yaml:3: {prefix} '\\t' (a tab) that cannot start any token; YAML indents with spaces,"
        " not tabs",
    ]


def test_an_ambiguous_map_is_a_problem_with_what_to_do(tmp_path: Path) -> None:
    """A Helm map saying its tag key twice but for case is left alone by every bump: check names
    it (file:line of the tag, both keys, `keep one`) and exits 1, also with CRLF line ends, in flow
    style, and in an Argo CD `helm.values` block (the file's own line); a kustomize entry whose
    `newName` holds a tag beside `newTag` too. A map whose keys differ as pairs (`Image` +
    `ImageTag` beside `image` + `imageTag`) is two images: no problem."""
    sha = "a" * 64
    files = {
        "apps/values.yaml": (
            b"web:\r\n  image: ghcr.io/acme/web\r\n  imageTag: v1.0.0\r\n  ImageTag: v1.0.1\r\n"
        ),
        "apps/flow.yaml": b"api: {repository: ghcr.io/acme/api, tag: v2, Tag: v3}\n",
        "apps/two.yaml": (
            b"x:\n  image: ghcr.io/acme/a\n  imageTag: v1\n  Image: ghcr.io/acme/b\n  ImageTag: v2\n"
        ),
        "apps/app.yaml": (
            b"apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n"
            b"      values: |\n        job:\n          repository: ghcr.io/acme/job\n"
            b"          tag: v4\n          Tag: v5\n"
        ),
        "apps/kustomization.yaml": (
            b"images:\n  - name: ghcr.io/acme/k\n    newName: ghcr.io/acme/k:v1\n"
            b"    digest: sha256:" + sha.encode() + b"\n"
        ),
    }
    out = _check(_tree(tmp_path, files))
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        "apps/app.yaml:9: 'v4' is left alone by every bump: ambiguous: the map says `tag` and `Tag`, "
        "one key but for case; which one the chart reads is not for bumper to guess; keep one",
        "apps/flow.yaml:1: 'v2' is left alone by every bump: ambiguous: the map says `tag` and `Tag`, "
        "one key but for case; which one the chart reads is not for bumper to guess; keep one",
        "apps/kustomization.yaml:3: 'ghcr.io/acme/k:v1' is left alone by every bump: ambiguous: newName "
        "carries a tag or digest and newTag/digest are set too; keep one",
        "apps/values.yaml:3: 'v1.0.0' is left alone by every bump: ambiguous: the map says `imageTag` and "
        "`ImageTag`, one key but for case; which one the chart reads is not for bumper to guess; keep one",
    ]
    assert out.stderr == "bumper: 4 problem(s) in 5 file(s)\n"
    as_json = json.loads(_check(tmp_path, "--output", "json").stdout)["problems"]
    assert [(p["file"], p["line"]) for p in as_json] == [
        ("apps/app.yaml", 9),
        ("apps/flow.yaml", 1),
        ("apps/kustomization.yaml", 3),
        ("apps/values.yaml", 3),
    ]


def test_a_map_sharing_only_a_digest_with_an_ambiguous_map_is_a_problem(tmp_path: Path) -> None:
    """`digest: *pin` in a map whose own keys are fine, the anchor in an ambiguous map: moving
    that digest moves the ambiguous map's too, so every bump leaves it alone and check says why;
    the ambiguous map is a problem of its own."""
    sha = "a" * 64
    values = (
        f"web:\n  repository: ghcr.io/acme/web\n  tag: v1.0.0\n  Tag: v1.0.1\n  digest: &pin sha256:{sha}\n"
        "api:\n  repository: ghcr.io/acme/api\n  tag: v1.0.0\n  digest: *pin\n"
    )
    out = _check(_tree(tmp_path, {"values.yaml": values.encode()}))
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        "values.yaml:3: 'v1.0.0' is left alone by every bump: ambiguous: the map says `tag` and `Tag`, "
        "one key but for case; which one the chart reads is not for bumper to guess; keep one",
        f"values.yaml:8: 'ghcr.io/acme/api:v1.0.0@sha256:{sha}' is left alone by every bump: ambiguous: "
        "the value is also the `digest` of another map, where the map says `tag` and `Tag`, one key but "
        "for case: moving it moves that map too; write this image's `digest` apart to move it",
    ]

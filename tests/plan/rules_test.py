""".bumper.yaml: schema, line numbers, first matching rule, CLI precedence, hold markers (--dir)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from bumper.plan.rules import SCHEMA_PATH, PolicyFileError, RunRules, held_lines, parse_policy
from bumper.providers.api import PullRequestSpec
from testing import forkserver

CONTRACT_EXAMPLE = b"""\
version: 1
rules:                          # for each reference, the first rule whose paths/images match
  - paths: ["apps/staging/**"]  # globs relative to the root (same syntax as --path)
    images: ["ghcr.io/acme/*"]  # optional: globs on registry/repository
    mode: commit                # commit: push straight to the base; pr (default): bot branch + PR
  - paths: ["apps/prod/**"]
    allow: '^v\\d+\\.\\d+\\.\\d+$'   # only tags matching this regex; others skipped, reason "policy"
    labels: [production]        # also reviewers, assignees, draft, automerge
  - paths: ["legacy/**"]
    hold: true                  # never bumped, reason "held"
"""


def test_published_schema_is_valid_and_accepts_the_contract_example() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load(CONTRACT_EXAMPLE))


def test_contract_example_rules() -> None:
    policy = parse_policy(CONTRACT_EXAMPLE)
    staging, prod, legacy = policy.rules
    assert (staging.line, prod.line, legacy.line) == (3, 6, 9)
    assert policy.rule_for("apps/staging/web.yaml", "ghcr.io/acme/app") is staging
    assert policy.rule_for("apps/staging/web.yaml", "docker.io/library/nginx") is None
    assert policy.rule_for("apps/prod/web.yaml", "docker.io/library/nginx") is prod
    assert policy.rule_for("legacy/a/b.yaml", "ghcr.io/acme/app") is legacy
    assert prod.labels == ("production",) and legacy.hold and staging.mode == "commit"


def test_first_matching_rule_wins() -> None:
    policy = parse_policy(
        b"version: 1\nrules:\n  - paths: [prod]\n    hold: true\n  - paths: ['**']\n    mode: commit\n"
    )
    assert policy.rule_for("clusters/prod/a.yaml", "ghcr.io/acme/app").hold
    assert policy.rule_for("clusters/staging/a.yaml", "ghcr.io/acme/app").mode == "commit"


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("nginx", "docker.io/library/nginx", "docker.io/bitnami/nginx"),
        ("bitnami/*", "docker.io/bitnami/redis", "docker.io/library/redis"),
        ("ghcr.io/acme/*", "ghcr.io/acme/app", "ghcr.io/other/app"),
        ("ghcr.io/acme", "ghcr.io/acme/team/app", "ghcr.io/acme-labs/app"),
        ("*/acme/app", "quay.io/acme/app", "quay.io/acme/api"),
        # Docker Hub's OCI charts, keyed `oci://registry-1.docker.io/...` however a file spells them
        (
            "oci://docker.io/bitnamicharts/*",
            "oci://registry-1.docker.io/bitnamicharts/redis",
            "oci://ghcr.io/a/b",
        ),
        (
            "oci://registry-1.docker.io/bitnamicharts/redis",
            "oci://registry-1.docker.io/bitnamicharts/redis",
            "x",
        ),
    ],
)
def test_image_patterns(pattern: str, matches: str, misses: str) -> None:
    [rule] = parse_policy(f"version: 1\nrules:\n  - images: ['{pattern}']\n".encode()).rules
    assert rule.matches("any.yaml", matches)
    assert not rule.matches("any.yaml", misses)


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("GHCR.IO/acme/app", "ghcr.io/acme/app"),  # a host is any case, as in a REF
        ("ghcr.io/acme/app/", "ghcr.io/acme/app"),  # a trailing / still names the image
        ("HTTPS://Charts.Acme.io/app", "https://charts.acme.io/app"),
        ("localhost:5000/app", "localhost:5000/app"),  # a port is no tag
    ],
)
def test_image_patterns_read_as_a_ref_is(pattern: str, matches: str) -> None:
    """`hold: true` on these held nothing: the rule never matched, and the bump went on."""
    [rule] = parse_policy(f"version: 1\nrules:\n  - images: ['{pattern}']\n    hold: true\n".encode()).rules
    assert rule.matches("any.yaml", matches)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("ghcr.io/acme/app:1.4.0", "a tag (':1.4.0')"),
        ("ghcr.io/acme/app:*", "a tag (':*')"),
        ("nginx:1.27", "a tag (':1.27')"),
        ("ghcr.io/acme/app@sha256:abc", "a digest ('@sha256:abc')"),
        ("oci://ghcr.io/acme/charts/app:1.2.3", "a tag (':1.2.3')"),
        ("ghcr.io/Acme/App", "upper case"),
    ],
)
def test_an_image_pattern_that_can_match_no_image_names_the_file_and_line(pattern: str, message: str) -> None:
    """A hold (or any rule) on `ghcr.io/acme/app:1.4.0` matched nothing and held nothing, in
    silence: patterns match registry/repository, never a version, and repositories are lower case."""
    text = f"version: 1\nrules:\n  - paths: [prod]\n    images: ['{pattern}']\n    hold: true\n"
    with pytest.raises(PolicyFileError) as info:
        parse_policy(text.encode())
    assert info.value.exit_code == 2
    assert str(info.value).startswith(".bumper.yaml:4: rules[0].images entry "), str(info.value)
    assert message in str(info.value) and "matches no image" in str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rules: []\n", 1, "'version' is a required property"),
        ("version: 2\n", 1, "2 is not a supported version"),
        ("version: 1\nrules:\n  - paths: [a]\n    mdoe: commit\n", 4, "unknown key 'mdoe'"),
        ("version: 1\nrules:\n  - paths: [a]\n    mode: comit\n", 4, "rules[0].mode: 'comit' is not one of"),
        ("version: 1\nrules:\n  - paths: a\n", 3, "rules[0].paths: 'a' is not of type 'array'"),
        (
            "version: 1\nrules:\n  - hold: yes please\n",
            3,
            "rules[0].hold: 'yes please' is not of type 'boolean'",
        ),
        ("version: 1\nrules:\n  - {}\n  - allow: '[a'\n", 4, "rules[1].allow: invalid regular expression"),
        ("version: 1\nrules:\n  - paths: ['../x']\n", 3, "'..' would leave the tree"),
        ("version: 1\nrules:\n  - paths: [a\n", 4, "cannot parse YAML"),
        ("version: 1\nversion: 1\n", 2, "duplicate key"),
        ("version: 1\nrules:\n  - &r {hold: true}\n  - *r\n", 3, "anchors and aliases are not supported"),
        ("version: 1\n---\nversion: 1\n", 1, "exactly one YAML document"),
        ("", 1, "exactly one YAML document"),
        ('version: 1\nrules:\n  - labels: ["a\\nb"]\n', 3, "rules[0].labels[0]"),
    ],
)
def test_malformed_policy_names_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(PolicyFileError) as info:
        parse_policy(text.encode())
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f".bumper.yaml:{line}: "), str(info.value)
    assert message in str(info.value)


RULES = b"""\
version: 1
rules:
  - paths: [staging]
    mode: commit
  - paths: [prod]
    mode: pr
    allow: '^v\\d+\\.\\d+\\.\\d+$'
    labels: [production]
    reviewers: [alice]
    automerge: false
  - paths: [legacy]
    hold: true
  - paths: [preview]
    draft: true
    labels: [preview]
"""


@pytest.mark.parametrize(
    ("path", "cli_mode", "mode"),
    [
        ("staging/a.yaml", None, "commit"),  # the rule sets it
        ("staging/a.yaml", "pr", "pr"),  # the CLI narrows commit to pr
        ("prod/a.yaml", "commit", "pr"),  # ...never widens pr to commit
        ("other/a.yaml", "commit", "commit"),  # no rule sets a mode: the CLI's choice
        ("other/a.yaml", None, "pr"),  # default
    ],
)
def test_mode_precedence(path: str, cli_mode: str | None, mode: str) -> None:
    rules = RunRules(parse_policy(RULES), cli_mode)
    assert rules.judge(path, "ghcr.io/acme/app", "v2.0.0", held=False).mode == mode


def test_allow_and_hold() -> None:
    rules = RunRules(parse_policy(RULES))
    assert rules.judge("prod/a.yaml", "ghcr.io/acme/app", "v2.0.0", held=False).skip is None
    assert rules.judge("prod/a.yaml", "ghcr.io/acme/app", "latest", held=False).skip == "policy"
    assert rules.judge("prod/a.yaml", "ghcr.io/acme/app", None, held=False).skip == "policy"
    assert rules.judge("legacy/a.yaml", "ghcr.io/acme/app", "v2.0.0", held=False).skip == "held"
    assert rules.judge("other/a.yaml", "ghcr.io/acme/app", "v2.0.0", held=True).skip == "held"


def test_pull_request_settings_add_up_and_policy_stands() -> None:
    rules = RunRules(parse_policy(RULES))
    prod = rules.judge("prod/a.yaml", "k", "v1.0.0", held=False).rule
    preview = rules.judge("preview/a.yaml", "k", "v1.0.0", held=False).rule
    cli = PullRequestSpec("b", "main", "t", "", labels=("deps",), reviewers=("bob",), automerge=True)
    settings = rules.pull_request([prod, preview, None], cli)
    assert settings.labels == ("deps", "production", "preview")
    assert settings.reviewers == ("bob", "alice")
    assert settings.draft is True  # a rule's draft: true stands
    assert settings.automerge is False  # prod forbids it, whatever --automerge says
    assert rules.pull_request([preview, None], cli).automerge is True
    assert rules.pull_request([None], replace(cli, automerge=False)).automerge is False


def test_held_lines() -> None:
    text = "a: x # bumper: hold\nb: y #bumper:hold\r\nc: z # bumper: hold this\nd: '# bumper: hold'\n"
    assert held_lines(text) == {1, 2}


# -- through the CLI on a local tree ----------------------------------------------------------

TREE = {
    "apps/staging/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/prod/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "legacy/web.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "apps/dev/web.yaml": b"a: ghcr.io/acme/app:v1.0.0\nimage: ghcr.io/acme/app:v3.0.0 # bumper: hold\n"
    b"sidecar:\n  image: ghcr.io/acme/app:v3.0.0\n",
}


def _tree(root: Path, policy: bytes | None = CONTRACT_EXAMPLE) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    if policy is not None:
        (root / ".bumper.yaml").write_bytes(policy)
    return root


def _bump(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return forkserver.run(["bump", *args, "--dir", str(root), "--output", "json"])


def _reasons(result: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {f"{s['file']}:{s['line']}": s["reason"] for s in result["skipped"]}


def test_allow_rejects_a_tag_and_hold_keeps_legacy(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    out = _bump(root, "ghcr.io/acme/app:v2.0.0-rc.1")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert sorted(c["file"] for c in result["changes"]) == ["apps/staging/web.yaml"]
    assert _reasons(result) == {
        "apps/prod/web.yaml:1": "policy",
        "legacy/web.yaml:1": "held",
        "apps/dev/web.yaml:2": "held",  # the marker; the line below it is bumped
        "apps/dev/web.yaml:4": "downgrade",
    }
    assert (root / "apps/prod/web.yaml").read_bytes() == TREE["apps/prod/web.yaml"]
    assert (root / "legacy/web.yaml").read_bytes() == TREE["legacy/web.yaml"]


def test_allow_downgrade_lifts_no_hold(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    out = _bump(root, "ghcr.io/acme/app:v0.9.0", "--allow-downgrade")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert sorted(c["file"] for c in result["changes"]) == [
        "apps/dev/web.yaml",
        "apps/prod/web.yaml",
        "apps/staging/web.yaml",
    ]
    assert _reasons(result) == {"legacy/web.yaml:1": "held", "apps/dev/web.yaml:2": "held"}
    assert (root / "apps/dev/web.yaml").read_bytes() == TREE["apps/dev/web.yaml"].replace(
        b"  image: ghcr.io/acme/app:v3.0.0", b"  image: ghcr.io/acme/app:v0.9.0"
    )


def test_hold_marker_works_without_a_policy_file(tmp_path: Path) -> None:
    root = _tree(tmp_path, policy=None)
    out = _bump(root, "ghcr.io/acme/app:v4.0.0")
    assert out.returncode == 0, out.stderr
    assert _reasons(json.loads(out.stdout)) == {"apps/dev/web.yaml:2": "held"}


def test_malformed_policy_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    root = _tree(tmp_path, policy=b"version: 1\nrules:\n  - paths: [apps]\n    mode: direct\n")
    out = _bump(root, "ghcr.io/acme/app:v2.0.0")
    assert out.returncode == 2
    assert out.stderr.startswith("bumper: error: .bumper.yaml:4: rules[0].mode: 'direct' is not one of")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    for rel, data in TREE.items():
        assert (root / rel).read_bytes() == data


def test_misnamed_policy_is_not_silently_ignored(tmp_path: Path) -> None:
    root = _tree(tmp_path, policy=None)
    (root / ".bumper.yml").write_bytes(CONTRACT_EXAMPLE)
    out = _bump(root, "ghcr.io/acme/app:v2.0.0")
    assert out.returncode == 2
    assert "found .bumper.yml; bumper reads only .bumper.yaml" in out.stderr

"""Check every request the GitHub provider sends against GitHub's own OpenAPI description.

The fake GitHub accepts what we taught it; this keeps the fake (and PyGithub's payloads) honest.
The description comes from the npm package @octokit/openapi (package.json); without
node_modules this file is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from bumper.errors import ProviderError
from bumper.providers.api import ApiCommit, FileChange, PullRequestSpec
from bumper.providers.github import GitHubProvider
from testing import repos
from testing.fake_github import FakeGitHub
from testing.fake_provider import AfterApply, RecordedRequest

SPEC_FILE = (
    Path(__file__).resolve().parents[1] / "node_modules/@octokit/openapi/generated/api.github.com.json"
)
if not SPEC_FILE.is_file():
    pytest.skip(
        f"GitHub OpenAPI description not installed ({SPEC_FILE.relative_to(SPEC_FILE.parents[4])}); "
        "run `npm ci` to validate provider requests against it",
        allow_module_level=True,
    )

HEAD, BASE = "bumper/ghcr.io-acme-app", "main"


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _resolve(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """Inline local $refs and turn OpenAPI 3.0 `nullable` into JSON Schema, for jsonschema."""
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [_resolve(x, root, depth + 1) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(target, root, depth + 1)
    out = {k: _resolve(v, root, depth + 1) for k, v in node.items()}
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _pattern(template: str, root: dict[str, Any], group: bool = False) -> str:
    """A regex for a path template; a parameter marked `x-multi-segment` (a git ref such as
    `heads/bumper/app`) may span slashes, as GitHub's description says."""
    multi = set()
    for op in root["paths"][template].values():
        for p in op.get("parameters", []) if isinstance(op, dict) else []:
            param_spec = _resolve(p, root)
            if param_spec.get("x-multi-segment"):
                multi.add(param_spec["name"])

    def param(m: re.Match[str]) -> str:
        body = ".+" if m[1] in multi else "[^/]+"
        return f"({body})" if group else body

    return "^" + re.sub(r"\\\{([^}]+)\\\}", param, re.escape(template)) + "$"


def _operation(openapi: dict[str, Any], req: RecordedRequest) -> tuple[str, dict[str, Any]]:
    """The path template and operation matching a recorded request (most literal match wins)."""
    path = req.path.removeprefix("/api/v3")
    candidates = []
    for template, item in openapi["paths"].items():
        pattern = _pattern(template, openapi)
        if re.match(pattern, path) and req.method.lower() in item:
            candidates.append((template.count("{"), template, item[req.method.lower()]))
    assert candidates, f"{req.method} {path} is not a GitHub REST operation"
    _, template, op = min(candidates, key=lambda c: c[0])
    return template, op


def validate(openapi: dict[str, Any], req: RecordedRequest) -> str:
    """Assert that `req` is a valid call of the operation it targets; return 'METHOD template'."""
    template, op = _operation(openapi, req)
    params = [_resolve(p, openapi) for p in op.get("parameters", [])]
    allowed_query = {p["name"] for p in params if p["in"] == "query"}
    assert set(req.query) <= allowed_query, (template, set(req.query) - allowed_query)
    path_values = _path_values(template, openapi, req.path.removeprefix("/api/v3"))
    for p in params:
        if p["in"] == "path" and p.get("schema", {}).get("type") == "integer":
            assert path_values[p["name"]].isdigit(), (template, p["name"])
    body_spec = op.get("requestBody")
    if req.body is None:
        assert not (body_spec or {}).get("required"), f"{template}: body required"
        return f"{req.method} {template}"
    assert body_spec, f"{req.method} {template} takes no body"
    schema = _resolve(body_spec["content"]["application/json"]["schema"], openapi)
    errors = list(Draft7Validator(schema).iter_errors(req.body))
    if errors and template.endswith("/issues/{issue_number}/labels") and isinstance(req.body, list):
        # PyGithub's add_to_labels posts a bare array. The description only lists the
        # {"labels": [...]} form, but its own text says "You can also pass an array of labels
        # directly", and GitHub accepts it: validate the array in its documented wrapper.
        errors = list(Draft7Validator(schema).iter_errors({"labels": req.body}))
    assert not errors, f"{req.method} {template}: {errors[0].message}"
    return f"{req.method} {template}"


def _path_values(template: str, root: dict[str, Any], path: str) -> dict[str, str]:
    names = re.findall(r"\{([^}]+)\}", template)
    match = re.match(_pattern(template, root, group=True), path)
    assert match and len(match.groups()) == len(names)
    return dict(zip(names, match.groups(), strict=True))


def run_every_github_call(server: FakeGitHub, bare: Path) -> None:
    """Drive the provider through every path it has: find, open with all extras, update, the
    "already exists" path (additive labels/assignees), a lost create response, and commits
    through the API (new branch, reset, a failed commit whose branch is removed again)."""
    provider = GitHubProvider(server.settings("acme/manifests"))
    server.serve_git_repo("acme/manifests", bare)
    base = repos.branch_sha(bare, "main")
    assert base is not None
    change = (FileChange("app.yaml", b"image: app:v2\n"),)
    commit = ApiCommit(HEAD, base, None, "Bump\n\nBumper-Branch: x", ("a", "a@b.c"), change)
    first = provider.commit_through_api(commit)
    provider.commit_through_api(replace(commit, expected=first))  # reset (repository id looked up)
    with pytest.raises(ProviderError):
        provider.commit_through_api(replace(commit, branch="bumper/gone", files=(FileChange("nope", None),)))
    assert provider.find_pull_request(HEAD, BASE) is None
    full = PullRequestSpec(
        HEAD,
        BASE,
        "Bump app",
        "body",
        labels=("deps", "bumper"),
        reviewers=("alice", "acme/sre"),
        assignees=("bob",),
        draft=True,
    )
    pr = provider.open_pull_request(full)
    provider.update_pull_request(pr, "Bump app again", "body 2")
    provider.open_pull_request(full)  # exists: 422, find, PATCH, add labels/assignees, reviews
    server.inject(AfterApply("reset"), method="POST", path=r"/pulls$")
    provider.open_pull_request(PullRequestSpec("bumper/other", BASE, "t", "b", labels=("x",), automerge=True))
    assert pr.warnings == ()


def test_every_recorded_request_matches_the_openapi_description(
    openapi: dict[str, Any], fake_github: FakeGitHub, tmp_path: Path
) -> None:
    run_every_github_call(
        fake_github, repos.make_bare_repo(tmp_path / "m.git", {"app.yaml": b"image: app:v1\n"})
    )
    seen = set()
    graphql = []
    for req in fake_github.requests:
        if req.path == "/api/graphql":  # the fake checks each against GitHub's GraphQL schema
            assert req.method == "POST"
            assert set(req.body) == {"query", "variables"}
            graphql.append(re.findall(r"\{\s*(\w+)\(", req.body["query"])[0])
            continue
        seen.add(validate(openapi, req))
    assert fake_github.graphql_violations == []
    assert graphql == [
        "createCommitOnBranch",
        "repository",
        "updateRefs",
        "createCommitOnBranch",
        "createCommitOnBranch",
        "enablePullRequestAutoMerge",
    ]
    assert seen == {
        "POST /repos/{owner}/{repo}/git/refs",
        "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
        "GET /repos/{owner}/{repo}/pulls",
        "POST /repos/{owner}/{repo}/pulls",
        "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/assignees",
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    }


def test_the_validator_catches_a_bad_body(openapi: dict[str, Any]) -> None:
    """Guard against a validator that accepts anything."""
    bad = RecordedRequest("POST", "/api/v3/repos/o/r/pulls", {}, {"draft": "yes"}, {})
    with pytest.raises(AssertionError, match="draft|'yes'"):
        validate(openapi, bad)
    unknown = RecordedRequest("GET", "/api/v3/repos/o/r/pulls", {"colour": ["red"]}, None, {})
    with pytest.raises(AssertionError):
        validate(openapi, unknown)

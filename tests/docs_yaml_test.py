"""Docs that run: every YAML block in README.md and docs/ parses, and each CI example validates.

A GitHub workflow (or a fragment of one: a list of steps, a map of jobs) is checked against the
GitHub workflow schema, a GitLab pipeline against GitLab's CI schema (both as check-jsonschema
vendors them). Fragments are wrapped in the smallest workflow that holds them.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from testing.ci_schemas import load_yaml, schema_errors
from testing.composite_action import ROOT

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>ya?ml)[ \t]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def yaml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in DOCS:
        text = doc.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((f"{doc.relative_to(ROOT)}:{line}", textwrap.dedent(match.group("body"))))
    return blocks


BLOCKS = yaml_blocks()


def kind(document: Any) -> str:
    """github-workflow, github-steps, github-jobs, gitlab-ci, or other (parsed only)."""
    if isinstance(document, dict) and "jobs" in document and "on" in document:
        return "github-workflow"
    if (
        isinstance(document, list)
        and document
        and all(isinstance(step, dict) and ("uses" in step or "run" in step) for step in document)
    ):
        return "github-steps"
    if (
        isinstance(document, dict)
        and document
        and all(isinstance(job, dict) and "runs-on" in job for job in document.values())
    ):
        return "github-jobs"
    if isinstance(document, dict) and (
        "include" in document
        or any(isinstance(job, dict) and ({"script", "extends"} & set(job)) for job in document.values())
    ):
        return "gitlab-ci"
    return "other"


def as_workflow(document: Any, shape: str) -> Any:
    if shape == "github-steps":
        return {"on": "push", "jobs": {"example": {"runs-on": "ubuntu-latest", "steps": document}}}
    if shape == "github-jobs":
        return {"on": "push", "jobs": document}
    return document


def test_the_docs_have_ci_examples_of_each_kind() -> None:
    kinds = {kind(load_yaml(body)) for _, body in BLOCKS}
    assert {"github-workflow", "github-steps", "github-jobs", "gitlab-ci"} <= kinds, kinds


@pytest.mark.parametrize(("where", "body"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_yaml_block_parses_and_validates(where: str, body: str) -> None:
    document = load_yaml(body)
    shape = kind(document)
    if shape.startswith("github"):
        assert schema_errors(as_workflow(document, shape), "github-workflows.json") == [], where
    elif shape == "gitlab-ci":
        assert schema_errors(document, "gitlab-ci.json") == [], where


def test_the_invalid_yaml_the_docs_once_had_is_caught() -> None:
    """`run: echo "bumper: $X"` is a mapping inside a plain scalar: not YAML (the old docs/ci.md)."""
    with pytest.raises(Exception, match="mapping values are not allowed"):
        load_yaml('steps:\n  - run: echo "bumper: $STATUS $PR_URL"\n')


def test_fence_finder_sees_indented_blocks(tmp_path: Path) -> None:
    text = "1. step\n\n   ```yaml\n   a: 1\n   ```\n"
    [match] = FENCE.finditer(text)
    assert load_yaml(textwrap.dedent(match.group("body"))) == {"a": 1}

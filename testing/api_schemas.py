"""Requests a fake host receives, checked against the host's published API description (the
subsets vendored under tests/schemas/, each naming its source and commit)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parents[1] / "tests" / "schemas"


@cache
def document(name: str) -> dict[str, Any]:
    """A vendored description, with every `required` list removed: bumper sends partial
    objects (a PR without its `type`, `id` or `links`), as each host's documentation shows."""
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return _without_required(copy.deepcopy(data))


def _without_required(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("required"), list):  # not a property that is named `required`
            del node["required"]
        for value in node.values():
            _without_required(value)
    elif isinstance(node, list):
        for value in node:
            _without_required(value)
    return node


def _properties(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    """Every property a schema allows, through its `allOf` parts."""
    node = _resolve(doc, ref)
    found: dict[str, Any] = dict(node.get("properties") or {})
    for part in node.get("allOf") or []:
        if "$ref" in part:
            found.update(_properties(doc, part["$ref"]))
        found.update(part.get("properties") or {})
    return found


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for key in ref.removeprefix("#/").split("/"):
        node = node[key]
    return dict(node)


def body_problems(name: str, ref: str, body: Any, extra: tuple[str, ...] = ()) -> list[str]:
    """Why `body` is not a `ref` object of description `name` (fields it does not define, values
    of the wrong type or outside an enum); `extra` names fields documented elsewhere."""
    doc = document(name)
    if not isinstance(body, dict):
        return [f"the body is not a JSON object: {body!r}"]
    allowed = _properties(doc, ref)
    problems = [f"unknown field {key!r}" for key in body if key not in allowed and key not in extra]
    for key, value in body.items():
        if key in allowed:
            schema = {**allowed[key], **{k: v for k, v in doc.items() if k in ("definitions", "components")}}
            validator = jsonschema.Draft4Validator(schema)
            problems += [f"{key}: {e.message}" for e in validator.iter_errors(value)]
    return problems


def query_problems(
    name: str, path: str, method: str, query: dict[str, list[str]], extra: tuple[str, ...] = ()
) -> list[str]:
    """Query parameters the operation does not declare, and values outside a declared enum."""
    doc = document(name)
    item = doc["paths"][path]
    declared = [*(item.get("parameters") or []), *(item[method.lower()].get("parameters") or [])]
    params: dict[str, Any] = {}
    for param in declared:
        param = _resolve(doc, param["$ref"]) if "$ref" in param else param
        if param.get("in") == "query":
            params[param["name"]] = param.get("enum") or (param.get("schema") or {}).get("enum")
    problems = []
    for key, values in query.items():
        if key not in params and key not in extra:
            problems.append(f"undeclared query parameter {key!r}")
        elif params.get(key) and any(v not in params[key] for v in values):
            problems.append(f"{key}={values!r} is not one of {params[key]}")
    return problems

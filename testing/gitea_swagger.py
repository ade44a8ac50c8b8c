"""Requests checked against Gitea's published swagger (tests/schemas/gitea/v1_json.tmpl): the
operation exists, its query parameters are declared, its JSON body matches the schema."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SWAGGER = Path(__file__).resolve().parents[1] / "tests" / "schemas" / "gitea" / "v1_json.tmpl"


@cache
def swagger() -> dict[str, Any]:
    """The description as Gitea serves it at /swagger.v1.json (its two template fields filled)."""
    text = SWAGGER.read_text(encoding="utf-8")
    text = text.replace("{{AppVer | JSEscape | Safe}}", "1.23").replace("{{AppSubUrl | JSEscape | Safe}}", "")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    """(path regex, method, operation) for every operation, fixed segments before templated ones."""
    found = []
    for template, item in swagger()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((pattern, method.upper(), operation))
    return sorted(found, key=lambda row: row[0].pattern.count("[^/]+"))


@cache
def _strict_definitions() -> dict[str, Any]:
    """The definitions with `additionalProperties: false` wherever an object lists its
    properties: a field Gitea does not know is a mistake it would silently ignore."""
    definitions = copy.deepcopy(swagger()["definitions"])

    def tighten(schema: Any) -> None:
        if isinstance(schema, dict):
            if "properties" in schema and "additionalProperties" not in schema:
                schema["additionalProperties"] = False
            for value in schema.values():
                tighten(value)
        elif isinstance(schema, list):
            for value in schema:
                tighten(value)

    tighten(definitions)
    return definitions


def problems(method: str, path: str, query: dict[str, list[str]], body: Any) -> list[str]:
    """What the swagger says is wrong with this request (`path` below /api/v1); [] when none."""
    for pattern, verb, operation in _operations():
        if verb == method and pattern.match(path):
            return _check(operation, query, body)
    return [f"{method} {path}: no such operation in Gitea's API"]


def _check(operation: dict[str, Any], query: dict[str, list[str]], body: Any) -> list[str]:
    import jsonschema

    found: list[str] = []
    params = operation.get("parameters") or []
    declared = {p["name"]: p for p in params if p.get("in") == "query"}
    for name, values in query.items():
        spec = declared.get(name)
        if spec is None:
            found.append(f"query parameter {name!r} is not declared")
            continue
        for value in values:
            if spec.get("type") == "integer" and not re.fullmatch(r"-?[0-9]+", value):
                found.append(f"query parameter {name!r}={value!r} is not an integer")
            if "enum" in spec and value not in spec["enum"]:
                found.append(f"query parameter {name!r}={value!r} is not one of {spec['enum']}")
    schema = next((p["schema"] for p in params if p.get("in") == "body"), None)
    if schema is None:
        if body is not None:
            found.append("the operation takes no body")
        return found
    document = {**schema, "definitions": _strict_definitions()}
    validator = jsonschema.Draft4Validator(document)
    found += [f"body {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    return found

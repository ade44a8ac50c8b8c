"""Validate GraphQL requests against GitHub's published schema (npm `@octokit/graphql-schema`).

The fake GitHub runs every GraphQL request it receives through `problems()`, as REST requests
are checked against the OpenAPI description, so a query GitHub would reject fails the test.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "node_modules/@octokit/graphql-schema/schema.graphql"
_LOCK = threading.Lock()


def available() -> bool:
    try:
        import graphql  # noqa: F401
    except ImportError:
        return False
    return SCHEMA_FILE.is_file()


@lru_cache(maxsize=1)
def _schema() -> Any:
    import graphql

    # GitHub's SDL defines two fields twice and deprecates interface fields inconsistently;
    # graphql-core refuses such a schema, though neither matters for checking a request.
    schema = graphql.build_schema(SCHEMA_FILE.read_text(encoding="utf-8"), assume_valid_sdl=True)
    schema._validation_errors = []  # type: ignore[attr-defined]
    return schema


def problems(query: str, variables: dict[str, Any] | None) -> list[str]:
    """What GitHub would reject in this request: syntax, unknown fields or types, wrong
    argument or variable types, and variable values that do not fit their declared types."""
    import graphql
    from graphql.execution.values import get_variable_values

    with _LOCK:  # build once, also when two server threads ask together
        schema = _schema()
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError as exc:
        return [f"syntax: {exc.message}"]
    errors = [e.message for e in graphql.validate(schema, document)]
    if errors:
        return errors
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if len(operations) != 1:
        return ["send exactly one operation per request"]
    coerced = get_variable_values(schema, operations[0].variable_definitions or [], variables or {})
    return [e.message for e in coerced] if isinstance(coerced, list) else []

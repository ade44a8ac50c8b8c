"""CI files against their JSON schemas (vendored by check-jsonschema), read as CI services read YAML."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans (only true/false): GitHub reads `on:` as a key, not as True."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Yaml12Loader))  # noqa: S506 - a SafeLoader subclass


@cache
def vendored_schema(name: str) -> dict[str, Any]:
    """`github-workflows.json`, `github-actions.json` or `gitlab-ci.json` as check-jsonschema ships it."""
    from check_jsonschema import builtin_schemas

    return json.loads((Path(builtin_schemas.__file__).parent / "vendor" / name).read_text())


def schema_errors(document: Any, name: str) -> list[str]:
    """Every violation of the vendored schema `name`, as `[path]: message` lines."""
    import jsonschema

    validator = jsonschema.Draft7Validator(vendored_schema(name))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]

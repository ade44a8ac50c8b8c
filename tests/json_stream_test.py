"""`json_stream.write_object` writes exactly what `json.dumps(indent=2)` writes for the same object."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bumper.json_stream import write_object

PAYLOADS: list[dict[str, list[Any]]] = [
    {},
    {"images": []},
    {"images": [], "ignored": [], "unresolved": []},
    {"images": [{"file": "a.yaml", "line": 1, "tag": None, "digest": None}], "ignored": []},
    {
        "images": [
            {"value": 'quote " back\\slash\nnew\r\nline\ttab', "nested": {"a": [1, {"b": []}], "e": {}}},
            {"unicode": "é ü 漢 \u2028 \U0001f600", "bom": "\ufeff", "n": 1.5, "t": True, "f": False},
        ],
        "ignored": [{"file": "t.yaml", "line": None, "why": "template"}, "a string", 3, None, [], {}],
        "unresolved": [[1, [2, [3]]]],
    },
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_streamed_object_is_byte_identical_to_json_dumps(payload: dict[str, list[Any]]) -> None:
    out = io.StringIO()
    write_object(out, [(key, iter(items)) for key, items in payload.items()])
    assert out.getvalue() == json.dumps(payload, indent=2)

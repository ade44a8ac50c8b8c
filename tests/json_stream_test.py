"""`json_stream.JsonObjectStream` writes exactly what `json.dumps(indent=2)` writes for the same
object, and a stream ended by a failure is still one valid object."""

from __future__ import annotations

import io
import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from bumper.json_stream import JsonObjectStream

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
    {"images": [{"file": f"apps/{n:05d}.yaml", "value": "x" * 300} for n in range(1000)]},  # many chunks
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_streamed_object_is_byte_identical_to_json_dumps(payload: dict[str, list[Any]]) -> None:
    out = io.StringIO()
    stream = JsonObjectStream(out)
    for key, items in payload.items():
        stream.write_list(key, iter(items))
    stream.close()
    assert out.getvalue() == json.dumps(payload, indent=2) + "\n"


FAILURE = {"status": "failed", "exit_code": 130, "error": {"kind": "interrupted", "message": "x"}}


def _stopped_after(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {"file": f"{n}.yaml", "value": "y" * 200}
    raise KeyboardInterrupt


@pytest.mark.parametrize("count", [0, 1, 500])
def test_a_failure_while_a_list_is_written_closes_it_and_adds_the_failure(count: int) -> None:
    out = io.StringIO()
    stream = JsonObjectStream(out)
    stream.write_list("images", [{"file": "first.yaml"}])
    with pytest.raises(KeyboardInterrupt):
        stream.write_list("ignored", _stopped_after(count))
    stream.fail(FAILURE)
    stream.fail(FAILURE)  # a second failure adds nothing to a closed object
    payload = json.loads(out.getvalue())
    assert payload == {"images": [{"file": "first.yaml"}], "ignored": list(_items(count)), **FAILURE}


def _items(count: int) -> Iterator[dict[str, Any]]:
    return ({"file": f"{n}.yaml", "value": "y" * 200} for n in range(count))


def test_a_failure_before_any_list_is_the_failure_object() -> None:
    out = io.StringIO()
    JsonObjectStream(out).fail(FAILURE)
    assert out.getvalue() == json.dumps(FAILURE, indent=2) + "\n"


@pytest.mark.parametrize(
    ("when", "text"),
    [("after", "["), ("before", "]"), ("after", "]"), ("before", "}\n"), ("after", "}\n")],
    ids=["list-opened", "list-closing", "list-closed", "object-closing", "object-closed"],
)
def test_a_signal_between_a_write_and_its_bookkeeping_still_leaves_one_object(
    monkeypatch: pytest.MonkeyPatch, when: str, text: str
) -> None:
    """Ctrl-C (or SIGTERM) lands right before or after the step that opens or closes a list or
    the object: `fail` then knows exactly what is open, and the output is one valid object."""
    real_add = JsonObjectStream._add
    sent: list[str] = []

    def add(self: JsonObjectStream, chunk: str) -> None:
        lands = not sent and chunk.endswith(text)  # once: `fail` writes such chunks too
        if lands and when == "before":
            sent.append(chunk)
            signal.raise_signal(signal.SIGINT)
        real_add(self, chunk)
        if lands and when == "after":
            sent.append(chunk)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(JsonObjectStream, "_add", add)
    out = io.StringIO()
    stream = JsonObjectStream(out)
    with pytest.raises(KeyboardInterrupt):
        stream.write_list("images", [{"file": "a.yaml"}])
        stream.write_list("ignored", [])
        stream.close()
    stream.fail(FAILURE)
    payload = json.loads(out.getvalue())  # one valid object, whatever it holds
    assert payload.get("status", "failed") == "failed"
    assert payload["images"] in ([], [{"file": "a.yaml"}])

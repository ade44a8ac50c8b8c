"""How results and failures read: each error class has its stable JSON kind, a file or value left
alone is one `bumper: ignored` line."""

from __future__ import annotations

from bumper.changes import Skip
from bumper.errors import ConfigError, NotFoundError
from bumper.report import error_kind, error_object, ignored_line


def test_an_error_has_a_stable_kind_and_anything_else_is_internal() -> None:
    assert (error_kind(ConfigError("x")), error_kind(NotFoundError("y"))) == ("bad-input", "not-found")
    assert error_kind(KeyboardInterrupt()) == "interrupted"
    assert error_kind(ValueError("bug")) == "internal"
    assert error_object("usage", "bad REF", "a.yaml", 3) == {
        "kind": "usage",
        "message": "bad REF",
        "file": "a.yaml",
        "line": 3,
    }


def test_a_file_or_a_value_left_alone_is_one_line() -> None:
    assert (
        ignored_line(Skip(".hidden/a.yaml", None, None, None, "hidden"))
        == "bumper: ignored .hidden/a.yaml: hidden"
    )
    value = Skip("a.yaml", 4, "container", "{{ .Values.tag }}", "template")
    assert ignored_line(value) == "bumper: ignored a.yaml:4: {{ .Values.tag }}: template"

"""`git log --raw -z` read exactly: no byte of a path (newline, colon, a fake header) shifts a
field; messages come from commit objects, decoded by their `encoding` header."""

from __future__ import annotations

from bumper.git.log import parse_commit_object, parse_log

A, B, C = "a" * 40, "b" * 40, "c" * 40
BLOB1, BLOB2 = "1" * 40, "2" * 40


def test_paths_with_any_bytes_and_a_rename_keep_their_fields() -> None:
    hostile = f"odd\n{B} 2026-01-01T00:00:00+00:00 {C}"  # a path that looks like a commit header
    out = (
        f"{A} 2026-02-01T10:00:00+01:00 {B}\0\n"
        f":100644 100644 {BLOB1} {BLOB2} M\0{hostile}.yaml\0"
        f":100644 100644 {BLOB1} {BLOB1} R100\0old: name.yaml\0new.yaml\0"
        f"\n{B} 2026-01-01T00:00:00+00:00\0"
    ).encode()
    first, second = parse_log(out)
    assert (first.sha, first.date, first.parents) == (A, "2026-02-01T10:00:00+01:00", [B])
    assert [(f.path, f.status, f.source) for f in first.files] == [
        (f"{hostile}.yaml", "M", None),
        ("new.yaml", "R", "old: name.yaml"),
    ]
    assert (second.sha, second.parents, second.files) == (B, [], [])


def test_a_commit_object_by_its_encoding_header() -> None:
    latin = b"tree t\nauthor Jos\xe9 <j@x> 1700000000 +0100\nencoding ISO-8859-1\n\nBump to v2\r\n\nbody\n"
    text = parse_commit_object(latin)
    assert (text.author, text.subject) == ("Jos\u00e9 <j@x>", "Bump to v2")
    unknown = parse_commit_object(b"author A <a@x> 1 +0000\nencoding base64\n\n\xff msg\n")
    assert unknown.message == "\ufffd msg\n"

"""Dry-run diffs: difflib's bytes for the edits bumper makes, and always a diff that applies."""

from __future__ import annotations

import difflib
import random
import subprocess
from pathlib import Path

import pytest

from bumper.plan.diffs import file_diff, git_lines
from testing.golden import case_dirs, load_case, read_tree

CORPUS = Path(__file__).resolve().parents[1] / "corpus"  # vendored real manifests (corpus/README.md)


def _difflib(relpath: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{relpath}", f"b/{relpath}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def test_every_golden_edit_diffs_as_difflib_does(tmp_path: Path) -> None:
    """difflib's bytes, except for a file holding a line break git does not split at (a lone CR,
    NEL, U+2028: difflib's lines are str.splitlines'), whose diff must still apply."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    compared = 0
    for path in case_dirs():
        case = load_case(path)
        before, after = read_tree(case.input_dir, stored=True), read_tree(case.expected_dir, stored=True)
        for rel, new in after.items():
            old = before.get(rel)
            if old is not None and old != new:
                old_text, new_text = old.decode(), new.decode()
                if old_text.splitlines(keepends=True) != git_lines(old_text):
                    assert _applies(tmp_path, old_text, new_text, file_diff("f.yaml", old_text, new_text))
                    continue
                assert file_diff(rel, old_text, new_text) == _difflib(rel, old_text, new_text)
                compared += 1
    assert compared >= 60


def _edited(text: str, rng: random.Random) -> str:
    """`text` with a few values rewritten in place, as a bump does: same lines, same count."""
    lines = text.splitlines(keepends=True)
    for i in rng.sample(range(len(lines)), min(len(lines), rng.choice([1, 2, 3, 5]))):
        body = lines[i].rstrip("\r\n")
        lines[i] = body + f"-bumped{i}" + lines[i][len(body) :]
    return "".join(lines)


def _corpus_files() -> list[Path]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [p for p in files if 5 <= p.read_bytes().count(b"\n") <= 2000]


def _twinned(old: list[str], new: list[str]) -> bool:
    """Whether a changed line has an identical line near it (where difflib may pair otherwise)."""
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            near = old[max(0, i - 8) : i] + old[i + 1 : i + 9]
            if a in near or b in near:
                return True
    return False


def _applies(tmp_path: Path, old: str, new: str, patch: str) -> bool:
    (tmp_path / "f.yaml").write_bytes(old.encode())
    subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"], cwd=tmp_path, input=patch.encode(), check=True
    )
    return (tmp_path / "f.yaml").read_bytes() == new.encode()


def test_in_place_edits_of_real_manifests(tmp_path: Path) -> None:
    """Every diff applies and makes the new file; without repeated lines beside a change, it is
    difflib's, byte for byte."""
    files = _corpus_files()
    assert len(files) >= 20
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    rng = random.Random(11)
    exact = 0
    for path in files:
        old = path.read_bytes().decode("utf-8", "replace")
        for variant in (old, old.replace("\n", "\r\n"), old.rstrip("\n")):
            new = _edited(variant, rng)
            patch = file_diff("f.yaml", variant, new)
            assert _applies(tmp_path, variant, new, patch), path
            if not _twinned(variant.splitlines(keepends=True), new.splitlines(keepends=True)):
                assert patch == _difflib("f.yaml", variant, new), path
                exact += 1
    assert exact >= 2 * len(files)


@pytest.mark.parametrize("gap", [0, 1, 5, 6, 7, 8, 20])
def test_hunks_merge_exactly_when_difflib_merges_them(gap: int) -> None:
    old = "".join(f"key{i}: value{i}\n" for i in range(40))
    lines = old.splitlines(keepends=True)
    for i in (2, 3 + gap):
        lines[i] = lines[i].replace("value", "new")
    new = "".join(lines)
    assert file_diff("x.yaml", old, new) == _difflib("x.yaml", old, new)


def test_an_inserted_line_goes_through_difflib() -> None:
    old = "image:\n  repository: ghcr.io/acme/app\n"
    new = old + "  tag: v1.2.3\n"
    assert file_diff("v.yaml", old, new) == _difflib("v.yaml", old, new)
    assert "+  tag: v1.2.3\n" in file_diff("v.yaml", old, new)


def test_a_diff_of_repeated_lines_applies(tmp_path: Path) -> None:
    """Where identical lines sit next to a change, difflib may pair lines otherwise; the diff
    bumper prints must still turn the old file into the new one."""
    old = "a: 1\nimage: app:v1.0.0\nimage: app:v1.2.3\nimage: app:v1.0.0\nz: 2\n"
    new = old.replace("v1.0.0", "v1.2.3")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _applies(tmp_path, old, new, file_diff("f.yaml", old, new))


def _random_edits(text: str, rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    """`text` with a few random spans replaced, some by text of other lengths, some empty (an
    insertion), some spanning a line break with one of their own (as a block scalar edit)."""
    edits: list[tuple[int, int, str]] = []
    taken = -1
    for start in sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.choice([1, 2, 3, 6])))):
        if start <= taken:
            continue
        end = min(len(text), start + rng.choice([0, 1, 3, 9, 40]))
        old = text[start:end]
        body = rng.choice(["v1.2.3", "", "x" * rng.randrange(30), "ghcr.io/acme/app@sha256:" + "a" * 64])
        edits.append((start, end, "\n".join([body] * (old.count("\n") + 1))))
        taken = end
    new, pos = [], 0
    for start, end, piece in edits:
        new += [text[pos:start], piece]
        pos = end
    return "".join([*new, text[pos:]]), edits


@pytest.mark.parametrize("seed", range(6))
def test_a_diff_from_the_edits_is_the_diff_of_the_whole_file(seed: int) -> None:
    """Given the edits (as a plan knows them), only the lines around them are compared: the
    bytes are those of comparing every line, for CRLF, a BOM, no final newline, and line
    breaks str.splitlines knows besides \\n (those, or an edit adding a line, compare all)."""
    rng = random.Random(seed)
    compared = 0
    for path in _corpus_files()[seed::6]:
        text = path.read_bytes().decode("utf-8", "replace")
        variants = [
            text,
            text.replace("\n", "\r\n"),
            "\ufeff" + text.rstrip("\n"),
            text.replace("\n", "\n\n"),
        ]
        variants += [text.replace("#", "\x0c#", 1).replace("a", "a\u2028", 1)]
        for variant in variants:
            for _ in range(3):
                new, edits = _random_edits(variant, rng)
                assert file_diff("f.yaml", variant, new, edits) == file_diff("f.yaml", variant, new), path
                compared += 1
    assert compared >= 30


@pytest.mark.parametrize("lines", [1, 2, 3, 4, 7, 8, 9])
def test_edits_at_both_ends_of_a_short_file(lines: int) -> None:
    old = "".join(f"k{i}: v{i}\n" for i in range(lines))
    for text in (old, old.rstrip("\n")):
        first, last = text.index("v0"), text.rindex("v")
        edits = [(first, first + 2, "new0")] + ([(last, last + 1, "w")] if last > first else [])
        new, pos = "", 0
        for start, end, piece in edits:
            new, pos = new + text[pos:start] + piece, end
        new += text[pos:]
        assert file_diff("x.yaml", text, new, edits) == file_diff("x.yaml", text, new)


def test_each_planned_edit_diffs_as_the_whole_file_compares(tmp_path: Path) -> None:
    """The planner hands each edit's positions to its diff (shifted past a BOM): on every golden
    case that rewrites a file (CRLF, BOM, anchors, inserted keys, embedded YAML), the dry run's
    diff is the whole-file comparison's, byte for byte."""
    from bumper.errors import BumperError
    from bumper.image_ref import ImageRef
    from bumper.plan.tree import TreeRequest, plan_tree
    from testing.golden import copy_in

    compared = 0
    for path in case_dirs():
        case = load_case(path)
        if case.args:
            continue  # options this test does not pass on
        tree = tmp_path / case.name
        copy_in(case.input_dir, tree)
        try:
            plan = plan_tree(TreeRequest(tree, [ImageRef.parse(r) for r in case.refs], diffs=True))
        except BumperError:
            continue
        for edit in plan.edits:
            old, new = edit.old.decode(), edit.new.decode()
            spliced, pos = "", 0  # the positions index the decoded bytes, BOM and all
            for start, end, text in sorted(edit.near):
                spliced, pos = spliced + old[pos:start] + text, end
            assert spliced + old[pos:] == new, case.name
            assert edit.diff == file_diff(edit.relpath, old, new), case.name
            compared += 1
    assert compared >= 40

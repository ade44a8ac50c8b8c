"""Bump every repository `bumper scan` finds in the real-world corpus and check the exact lines.

For each corpus repository and each image repository that scan reports there, the tree is
copied to tmp, bumped to a new tag (and a new digest where a reference is digest-pinned), and
compared line by line with the original: exactly the reported lines change (a kustomize entry
without `newTag` gets one inserted line instead), each carries the new tag, every other byte is
identical, and Helm chart templates are untouched.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bumper.cli import main
from bumper.shapes.variants import variant

CORPUS = Path(__file__).resolve().parent / "corpus"  # vendored real manifests (corpus/README.md)
NEGATIVE = "fluxcd__flux2-kustomize-helm-example"
NEW_TAG = "v99.0.1"  # above every semantic version in the corpus: never skipped as a downgrade
NEW_DIGEST = "sha256:" + "5e" * 32


def _corpus_repos() -> list[Path]:
    repos = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    assert len(repos) >= 4, f"the vendored corpus is missing from {CORPUS}"
    return repos


def _scan(tree: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["scan", "--dir", str(tree), "--output", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["images"]


def _cases() -> list:
    cases = []
    for repo in _corpus_repos():
        keys = sorted({f"{i['registry']}/{i['repository']}" for i in _scan(repo)})
        cases += [pytest.param(repo, key, id=f"{repo.name}:{key}") for key in keys]
    return cases


def _read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _chart_templates(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if "/templates/" in f"/{k}"}


@pytest.mark.parametrize("repo, key", _cases())
def test_bump_changes_exactly_the_scanned_lines(repo: Path, key: str, tmp_path: Path) -> None:
    tree = tmp_path / repo.name
    shutil.copytree(repo, tree, symlinks=True)
    before = _read_tree(tree)
    scanned = [i for i in _scan(tree) if f"{i['registry']}/{i['repository']}" == key]
    assert scanned
    # A tag carrying a variant (`redis:alpine`) is not replaced by the plain NEW_TAG: reason `variant`.
    images = [i for i in scanned if not variant(i["tag"])]
    kept = sorted((i["file"], i["line"]) for i in scanned if variant(i["tag"]))
    pinned = any(i["digest"] for i in images)
    new_tag = _new_tag(images)
    ref = f"{key}:{new_tag}" + (f"@{NEW_DIGEST}" if pinned else "")

    result = CliRunner().invoke(main, ["bump", ref, "--dir", str(tree), "--output", "json"])
    details = f"REF {ref}\nexit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code == 0, details
    report = json.loads(result.stdout)
    assert report["status"] == ("written" if images else "up-to-date"), details
    assert sorted((s["file"], s["line"]) for s in report["skipped"] if s["reason"] == "variant") == kept, (
        details
    )
    assert [s for s in report["skipped"] if s["reason"] != "variant"] == [], details

    after = _read_tree(tree)
    assert sorted(after) == sorted(before), "files appeared or disappeared"
    assert _chart_templates(after) == _chart_templates(before), "a Helm chart template was touched"

    by_file: dict[str, list[dict]] = {}
    for image in images:
        by_file.setdefault(image["file"], []).append(image)
    for name, old in before.items():
        new = after[name]
        if name not in by_file:
            assert new == old, f"{name} changed though scan reported no {key} there"
            continue
        _check_file(name, old, new, by_file[name], details, new_tag)
    changed = sorted({(c["file"], c["line"]) for c in report["changes"]})
    assert changed == sorted({(i["file"], i["line"]) for i in images}), details


def _new_tag(images: list[dict]) -> str:
    """NEW_TAG with the variant suffix the references carry (`8.2.1-debian-12-r0` -> `v99.0.1-debian-12-r0`):
    a REF of another variant would be skipped, not bumped."""
    suffixes = {m.group(1) for i in images if (m := re.fullmatch(r"v?[\d.]+(-.+)", i["tag"] or ""))}
    return NEW_TAG + (suffixes.pop() if len(suffixes) == 1 else "")


def _check_file(name: str, old: bytes, new: bytes, images: list[dict], details: str, new_tag: str) -> None:
    """Only the reported lines changed (tagless kustomize entries: one `newTag` line inserted)."""
    assert new.startswith(b"\xef\xbb\xbf") == old.startswith(b"\xef\xbb\xbf"), f"{name}: BOM changed"
    old_lines = old.decode("utf-8").splitlines(keepends=True)
    new_lines = new.decode("utf-8").splitlines(keepends=True)
    replaced_lines = {i["line"] for i in images if not (i["shape"] == "kustomize" and i["tag"] is None)}
    inserts_wanted = sum(1 for i in images if i["shape"] == "kustomize" and i["tag"] is None)
    where = f"{name}: {details}\n" + "".join(difflib.unified_diff(old_lines, new_lines, "old", "new"))

    changed: set[int] = set()
    inserted: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            changed.update(range(i1 + 1, i2 + 1))
            for old_line, new_line in zip(old_lines[i1:i2], new_lines[j1:j2]):
                assert new_tag in new_line, f"new tag missing from the changed line {new_line!r}\n{where}"
                # Only the value moved: the text before the scalar and the line end are kept.
                prefix = re.match(r"\s*(?:- )?[^:#]*:\s*", old_line)
                assert prefix is not None and new_line.startswith(prefix.group(0)), where
                assert old_line.endswith("\r\n") == new_line.endswith("\r\n"), where
        elif op == "insert":
            inserted += new_lines[j1:j2]
        else:
            pytest.fail(f"lines removed or reflowed ({op} {i1}:{i2} -> {j1}:{j2})\n{where}")
    assert changed == replaced_lines, (
        f"changed lines {sorted(changed)} != scanned {sorted(replaced_lines)}\n{where}"
    )
    assert len(inserted) == inserts_wanted, where
    for line in inserted:
        assert re.fullmatch(rf"\s*newTag: {re.escape(new_tag)}\r?\n", line), where


def _negative_refs() -> list[str]:
    """Every repository the other corpus trees use, plus names the negative tree merely mentions."""
    refs = {"ghcr.io/acme/app:v1.2.3", "redis:99.0.0", "ghcr.io/stefanprodan/podinfo:99.0.0"}
    for repo in _corpus_repos():
        if repo.name != NEGATIVE:
            refs |= {f"{i['registry']}/{i['repository']}:{NEW_TAG}" for i in _scan(repo)}
    return sorted(refs)


@pytest.mark.parametrize("ref", _negative_refs())
def test_flux_example_is_left_byte_identical(ref: str, tmp_path: Path) -> None:
    source = CORPUS / NEGATIVE
    tree = tmp_path / NEGATIVE
    shutil.copytree(source, tree, symlinks=True)
    before = _read_tree(tree)
    result = CliRunner().invoke(main, ["bump", ref, "--dir", str(tree)])
    assert result.exit_code == 3, f"{ref}: exit {result.exit_code}\n{result.output}"
    assert result.stderr.startswith("bumper: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert _read_tree(tree) == before

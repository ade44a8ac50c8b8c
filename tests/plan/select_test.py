"""Which files of a tree are manifests, and why the others are left alone."""

from __future__ import annotations

from pathlib import Path

from bumper.plan.select import is_manifest_name, iter_candidates


def test_a_manifest_is_named_yaml_yml_or_kustomization() -> None:
    assert all(map(is_manifest_name, ("a.yaml", "b.yml", "Kustomization", "kustomization.yml")))
    assert not any(map(is_manifest_name, ("a.json", "yaml", "a.yaml.orig", "Chart.lock")))


def test_the_walk_skips_git_and_says_why_a_hidden_file_is_left_alone(tmp_path: Path) -> None:
    for name in ("apps/a.yaml", ".git/config.yaml", ".hidden/b.yaml", "apps/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("image: nginx:1.27\n")
    found = {c.relpath: c.reason for c in iter_candidates(tmp_path)}
    assert found == {"apps/a.yaml": None, ".hidden/b.yaml": "hidden"}

"""End to end, `bumper bump --dir`: an all-capitals tag that is a version (`V2`) is a tag to bump,
not a placeholder another tool fills in; `${TAG}` and `CONTAINER_IMAGES_TAG` stay left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import forkserver

KUSTOMIZATION = "images:\n- name: ghcr.io/acme/app\n  newTag: {tag}\n"


def bump(tree: Path, ref: str) -> tuple[int, str]:
    proc = forkserver.run(("bump", ref, "--dir", "."), env={"NO_COLOR": "1"}, cwd=tree, timeout=60)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("shape", ["kustomize", "container"])
def test_a_capital_v_version_tag_is_bumped(tmp_path: Path, shape: str) -> None:
    file, text = (
        ("kustomization.yaml", KUSTOMIZATION.format(tag="V1"))
        if shape == "kustomize"
        else ("app.yaml", "image: ghcr.io/acme/app:V1\n")
    )
    (tmp_path / file).write_text(text)

    code, err = bump(tmp_path, "ghcr.io/acme/app:V2")

    assert code == 0, err
    assert (tmp_path / file).read_text() == text.replace("V1", "V2")


@pytest.mark.parametrize("tag", ["${TAG}", "CONTAINER_IMAGES_TAG", "__TAG__"])
def test_placeholders_stay_left_alone(tmp_path: Path, tag: str) -> None:
    (tmp_path / "kustomization.yaml").write_text(KUSTOMIZATION.format(tag=tag))

    code, err = bump(tmp_path, "ghcr.io/acme/app:V2")

    assert code == 3, err
    assert "placeholder" in err

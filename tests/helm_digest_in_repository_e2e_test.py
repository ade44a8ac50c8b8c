"""MinIO's digest pinning, `{repository: REPO@sha256, digest: HEX}`, as a user meets it: the CLI
on a tree, each way a REF can meet it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testing import forkserver

OLD = "28c80b379c75242c6fe793dfbf212f43c602140a0de5ebe3d9c2a3a7b9f9f983"
NEW = "9f" * 32
VALUES = f"""\
tenant:
  image:
    repository: quay.io/minio/minio@sha256
    tag: RELEASE.2025-04-08T15-41-24Z
    digest: {OLD}  # the chart runs this, not the tag
"""


def _bump(tree: Path, *refs: str) -> tuple[int, dict[str, Any], str]:
    proc = forkserver.run(["bump", *refs, "--dir", str(tree), "--output", "json"])
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else {}, proc.stderr


def test_a_ref_with_a_digest_writes_its_hex_and_a_rerun_is_up_to_date(tmp_path: Path) -> None:
    """The hex moves (the comment and the unused tag stay); the same REF again writes nothing."""
    (tmp_path / "values.yaml").write_text(VALUES)
    ref = f"quay.io/minio/minio:RELEASE.2025-05-01T00-00-00Z@sha256:{NEW}"
    code, out, err = _bump(tmp_path, ref)
    assert code == 0, err
    assert (tmp_path / "values.yaml").read_text() == VALUES.replace(OLD, NEW)
    assert out["changes"] == [
        {
            "file": "values.yaml",
            "line": 5,
            "shape": "helm",
            "old": f"quay.io/minio/minio@sha256:{OLD}",
            "new": f"quay.io/minio/minio@sha256:{NEW}",
        }
    ]
    code, out, err = _bump(tmp_path, ref)
    assert (code, out["status"], out["changes"]) == (0, "up-to-date", []), err


def test_a_ref_without_a_digest_is_the_digest_pin_error(tmp_path: Path) -> None:
    """No digest in REF: nothing to write but the old digest under a new tag, refused (exit 2)."""
    (tmp_path / "values.yaml").write_text(VALUES)
    code, _, err = _bump(tmp_path, "quay.io/minio/minio:RELEASE.2025-05-01T00-00-00Z")
    assert code == 2
    assert "values.yaml:5: quay.io/minio/minio@sha256:28c80b379c75... is pinned by digest" in err
    assert (tmp_path / "values.yaml").read_text() == VALUES


def test_a_digest_of_another_algorithm_moves_the_algorithm_too(tmp_path: Path) -> None:
    """`@sha256` in the repository and a sha512 REF: the algorithm ending `repository` and the hex
    in `digest` both move (the chart renders `repository:digest`); it was skipped
    `no-digest-field`, the image left on the old digest."""
    (tmp_path / "values.yaml").write_text(VALUES)
    code, out, err = _bump(tmp_path, f"quay.io/minio/minio@sha512:{'ab' * 64}")
    assert code == 0, err
    assert out["skipped"] == []
    assert (tmp_path / "values.yaml").read_text() == VALUES.replace("minio@sha256", "minio@sha512").replace(
        OLD, "ab" * 64
    )


def test_other_maps_are_not_read_so(tmp_path: Path) -> None:
    """A `digest` that is no hex, an empty one: this layout broken, listed `not-a-digest` (never
    passed over in silence, nothing read); a repository naming no algorithm: not this layout (a
    plain `repository` + `digest` map is still `no-tag-field`)."""
    (tmp_path / "values.yaml").write_text(
        "a:\n  repository: quay.io/minio/minio@sha256\n  digest: latest\n"
        'b:\n  repository: quay.io/minio/minio@sha256\n  digest: ""\n'
        f"c:\n  repository: quay.io/minio/minio\n  digest: sha256:{OLD}\n"
    )
    scan = forkserver.run(["scan", "--dir", str(tmp_path), "--output", "json", "-v"])
    listed = json.loads(scan.stdout)
    assert listed["images"] == []
    assert [(i["line"], i["reason"].split(":")[0]) for i in listed["ignored"]] == [
        (3, "not-a-digest"),
        (6, "not-a-digest"),
        (8, "no-tag-field"),
    ]

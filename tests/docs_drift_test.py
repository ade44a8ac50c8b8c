"""The docs keep up with the code: every shape, and the placeholders of policy.md's URLs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_shape_the_code_reports_is_in_the_reference_and_the_readme() -> None:
    """A shape name a Reference is built with (`WholeRef("image-volume", ...)`) is documented."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "bumper").rglob("*.py")))
    shapes = set(re.findall(r'Ref\(\s*"([a-z][a-z-]*)"', code))
    assert {"container", "helm", "kustomize", "marker", "image-volume"} <= shapes
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    scan_paragraph = reference[reference.index("`bumper scan --output json` prints") :][:800]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [s for s in sorted(shapes) if f"`{s}`" not in scan_paragraph] == []
    assert [s for s in sorted(shapes) if f"| `{s}` |" not in readme] == []


def test_policy_md_marks_its_acme_urls_as_placeholders() -> None:
    text = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    for match in re.finditer(r"acme/bumper", text):
        around = text[max(0, match.start() - 600) : match.end() + 200]
        assert "placeholder" in around, text[match.start() - 80 : match.end() + 80]


def test_every_reason_the_code_gives_is_in_the_reference() -> None:
    """A reason a shape or the planner writes (`reason = "two-digests: …"`, `Skip(…, "no-digest-field")`,
    `Decision(False, "ref-has-no-tag")`, a `PLACEHOLDER = "placeholder"` constant) is a row or a
    word of docs/reference.md: JSON readers and `-v` users meet it there."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "bumper").rglob("*.py")))
    reasons = {
        *re.findall(r'reason = "([a-z][a-z-]+)[:"]', code),
        *re.findall(r'Skip\([^()]*,\s*"([a-z][a-z-]+)"\)', code),
        *re.findall(r'Decision\(False, "([a-z][a-z-]+)', code),
        *re.findall(r'^[A-Z_]+ = "([a-z]+-[a-z-]+)"', code, re.MULTILINE),
        # `CHECKSUM = (\n    "checksum: …"`, `Ignored(…, f"not-a-digest: {…}", …)`
        *re.findall(r'^[A-Z_]+ = \(\s*\n\s*f?"([a-z][a-z-]+): ', code, re.MULTILINE),
        *re.findall(r'Ignored\([^()]*f?"([a-z][a-z-]+): ', code),
        # every constant of shapes/left_alone.py is a reason word (`RANGE = "range"`)
        *re.findall(
            r'^[A-Z_]+ = "([a-z][a-z-]*)"', (ROOT / "bumper/shapes/left_alone.py").read_text(), re.MULTILINE
        ),
    }
    assert {
        "two-digests",
        "no-digest-field",
        "ref-has-no-tag",
        "embedded-yaml",
        "checksum",
        "range",
    } <= reasons
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert [r for r in sorted(reasons) if f"`{r}" not in reference] == []

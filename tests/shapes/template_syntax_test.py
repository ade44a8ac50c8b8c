"""`bumper.shapes.has_template_syntax`: which text that does not parse is a template (reason
`template`, left alone) rather than broken YAML (a failure)."""

from __future__ import annotations

import pytest

from bumper.shapes import has_template_syntax


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("image: {{ .Values.image }}\n", True),  # Go / Helm
        ("{% if x %}\nimage: a\n{% endif %}\n", True),  # Jinja / Ansible
        # envsubst writing keys (grafana/loki's operator config templates), CRLF too
        ("limits:\n  volume_enabled: true\n  ${STORAGE_STRUCTURED_METADATA}\nmemberlist: {}\n", True),
        ("a:\r\n  ${EXTRA}\r\nb: 1\r\n", True),
        # a `${NAME}` inside a value parses: YAML broken elsewhere is broken (a Flux
        # substitution, a shell default, a line holding more than the placeholder)
        ("image: app:${TAG}\n  bad: [\n", False),
        ("a:\n  ${EXTRA:-x}\n", False),
        ("a:\n  key ${EXTRA}\n", False),
        ("a: [\n", False),
    ],
)
def test_template_syntax(text: str, template: bool) -> None:
    assert has_template_syntax(text) is template

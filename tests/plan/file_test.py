"""What planning one file reports beside its edits: which .bumper.yaml rule refused a reference
(where it is, its paths, its images, what it allows), and a value the shapes left alone."""

from __future__ import annotations

from bumper.plan.file import ignored_skip, rule_note
from bumper.plan.rules import parse_policy
from bumper.shapes.reference import Ignored
from bumper.yaml_edit import Source

POLICY = b"""version: 1
rules:
  - paths: ['clusters/prod/**']
    images: ['ghcr.io/acme/*']
    hold: true
  - images: ['/nginx']
    allow: '^1\\.'
"""


def test_a_rule_is_named_by_line_paths_images_and_what_it_allows() -> None:
    hold, allow = parse_policy(POLICY).rules
    assert rule_note(None) is None
    assert rule_note(hold) == ".bumper.yaml:3 (rule 1): paths clusters/prod/**; images ghcr.io/acme/*; hold"
    assert (
        rule_note(allow)
        == ".bumper.yaml:6 (rule 2): every path; images docker.io/library/nginx; allow '^1\\.'"
    )


def test_a_value_left_alone_becomes_a_skip_of_its_file() -> None:
    source = Source("apps/values.yaml", "image: {{ .Values.tag }}\n")
    skip = ignored_skip(source, Ignored(1, "container", "{{ .Values.tag }}", "template", None))
    assert (skip.file, skip.line, skip.reason) == ("apps/values.yaml", 1, "template")

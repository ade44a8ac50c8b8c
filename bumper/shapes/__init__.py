"""Where image references live in YAML: one module per shape, asked through `table.SHAPES` by
the one pass of `walk.find_references`.

Each shape module holds what one kind of file says (container, helm, kustomize, argocd,
image_volume, crossplane, flux_operator, embedded, markers, policy_marker, chart) and ends with
its `SHAPE` (the hooks of `shape.Shape`); `reference` is what a found reference is and how it
is rewritten, `nodes` and `left_alone` are what shapes share. This file imports none of them on
purpose (as bumper.plan's): file selection reads `KUSTOMIZATION_NAMES` before the YAML parser is
loaded.
"""

from __future__ import annotations

# Kustomize's own file names: a manifest file without a YAML suffix, and one whose `images:` are
# kustomize entries whatever its apiVersion says.
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
# Go/Helm, Jinja/Ansible: text holding them is only YAML once rendered (a file, or a block string
# read as YAML, that does not parse and holds them is left alone with reason `template`).
TEMPLATE_SYNTAX = ("{{", "{%")


def has_template_syntax(text: str) -> bool:
    """Whether text that does not parse holds template syntax (reason `template`, no failure)."""
    return any(mark in text for mark in TEMPLATE_SYNTAX)

"""Where image references live in YAML: one module per shape, asked through `table.SHAPES` by
the one pass of `walk.find_references`.

Each shape module holds what one kind of file says (container, helm, kustomize, argocd,
image_volume, image_options, crossplane, csi_image_set, cdi, actions, flux_operator, wasm,
tekton_bundle, joined_tag, openshift, embedded, markers, policy_marker, chart) and ends with its
`SHAPE` (the hooks of `shape.Shape`); `reference` is what a found reference is and how it is
rewritten, `nodes` and `left_alone` are what shapes share. This file imports none of them on
purpose (as bumper.plan's): file selection reads `KUSTOMIZATION_NAMES` before the YAML parser is
loaded.
"""

from __future__ import annotations

import re

# Kustomize's own file names: a manifest file without a YAML suffix, and one whose `images:` are
# kustomize entries whatever its apiVersion says.
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
KUSTOMIZE_API = "kustomize.config.k8s.io/"  # a Kustomization's or Component's apiVersion


def is_kustomization(file_name: str, api: str) -> bool:
    """A kustomization: named so, or saying its apiVersion (one may say neither name nor kind)."""
    return file_name in KUSTOMIZATION_NAMES or api.startswith(KUSTOMIZE_API)


# Go/Helm, Jinja/Ansible: text holding them is only YAML once rendered (a file, or a block string
# read as YAML, that does not parse and holds them is left alone with reason `template`).
TEMPLATE_SYNTAX = ("{{", "{%")
# envsubst's (and the shell's) `${NAME}` standing alone on a line, in place of the keys it writes
# (grafana/loki's operator config templates): a `${NAME}` inside a value parses, so only a line of
# its own says the text is a template rather than broken YAML (a Flux substitution is YAML first).
_ENVSUBST_LINE = r"^[ \t]*\$\{[A-Za-z_][A-Za-z0-9_]*\}[ \t]*\r?$"


def has_template_syntax(text: str) -> bool:
    """Whether text that does not parse holds template syntax (reason `template`, no failure)."""
    if any(mark in text for mark in TEMPLATE_SYNTAX):
        return True
    if "${" not in text:
        return False
    return re.search(_ENVSUBST_LINE, text, re.MULTILINE) is not None

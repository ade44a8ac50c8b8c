"""Where image references live in YAML: container, helm, kustomize and marker shapes.

`walk` finds them, `reference` rewrites them, `maps` reads multi-key shapes, `markers` reads
marker comments.
"""

from __future__ import annotations

from bumper.plan.needles import KUSTOMIZATION_NAMES
from bumper.shapes.markers import MarkerPartRef, find_markers, split_policy_marker
from bumper.shapes.reference import Ignored, Reference, WholeRef
from bumper.shapes.walk import find_references

__all__ = [
    "KUSTOMIZATION_NAMES",
    "Ignored",
    "MarkerPartRef",
    "Reference",
    "WholeRef",
    "find_markers",
    "find_references",
    "split_policy_marker",
]

"""The planner: select files -> search them -> plan each file -> plan the tree -> write or diff.

Version decisions (`versions`, `variants`), the repository's rules (`.bumper.yaml`, `rules`) and
Flux's image policies (`image_policy`) are the planner's inputs; `inventory` is what `scan` lists.

Other packages import only the modules in PUBLIC (tests/import_graph_test.py checks it); every
other module (`file`, `forked`, `diffs`, `not_found`, `holds`, `anchor_uses`, `inherited`,
`chart_sources`, `chart_lock`, `marker_lines`, `tag_filter`) is the planner's own. This file
re-exports nothing on purpose: a package's `__init__` runs before any of its modules, and
`needles`, `search` and `paths` must load without the YAML parser and the shapes (the early grep
start in local.py, `--version`). The planner imports bumper.shapes; the shapes import nothing of it.
"""

from __future__ import annotations

PUBLIC = (
    "needles",  # what a run searches a tree for: needles, Flux's marker, manifest names (light)
    "search",  # grep started early on a tree (light)
    "paths",  # the one gitignore path rule: --path, .bumper.yaml paths (light)
    "select",  # which files of a tree are manifests, and why the others are left alone
    "versions",  # may a reference move to a version: downgrade, variant, stale digest
    "rules",  # the repository's rules, .bumper.yaml
    "image_policy",  # Flux ImagePolicy objects and $imagepolicy markers
    "tree",  # plan_tree, TreePlan: the planner's result
    "write",  # write_all: a plan's files written, every one or none
    "inventory",  # every reference of a tree, as `bumper scan` lists it
    "marker_lint",  # near-miss hold and Flux markers, as `bumper check` reports them
    "promote",  # the one version an environment runs, as `bumper promote` reads it
)

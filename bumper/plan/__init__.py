"""The planner: select files -> search them -> plan each file -> plan the tree -> write or diff.

Version decisions (`versions`, `variants`), the repository's rules (`.bumper.yaml`, `rules`) and
Flux's image policies (`image_policy`) are the planner's inputs; `inventory` is what `scan` lists.
"""

"""Two images whose bot branches bumper names alike (`ghcr.io/acme/app-x` and
`ghcr.io/acme-app/x` both give `bumper/ghcr.io-acme-app-x`), each run by a Deployment of its own:
the tree the alike-branch tests serve."""

from __future__ import annotations

A, B = "ghcr.io/acme/app-x", "ghcr.io/acme-app/x"
ALIKE_BRANCH = "bumper/ghcr.io-acme-app-x"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n"
    "    spec:\n      containers:\n        - name: app\n          image: {image}:v1.0.0\n"
)
TREE = {
    "a/deploy.yaml": DEPLOY.format(name="a", image=A).encode(),
    "b/deploy.yaml": DEPLOY.format(name="b", image=B).encode(),
}

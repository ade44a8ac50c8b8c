"""A kustomize tree for --verify tests: one base and overlays that pin the image in each way."""

from __future__ import annotations

from pathlib import Path

OLD = "ghcr.io/acme/app:1.0.0"
REF = "ghcr.io/acme/app:2.0.0"

BASE = {
    "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
    "base/deployment.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: {OLD}
      containers:
        - name: app
          image: {OLD}
        - name: proxy
          image: nginx:1.27.1
""",
    # a tree beside it that includes nothing that changes: never rendered
    "other/kustomization.yaml": "resources:\n  - service.yaml\n",
    "other/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: other\n",
}

# An overlay whose JSON patch sets the old tag again from a `.json` file: bumper reads YAML files
# only (a YAML patch, or a `patch: |` block, it rewrites: tests/golden/container-json6902-patch-op).
PATCHED = {
    "overlays/patched/kustomization.yaml": """\
resources:
  - ../../base
patches:
  - target: {kind: Deployment, name: app}
    path: pin.json
""",
    "overlays/patched/pin.json": (
        f'[{{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "{OLD}"}}]\n'
    ),
}

# An overlay pinning the tag through its own `images:`: bumper bumps that entry too.
OWN_IMAGES = {
    "overlays/own/kustomization.yaml": """\
resources:
  - ../../base
images:
  - name: ghcr.io/acme/app
    newTag: 1.0.0
""",
}


def replacement(pinned: bool) -> dict[str, str]:
    """An overlay copying the image from a ConfigMap with `replacements:`; its value carries a
    `$bumper` marker (bumped) unless `pinned`."""
    marker = "" if pinned else '  # {"$bumper": "ghcr.io/acme/app"}'
    return {
        "overlays/replaced/kustomization.yaml": """\
resources:
  - ../../base
  - pins.yaml
replacements:
  - source: {kind: ConfigMap, name: pins, fieldPath: data.APP}
    targets:
      - select: {kind: Deployment, name: app}
        fieldPaths:
          - spec.template.spec.containers.[name=app].image
""",
        "overlays/replaced/pins.yaml": f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: pins
data:
  APP: {OLD}{marker}
""",
    }


# An overlay on a remote base: it cannot render without the network.
REMOTE = {
    "overlays/remote/kustomization.yaml": """\
resources:
  - https://github.com/acme/platform//base?ref=v1
  - ../../base
""",
}


def write(root: Path, *parts: dict[str, str]) -> dict[str, bytes]:
    """Write the files of `parts` under `root`; return every file's bytes by relative path."""
    files = {path: text for part in parts for path, text in part.items()}
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return snapshot(root)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

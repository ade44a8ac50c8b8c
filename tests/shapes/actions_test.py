"""Shape `actions` on inline YAML: a workflow step's `uses: docker://REF`."""

from __future__ import annotations

from testing.shapes import find

SHA = "9c77739d8d7c71b808311693ea52d603d1ddb5190d3d4f23e47f6f33d5254602"


def test_a_step_running_a_container_image() -> None:
    """`uses: docker://REF` with a tag or digest moves, and one without either, which pulls
    `latest`, is pinned as an untagged `image:` (it was passed over in silence); an action
    (`owner/repo@ref`, a local `./path`) and a placeholder do not (the placeholder is noted, and
    so is a digest cut short: `not-a-digest`, as under `image:`)."""
    finding = find(
        f"""\
        jobs:
          test:
            steps:
              - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
              - uses: docker://ghcr.io/allenporter/flux-local:v8.2.0@sha256:{SHA}
              - uses: "docker://alpine:3.21"
              - uses: ./.github/actions/setup
              - uses: docker://ghcr.io/acme/untagged
              - uses: docker://ghcr.io/acme/tool:${{{{ env.TAG }}}}
              - uses: docker://ghcr.io/acme/tool:v1@sha256:5d8c4c
        """,
        "flux-local.yaml",
    )
    assert finding.found == [
        (5, "container", f"ghcr.io/allenporter/flux-local:v8.2.0@sha256:{SHA}"),
        (6, "container", "alpine:3.21"),
        (8, "container", "ghcr.io/acme/untagged"),
    ]
    assert [(line, reason.split(":")[0]) for line, _, _, reason in finding.left] == [
        (9, "placeholder"),
        (10, "not-a-digest"),
    ]


def test_a_job_running_in_a_container() -> None:
    """A job's `container: REF` beside its `runs-on` (the string form of `container: {image:
    REF}`), read as that `image:` is: a name alone runs `latest` and is pinned (it was passed over
    while a step's `uses: docker://NAME` was pinned); an expression, a `container:` of a map
    without `runs-on` (a label) are not read."""
    finding = find(
        f"""\
        jobs:
          build:
            runs-on: ubuntu-latest
            container: "ghcr.io/acme/builder:1.4.0@sha256:{SHA}"
            steps:
              - run: make
          lint:
            runs-on: ubuntu-latest
            container: node
          matrix:
            runs-on: ubuntu-latest
            container: ${{{{ matrix.image }}}}
        metrics:
          labels:
            container: ghcr.io/acme/builder:1.4.0
        """,
        "ci.yaml",
    )
    assert finding.found == [
        (4, "container", f"ghcr.io/acme/builder:1.4.0@sha256:{SHA}"),
        (9, "container", "node"),
    ]

"""Shape `marker` on inline YAML: a scalar on a line ending with `# {"$bumper": "REPO[:part]"}`."""

from __future__ import annotations

from testing.shapes import find

SHA = "d" * 64


def test_whole_and_part_markers() -> None:
    text = f"""\
        app: ghcr.io/acme/app:v1 # {{"$bumper": "ghcr.io/acme/app"}}
        env:
          - APP_TAG
          - v1 # {{"$bumper": "ghcr.io/acme/app:tag"}}
        pin: sha256:{SHA} # {{"$bumper": "ghcr.io/acme/app:digest"}}
        """
    assert find(text).found == [
        (1, "marker", "ghcr.io/acme/app:v1"),
        (4, "marker", "ghcr.io/acme/app:v1"),
        (5, "marker", f"ghcr.io/acme/app@sha256:{SHA}"),
    ]


def test_a_marker_wins_over_the_shape_of_its_line() -> None:
    """`image: x` marked for another repository is that marker's, or nobody's."""
    text = 'image: nginx:1.25 # {"$bumper": "ghcr.io/acme/app"}\ntag: v2 # {"$bumper": "nginx:tag"}\n'
    assert find(text).found == [(2, "marker", "nginx:v2")]


def test_what_it_leaves_and_why() -> None:
    text = """\
        digest: latest # {"$bumper": "ghcr.io/acme/app:digest"}
        other: ghcr.io/acme/web:v1 # {"$bumper": "ghcr.io/acme/app"}
        flow: {repository: ghcr.io/acme/app, tag: v1} # {"$bumper": "ghcr.io/acme/app:tag"}
        near: v1 # {"$bumper": ghcr.io/acme/app}
        """
    finding = find(text)
    assert finding.found == []  # another repository; two values on one line; not JSON
    assert [(n[0], n[1], n[3].split(":")[0]) for n in finding.left] == [(1, "marker", "not-a-digest")]


def test_a_whole_marker_on_a_flag_or_an_assignment_reads_after_the_last_equals() -> None:
    """`--prometheus-config-reloader=REF` (kube-prometheus's operator args), `IMAGE=REF` (a
    Compose `environment:` entry): marked, the reference after `=` is the value; one of another
    repository, or no reference there, is nobody's."""
    text = """\
        args:
          - --prometheus-config-reloader=quay.io/acme/reloader:v0.93.1 # {"$bumper": "quay.io/acme/reloader"}
          - --other=quay.io/acme/other:v1 # {"$bumper": "quay.io/acme/reloader"}
          - --note=see the docs # {"$bumper": "quay.io/acme/reloader"}
        environment:
          - RELOADER_IMAGE=quay.io/acme/reloader:v0.93.1 # {"$bumper": "quay.io/acme/reloader"}
        """
    assert find(text).found == [
        (2, "marker", "quay.io/acme/reloader:v0.93.1"),
        (6, "marker", "quay.io/acme/reloader:v0.93.1"),
    ]

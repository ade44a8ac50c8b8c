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

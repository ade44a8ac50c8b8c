"""Shape `version_table` on inline YAML: a `versions:` list giving each version its images is
noted entry by entry, never written with one REF; what it leaves to the other shapes."""

from __future__ import annotations

from testing.shapes import find


def test_each_version_s_images_are_noted() -> None:
    """argoproj/argo-helm charts/argo-events/values.yaml: configs.jetstream.versions. A bump of
    nats wrote one tag into every entry, so an EventBus asking for 2.8.1 ran 2.10.11."""
    text = """\
        jetstream:
          versions:
            - version: latest
              natsImage: nats:2.10.10
              metricsExporterImage: natsio/prometheus-nats-exporter:0.14.0
              startCommand: /nats-server
            - version: 2.8.1
              natsImage: nats:2.8.1
              metricsExporterImage: natsio/prometheus-nats-exporter:0.9.1
        """
    finding = find(text)
    assert finding.found == []
    assert [(line, value, reason.split(":")[0]) for line, _, value, reason in finding.left] == [
        (4, "nats:2.10.10", "version-table"),
        (5, "natsio/prometheus-nats-exporter:0.14.0", "version-table"),
        (8, "nats:2.8.1", "version-table"),
        (9, "natsio/prometheus-nats-exporter:0.9.1", "version-table"),
    ]


def test_a_table_of_minor_versions_is_one() -> None:
    """A values file listing its own versions by minor (`version: "2.10"` runs nats:2.10.11):
    a bump of nats:2.10.12 wrote 2.10.12 into the 2.9 entry too, which then ran 2.10."""
    text = """\
        versions:
          - version: "2.9"
            natsImage: nats:2.9.25
          - version: "2.10"
            natsImage: nats:v2.10.11
        """
    finding = find(text)
    assert finding.found == []
    assert [(line, value) for line, _, value, _ in finding.left] == [(3, "nats:2.9.25"), (5, "nats:v2.10.11")]


def test_a_marker_on_a_line_moves_it() -> None:
    text = """\
        versions:
          - version: 2.8.1
            natsImage: nats:2.8.1
          - version: 2.9.0
            natsImage: nats:2.9.0 # {"$bumper": "nats"}
        """
    finding = find(text)
    assert [(line, value) for line, _, value in finding.found] == [(5, "nats:2.9.0")]
    assert [(line, value) for line, _, value, _ in finding.left] == [(3, "nats:2.8.1")]


def test_what_it_leaves_to_the_other_shapes() -> None:
    """A list whose versions repeat, or where no image is tagged its entry's version (settings
    that happen to say a version), or a single entry: read as ever."""
    text = """\
        a:
          versions:
            - version: v1
              image: ghcr.io/acme/app:2.0
            - version: v2
              image: ghcr.io/acme/app:2.0
        b:
          versions:
            - version: 1.0
              image: ghcr.io/acme/b:1.0
            - version: 1.0
              image: ghcr.io/acme/b:1.1
        c:
          versions:
            - version: 3.0
              image: ghcr.io/acme/c:3.0
        """
    finding = find(text)
    assert [(line, value) for line, _, value in finding.found] == [
        (4, "ghcr.io/acme/app:2.0"),
        (6, "ghcr.io/acme/app:2.0"),
        (10, "ghcr.io/acme/b:1.0"),
        (12, "ghcr.io/acme/b:1.1"),
        (16, "ghcr.io/acme/c:3.0"),
    ]
    assert finding.left == []

"""Shape `cdi` on inline YAML: a KubeVirt CDI import's `source.registry.url: docker://REF`."""

from __future__ import annotations

from testing.shapes import find

SHA = "c" * 64


def test_a_registry_url_naming_an_image() -> None:
    """`registry: {url: docker://REF}` in a DataVolume and a VirtualMachine's
    dataVolumeTemplates: tagged, pinned by digest, or untagged (CDI imports `latest`)."""
    text = f"""\
        spec:
          source:
            registry:
              url: "docker://quay.io/containerdisks/fedora:41"
          dataVolumeTemplates:
            - spec:
                source: {{registry: {{url: "docker://quay.io/acme/disk@sha256:{SHA}"}}}}
            - spec:
                source:
                  registry:
                    url: docker://registry.local:5000/disks/ubuntu
        """
    assert find(text, "dv.yaml").found == [
        (4, "container", "quay.io/containerdisks/fedora:41"),
        (7, "container", f"quay.io/acme/disk@sha256:{SHA}"),
        (11, "container", "registry.local:5000/disks/ubuntu"),
    ]


def test_another_url_is_no_image() -> None:
    """A `url:` outside a `registry` map, a registry `url` naming no `docker://` image (a chart's
    `registry.url: https://…`, CDI's `oci-archive://`), a broken reference and a placeholder
    move nothing (the placeholder is noted)."""
    text = """\
        source:
          http:
            url: docker://quay.io/acme/not-registry:v1
          registry:
            url: https://registry.example.com/v2/
        global:
          registry:
            url: oci-archive:///tmp/disk.tar
        other:
          registry:
            url: docker://Quay.io/Acme/Upper:v1
        last:
          registry:
            url: docker://quay.io/acme/disk:$(TAG)
        """
    finding = find(text, "dv.yaml")
    assert finding.found == []
    assert [(line, reason) for line, _, _, reason in finding.left] == [(14, "placeholder")]

"""Shape `openshift` on inline YAML: `{kind: DockerImage, name: REF}` under `from:` (an
ImageStream tag, a BuildConfig's builder image), and what it leaves."""

from __future__ import annotations

from testing.shapes import find


def test_an_image_stream_tag_and_a_build_config_builder() -> None:
    """redhat-cop/gitops-catalog selenium/base/centos7-is.yaml (untagged, with a registry host:
    it imports `latest`, as `image:` would run it) and a BuildConfig's `dockerStrategy.from`."""
    text = """\
        kind: ImageStream
        spec:
          tags:
            - from:
                kind: DockerImage
                name: docker.io/centos/s2i-base-centos7
              name: centos7
        ---
        kind: BuildConfig
        spec:
          strategy:
            dockerStrategy:
              from:
                kind: DockerImage
                name: registry.access.redhat.com/ubi9/ubi:9.4
        """
    assert find(text, "is.yaml").found == [
        (6, "container", "docker.io/centos/s2i-base-centos7"),
        (15, "container", "registry.access.redhat.com/ubi9/ubi:9.4"),
    ]


def test_what_it_leaves() -> None:
    """A build's `output.to` (where it pushes), an ImageStreamTag (an ImageStream's name), a bare
    word without a tag or registry host, a `from` of another object (a NetworkPolicy's peers)."""
    text = """\
        spec:
          output:
            to:
              kind: DockerImage
              name: quay.io/acme/app:latest
          tags:
            - from:
                kind: ImageStreamTag
                name: ruby:3.3
            - from:
                kind: DockerImage
                name: centos
          ingress:
            - from:
                - podSelector: {}
        """
    assert find(text, "bc.yaml").found == []

"""Shape `cephcsi` (csi_image_set.py) on inline YAML: the Ceph CSI operator's ImageSet ConfigMap."""

from __future__ import annotations

from testing.shapes import find

SHA = "a" * 64


def test_each_component_of_an_image_set() -> None:
    text = f"""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: rook-csi-operator-image-set-configmap
        data:
          provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0"
          plugin: quay.io/cephcsi/cephcsi@sha256:{SHA}
          snapshot-metadata: registry.k8s.io/sig-storage/csi-snapshot-metadata:v1.0.0
          addons: quay.io/csiaddons/k8s-sidecar:${{TAG}}
        """
    finding = find(text, "operator.yaml")
    assert finding.found == [
        (6, "container", "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0"),
        (7, "container", f"quay.io/cephcsi/cephcsi@sha256:{SHA}"),
        (8, "container", "registry.k8s.io/sig-storage/csi-snapshot-metadata:v1.0.0"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(9, "placeholder")]


def test_any_other_key_or_value_makes_it_some_other_programs_settings() -> None:
    """Another key (`enabled`), a name without a tag, two images in one value, another kind or
    apiVersion: nothing is read."""
    docs = [
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  plugin: quay.io/a/b:v3\n  enabled: 'true'\n",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  plugin: quay.io/cephcsi/cephcsi\n",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  plugin: quay.io/a/b:v1 quay.io/a/c:v1\n",
        "apiVersion: v1\nkind: Secret\ndata:\n  plugin: quay.io/cephcsi/cephcsi:v3.17.0\n",
        "apiVersion: acme.io/v1\nkind: ConfigMap\ndata:\n  plugin: quay.io/cephcsi/cephcsi:v3.17.0\n",
        "apiVersion: v1\nkind: ConfigMap\ndata: {}\n",
    ]
    for doc in docs:
        assert find(doc, "cm.yaml") == ([], []), doc


def test_a_digest_cut_short_is_listed_not_a_digest() -> None:
    """A value whose digest is cut short is the component's image all the same: listed
    not-a-digest, as under `image:`, never passed over in silence; the others still move."""
    text = f"""\
        apiVersion: v1
        kind: ConfigMap
        data:
          plugin: quay.io/cephcsi/cephcsi@sha256:{SHA[:12]}
          provisioner: registry.k8s.io/sig-storage/csi-provisioner:v6.2.0
        """
    finding = find(text, "operator.yaml")
    assert finding.found == [(5, "container", "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0")]
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(4, "not-a-digest")]


def test_components_a_merge_key_brings_are_read_where_they_are_written() -> None:
    """`<<: *sidecars` is no component name: the whole ConfigMap was passed over in silence."""
    finding = find(
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          sidecars: &sidecars {attacher: registry.k8s.io/sig-storage/csi-attacher:v4.10.0}
        data:
          <<: *sidecars
          plugin: quay.io/cephcsi/cephcsi:v3.17.0
        """,
        "operator.yaml",
    )
    assert finding.found == [
        (4, "container", "registry.k8s.io/sig-storage/csi-attacher:v4.10.0"),
        (7, "container", "quay.io/cephcsi/cephcsi:v3.17.0"),
    ]

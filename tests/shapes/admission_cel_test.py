"""Shape `cel` on inline YAML: the `image: "REF"` literals of a MutatingAdmissionPolicy's (and a
Kyverno MutatingPolicy's) CEL mutations, each at its own line and column, and what is left."""

from __future__ import annotations

from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all
from testing.shapes import find

SHA = "7e2c04dd50ede647bf4a7a4c8dbd629dd4971cd139b9b88fb22bfc3c7a6c13df"

# The volsync mover jitter that home-ops repositories share (kashalls/home-cluster,
# coolguy1771/home-ops, auricom/home-ops, ...): a folded block, an init container's image.
POLICY = """\
apiVersion: {api}
kind: {kind}
metadata:
  name: volsync-mover-jitter
spec:
  mutations:
    - patchType: JSONPatch
      jsonPatch:
        expression: {header}
          [
            JSONPatch{{
              op: "add", path: "/spec/template/spec/initContainers/-",
              value: Object.spec.template.spec.initContainers{{
                name: "jitter",
                image: "ghcr.io/home-operations/busybox:1.38.0@sha256:{sha}",
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "-c", "sleep $(shuf -i 0-30 -n 1)"]
              }}
            }}
          ]
"""


def policy(
    api: str = "admissionregistration.k8s.io/v1", kind: str = "MutatingAdmissionPolicy", header: str = ">-"
) -> str:
    return POLICY.format(api=api, kind=kind, header=header, sha=SHA)


def test_the_init_container_image_of_a_cel_mutation() -> None:
    """Folded (`>`, `>-`) or literal (`|`) alike; v1 and v1alpha1/v1beta1; Kyverno's own kind."""
    want = [(15, "container", f"ghcr.io/home-operations/busybox:1.38.0@sha256:{SHA}")]
    for header in (">-", ">", "|", "|-"):
        assert find(policy(header=header), "map.yaml").found == want
    assert find(policy(api="admissionregistration.k8s.io/v1alpha1"), "map.yaml").found == want
    assert find(policy(api="policies.kyverno.io/v1alpha1", kind="MutatingPolicy"), "mp.yaml").found == want


def test_its_line_and_column_are_the_literal_s() -> None:
    source = Source("map.yaml", policy())
    (ref,) = find_references(source, compose_all(source), [])
    assert (ref.line, ref.column(source)) == (15, 25)
    assert source.text[ref.node.start_mark.index : ref.node.end_mark.index] == str(ref.ref)


def test_an_apply_configuration_with_two_images() -> None:
    text = """\
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {name: sidecars}
spec:
  mutations:
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: >
          Object{
            spec: Object.spec{
              initContainers: [
                Object.spec.initContainers{name: "a", image: 'ghcr.io/acme/init:v1.0.0'},
                Object.spec.initContainers{name: "b", image: "ghcr.io/acme/proxy:2.1"}
              ]
            }
          }
"""
    assert find(text, "map.yaml").found == [
        (12, "container", "ghcr.io/acme/init:v1.0.0"),
        (13, "container", "ghcr.io/acme/proxy:2.1"),
    ]


def test_what_it_leaves() -> None:
    """An image without a tag or digest (nothing to move), `c.image` compared to a string, a
    `matchConditions` expression, another kind of object, and an expression in a quoted scalar
    whose escapes do not map one to one (an escape inside the literal, listed `escaped`; its
    quotes escaped, `\\"`, are read: tests/golden's mutating-admission-policy-cel-quoted-commented).
    A JSONPatch replacing a container's `/image` is the image the policy writes: read."""
    untagged = policy().replace(f"1.38.0@sha256:{SHA}", "").replace("busybox:", "busybox")
    assert find(untagged, "map.yaml").found == []
    text = """\
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: mirror}
spec:
  matchConditions:
    - name: grafana
      expression: 'object.spec.containers.exists(c, c.image == "docker.io/grafana/grafana:12.0.0")'
  mutations:
    - patchType: JSONPatch
      jsonPatch:
        expression: >-
          [JSONPatch{op: "replace", path: "/spec/containers/0/image",
            value: "mirror.gcr.io/grafana/grafana:12.0.0"}]
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: "Object{spec: Object.spec{containers: [
          Object.spec.containers{image: \\"ghcr.io/acme/app:\\x31.0\\"}]}}"
"""
    found, notes = find(text, "map.yaml")
    assert found == [(13, "container", "mirror.gcr.io/grafana/grafana:12.0.0")]
    assert [(line, value, reason.split(":")[0]) for line, _, value, reason in notes] == [
        (16, "ghcr.io/acme/app:1.0", "escaped")  # listed at the expression's line, never silent
    ]
    other = policy(kind="ValidatingAdmissionPolicy")
    assert find(other, "vap.yaml") == ([], [])
    assert find(policy(api="example.com/v1"), "x.yaml") == ([], [])


def test_the_value_of_a_json_patch_on_a_containers_image() -> None:
    """`JSONPatch{op, path, value: "REF"}` whose path's last literal ends in `/image` (Kyverno's
    update-image-tag sample builds it with `+ string(index) +`), in a folded, a double-quoted
    (its quotes escaped) and a single-quoted scalar. A path ending in `/imagePullPolicy`, another
    field's `/image` path are not read."""
    head = "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nspec:\n  mutations:\n"
    patch = 'JSONPatch{op: "replace", path: "/spec/containers/" + string(i) + "/image", value: "vault:1.5.4"}'
    folded = f"    - jsonPatch:\n        expression: >-\n          [{patch}]\n"
    quoted = '    - jsonPatch:\n        expression: "[' + patch.replace('"', '\\"') + ']"\n'
    single = "    - jsonPatch:\n        expression: '[" + patch.replace('"', "''") + "]'\n"
    found = find(head + folded + quoted + single, "mpol.yaml").found
    assert found == [
        (7, "container", "vault:1.5.4"),
        (9, "container", "vault:1.5.4"),
        (11, "container", "vault:1.5.4"),
    ]
    others = [
        'JSONPatch{op: "replace", path: "/spec/containers/0/imagePullPolicy", value: "ghcr.io/acme/a:v1"}',
        'JSONPatch{op: "add", value: "ghcr.io/acme/b:v1", path: "/spec/containers/0/imagePullPolicy"}',
        'JSONPatch{op: "add", path: "/metadata/labels/image", x: 1, value: "ghcr.io/acme/c:v1"}',
    ]
    text = head + "".join(f"    - jsonPatch:\n        expression: >-\n          [{o}]\n" for o in others)
    assert find(text, "mpol.yaml").found == []


def test_the_value_of_a_json_patch_written_before_its_path() -> None:
    """CEL's fields have no order: `JSONPatch{op, value: "REF", path: …/image}` sets the image as
    much as with the path first. It was passed over in silence; now read in each scalar style,
    and a `test` so written still compares and stays."""
    head = "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nspec:\n  mutations:\n"
    patch = 'JSONPatch{op: "replace", value: "vault:1.5.4", path: "/spec/containers/" + string(i) + "/image"}'
    folded = f"    - jsonPatch:\n        expression: >-\n          [{patch}]\n"
    quoted = '    - jsonPatch:\n        expression: "[' + patch.replace('"', '\\"') + ']"\n'
    single = "    - jsonPatch:\n        expression: '[" + patch.replace('"', "''") + "]'\n"
    tested = folded.replace('"replace"', '"test"')
    found = find(head + folded + quoted + single + tested, "mpol.yaml").found
    assert found == [
        (7, "container", "vault:1.5.4"),
        (9, "container", "vault:1.5.4"),
        (11, "container", "vault:1.5.4"),
    ]


def test_the_value_of_a_json_patch_with_its_op_between_value_and_path() -> None:
    """`JSONPatch{value: "REF", op: "replace", path: …/image}` and `{path, op, value}` set the
    image too: both were passed over in silence (scan listed nothing, a bump said `no file
    references`); a `test` so written still compares and stays."""
    head = "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nspec:\n  mutations:\n"
    patches = (
        'JSONPatch{value: "vault:1.5.4", op: "replace", path: "/spec/containers/" + string(i) + "/image"},'
        ' JSONPatch{path: "/spec/initContainers/0/image", op: "add", value: "vault:1.5.3"},'
        ' JSONPatch{value: "vault:1.5.2", op: "test", path: "/spec/containers/1/image"},'
        ' JSONPatch{path: "/spec/containers/1/image", op: "test", value: "vault:1.5.1"}'
    )
    folded = f"    - jsonPatch:\n        expression: >-\n          [{patches}]\n"
    quoted = '    - jsonPatch:\n        expression: "[' + patches.replace('"', '\\"') + ']"\n'
    found = find(head + folded + quoted, "mpol.yaml").found
    assert found == [
        (7, "container", "vault:1.5.4"),
        (7, "container", "vault:1.5.3"),
        (9, "container", "vault:1.5.4"),
        (9, "container", "vault:1.5.3"),
    ]


def test_a_json_patch_that_sets_no_image_is_not_read() -> None:
    """Only an `add` or `replace` JSONPatch writes its value, as in a kustomize JSON 6902 patch:
    a `test` before the replace compares the image the pod runs (moving it would make the patch
    wait for the new image, so it would never apply); its `op` is found before or after."""
    head = "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nspec:\n  mutations:\n"
    patches = (
        'JSONPatch{op: "test", path: "/spec/containers/0/image", value: "vault:1.5.4"},'
        ' JSONPatch{path: "/spec/containers/0/image", value: "vault:1.5.4", op: \'replace\'},'
        ' JSONPatch{path: "/spec/containers/0/image", value: "vault:1.5.3", op: "test"},'
        ' JSONPatch{op: variables.op, path: "/spec/initContainers/0/image", value: "vault:1.5.2"}'
    )
    text = f"{head}    - jsonPatch:\n        expression: >-\n          [{patches}]\n"
    source = Source("mpol.yaml", text)
    (ref,) = find_references(source, compose_all(source), [])
    assert (ref.line, ref.column(source), str(ref.ref)) == (7, 143, "vault:1.5.4")


def test_an_expression_used_again_through_an_alias_is_read_once() -> None:
    """Two mutations sharing one anchored expression: one text, so one reference (two would be
    two edits of the same bytes)."""
    text = policy().replace("expression: >-", "expression: &jitter >-") + (
        "    - patchType: JSONPatch\n      jsonPatch:\n        expression: *jitter\n"
    )
    assert find(text, "map.yaml").found == [
        (15, "container", f"ghcr.io/home-operations/busybox:1.38.0@sha256:{SHA}")
    ]


def test_a_container_written_as_a_cel_map() -> None:
    """kyverno/kyverno docs/perf-testing/v1.18.1/policies/mpol-complex.yaml: a JSONPatch `value`
    that is a CEL map, `{"name": "log-forwarder", "image": "busybox:latest"}` (aligned spaces
    kept); `'image'` in single quotes too."""
    text = policy(api="policies.kyverno.io/v1beta1", kind="MutatingPolicy").replace(
        f'image: "ghcr.io/home-operations/busybox:1.38.0@sha256:{SHA}"', '"image":   "busybox:latest"'
    )
    assert find(text, "mp.yaml").found == [(15, "container", "busybox:latest")]
    quoted = text.replace('"image":   "busybox:latest"', "'image': 'busybox:1.36'")
    assert find(quoted, "mp.yaml").found == [(15, "container", "busybox:1.36")]

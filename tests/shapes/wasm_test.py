"""Shape `wasm` on inline YAML: Istio's `WasmPlugin` `spec.url` and Envoy Gateway's
`EnvoyExtensionPolicy` Wasm code image, with and without `oci://`, and what each leaves."""

from __future__ import annotations

from testing.shapes import find

SHA = "a" * 64

POLICY = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata:
  name: eep
spec:
  wasm:
    - name: eep
      code:
        type: {kind}
        image:
          url: {url}
{extra}"""

PLUGIN = """\
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: basic-auth
spec:
  url: {url}
{extra}"""


def test_an_envoy_gateway_wasm_image() -> None:
    """ishioni/homelab-ops kubernetes/apps/network/envoy-gateway/config/eep.yaml: `oci://` stays,
    the tag moves; a url without a scheme is an image too, as is one pinned by digest."""
    text = POLICY.format(kind="Image", url="oci://ghcr.io/ishioni/eep:0.2.1", extra="")
    assert find(text, "eep.yaml").found == [(11, "container", "ghcr.io/ishioni/eep:0.2.1")]
    bare = POLICY.format(kind="Image", url=f"docker.io/envoyproxy/gateway-wasm:v1@sha256:{SHA}", extra="")
    assert find(bare, "eep.yaml").found == [
        (11, "container", f"docker.io/envoyproxy/gateway-wasm:v1@sha256:{SHA}")
    ]


def test_an_istio_wasm_plugin() -> None:
    text = PLUGIN.format(url="oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0", extra="")
    assert find(text, "plugin.yaml").found == [
        (6, "container", "ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0")
    ]


def test_what_it_leaves() -> None:
    """An HTTP or file module, an image without a tag (the registry's latest), a placeholder, a
    code of another type, a `url` of another kind of object: nothing to write. A `sha256` beside
    a tagged image is the checksum the pull is verified against: moving the tag alone would fail
    it, so the image is noted `checksum` and left."""
    assert find(PLUGIN.format(url="https://example.com/plugin.wasm", extra=""), "p.yaml") == ([], [])
    assert find(PLUGIN.format(url="file:///opt/plugin.wasm", extra=""), "p.yaml") == ([], [])
    assert find(PLUGIN.format(url="oci://ghcr.io/acme/plugin", extra=""), "p.yaml") == ([], [])
    assert find(PLUGIN.format(url="google.com", extra=""), "p.yaml") == ([], [])
    assert find(POLICY.format(kind="HTTP", url="oci://ghcr.io/acme/plugin:1.0", extra=""), "e.yaml") == (
        [],
        [],
    )
    other = "apiVersion: v1\nkind: ConfigMap\nspec:\n  url: oci://ghcr.io/acme/plugin:1.0\n"
    assert find(other, "c.yaml") == ([], [])
    placeholder = find(PLUGIN.format(url="oci://ghcr.io/acme/plugin:${VERSION}", extra=""), "p.yaml")
    assert placeholder.found == []
    assert [(n[0], n[3]) for n in placeholder.left] == [(6, "placeholder")]
    checked = find(PLUGIN.format(url="oci://ghcr.io/acme/plugin:1.0", extra=f"  sha256: {SHA}\n"), "p.yaml")
    assert checked.found == []
    assert [(n[0], n[3].split(":")[0]) for n in checked.left] == [(6, "checksum")]
    checked = find(
        POLICY.format(kind="Image", url="ghcr.io/acme/plugin:1.0", extra=f"          sha256: {SHA}\n"),
        "e.yaml",
    )
    assert [(n[0], n[3].split(":")[0]) for n in checked.left] == [(11, "checksum")]

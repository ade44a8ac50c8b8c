"""What a run searches a tree for: each REF's repository text, and Flux's marker and objects."""

from __future__ import annotations

import fnmatch

from bumper.image_ref import ImageRef
from bumper.plan.needles import (
    API_NEEDLE,
    HUB_NEEDLE,
    MANIFEST_NAME_GLOBS,
    MARKER_NEEDLE,
    PARAMETER_HUB_NEEDLE,
    escape_needles,
    escaped_mention,
    fold_needles,
    needles,
    says_hub,
    says_split,
    split_needles,
)


def test_each_ref_and_the_flux_needles() -> None:
    refs = [ImageRef.parse("ghcr.io/acme/app:v2"), ImageRef.parse("nginx:1.27")]
    found = needles(refs, policies_given=False)
    escapes = escape_needles([b"acme/app", b"nginx"]) + fold_needles([b"acme/app", b"acme\\/app", b"nginx"])
    # a REF in a namespace (acme/app) also reads the files saying `hub:` (Istio's hub + tag), or
    # naming an Argo CD parameter `global.hub`, and the files saying `image: app` (a values map
    # may name acme/app `repository: acme` + `image: app`)
    rest = found[: -len(escapes)]
    assert rest[-7:-3] == (MARKER_NEEDLE, API_NEEDLE, HUB_NEEDLE, PARAMETER_HUB_NEEDLE)
    assert rest[-3:] == (b"image: app", b'image: "app"', b"image: 'app'")
    assert all(isinstance(n, bytes) and n for n in found)
    # and a REF's path as a JSON encoder writes it in a double-quoted scalar (`acme\/app`)
    assert found[:3] == (b"acme/app", b"acme\\/app", b"nginx") and len(found) == 10 + len(escapes)
    # and each escape a double-quoted scalar may spell a character of a name with (`acme\u002fapp`),
    # and each start of a name before an escaped line break (`acme/\` ending a line)
    assert found[-len(escapes) :] == escapes


def test_a_name_broken_by_an_escaped_line_break_is_found_and_mentioned() -> None:
    found = fold_needles([b"acme/app"])
    assert b"acme/\\" in found and b"ac\\" in found and b'"a\\' in found and b"/a\\" in found
    assert b"a\\" not in found and b"acme/app\\" not in found  # any `\n` after an a; the whole name
    assert not any(b"\n" in needle for needle in found)  # grep reads lines: no needle spans one
    assert escaped_mention('image: "ghcr.io/acme/\\\n    app:v1"\n', ["acme/app"])
    assert escaped_mention('image: "ghcr.io/ac\\\r\n  me/app:v1"\r\n', ["acme/app"])
    assert not escaped_mention('image: "ghcr.io/acme/\\\n    app2:v1"\n', ["acme/app2x"])


def test_escape_needles_spell_each_character_of_the_names_in_either_case() -> None:
    found = escape_needles([b"acme/app", b"nginx"])
    for text in ("\\x2f", "\\x2F", "\\u002f", "\\u002F", "\\U0000002f", "\\x61", "\\u006e", "\\U00000078"):
        assert text.encode() in found, text
    assert b"\\x41" not in found and b"\\u0041" not in found  # `A` is in neither name
    assert len(found) == len(set(found))


def test_a_path_spelled_apart_is_read_where_both_parts_are() -> None:
    """kubefed's chart runs `repository/image:tag`: `repository: kubespheredev` + `image: kubefed`
    never holds `kubespheredev/kubefed`. grep lists the files saying `image: kubefed`; only those
    also saying `repository: kubespheredev` (or `…/kubespheredev`) are parsed."""
    refs = [ImageRef.parse("kubespheredev/kubefed:v0.8.2"), ImageRef.parse("nginx:1.27")]
    assert b"image: kubefed" in needles(refs, policies_given=False)
    split = split_needles(refs)
    assert split == ((b"kubespheredev", b"kubefed"),)
    assert says_split("controller:\n  repository: kubespheredev\n  image: kubefed\n", split)
    assert says_split("- repository: 'quay.io/kubespheredev'  # mirror\n  image: \"kubefed\"\n", split)
    assert not says_split("controller:\n  repository: kubespheredev\n  image: tower\n", split)
    assert not says_split("# kubespheredev\nimage: kubefed\n", split)
    assert not says_split("repository: kubespheredev\nname: kubefed\n", split)
    # either word written with a YAML escape (`scan` reads it as YAML does)
    assert says_split('repository: "kube\\x73pheredev"\nimage: kubefed\n', split)
    assert says_split('repository: kubespheredev\nimage: "kube\\u0066ed"\n', split)
    assert b"\\x66" in needles(refs, policies_given=False)  # such a file is searched for


def test_only_a_ref_in_a_namespace_reads_the_files_saying_hub() -> None:
    """Docker Hub's library images (`nginx`) and chart REFs have no Istio hub."""
    assert HUB_NEEDLE not in needles([ImageRef.parse("nginx:1.27")], policies_given=True)
    assert HUB_NEEDLE in needles([ImageRef.parse("docker.io/istio/pilot:1.21.0")], policies_given=True)


def test_given_image_policies_need_no_imagepolicy_objects() -> None:
    assert needles([], policies_given=True) == (MARKER_NEEDLE,)


def test_the_name_globs_match_what_a_manifest_is_called() -> None:
    def matches(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, glob) for glob in MANIFEST_NAME_GLOBS)

    assert all(matches(n) for n in ("a.yaml", "b.yml", "kustomization.yaml", "Kustomization"))
    assert not any(matches(n) for n in ("a.json", "README.md", "values.yaml.bak", "kustomization"))


def test_a_hub_key_is_one_after_an_indent_a_brace_or_a_comma_never_inside_a_longer_word() -> None:
    assert says_hub("hub: docker.io/istio\ntag: 1.20.0\n")
    assert says_hub("global:\n  hub: docker.io/istio\n")
    assert says_hub("global: {tag: 1.20.0, hub: docker.io/istio}\n")
    assert says_hub("global: {hub: docker.io/istio}\n")
    # an ApplicationSet CRD's schema says `github:` hundreds of times, and no hub
    assert not says_hub("properties:\n  github:\n    type: object\n  dockerhub: {}\n")
    # an Argo CD Application's `helm.parameters`: the hub's path, not a longer word
    assert says_hub("      parameters:\n        - name: global.hub\n          value: docker.io/istio\n")
    assert says_hub('parameters: [{name: "pilot.hub", value: docker.io/istio}]\n')
    assert not says_hub("url: https://docker.hub.io/x\nname: cilium.hubble\n")


def test_a_name_spelled_with_escapes_is_mentioned_once_they_are_read() -> None:
    assert escaped_mention('image: "ghcr.io\\/acme\\u002fapp:v1"', ["acme/app"])
    assert escaped_mention('image: "ghcr.io/\\x61cme/app:v1"', ["acme/app"])
    assert escaped_mention('image: "ghcr.io/acme\\U0000002fapp:v1"', ["acme/app"])
    assert not escaped_mention('image: "ghcr.io/acme/\\u0061pp2"', ["acme/ap2"])
    assert not escaped_mention("image: ghcr.io/acme/app:v1", ["acme/app"])  # no escape: the plain needle's
    assert not escaped_mention('x: "\\UFFFFFFFF acme"', ["acme/app"])  # past Unicode: kept as written

"""The names of bot branches: image sets that spell alike share a default name, and each set's
twin (bumper/remote/naming.py) is its own."""

from __future__ import annotations

import pytest

from bumper.chart_ref import parse_ref
from bumper.git.refname import MAX_BRANCH_LEN, validate_branch_name
from bumper.image_ref import ImageRef
from bumper.remote.branch import default_bot_branch
from bumper.remote.naming import names_another_set, twin_name

ALIKE = [
    ["ghcr.io/acme/app-x", "ghcr.io/acme-app/x", "ghcr.io/acme/app/x"],  # '/' and '-' read alike
    ["registry.local:5000/app", "registry.local-5000/app"],  # a port
    ["ghcr.io/acme/x_ghcr.io-acme-y", "ghcr.io/acme/x ghcr.io/acme/y"],  # several images joined by '_'
    ["Registry.Example.com/app", "registry.example.com/app"],  # hosts are read without case
]


@pytest.mark.parametrize("family", ALIKE, ids=lambda f: f[0])
def test_alike_image_sets_share_the_default_name_and_never_a_twin(family: list[str]) -> None:
    sets = [[ImageRef.parse(f"{image}:1.0") for image in member.split()] for member in family]
    keys = [sorted({r.key for r in refs}) for refs in sets]
    [name] = {default_bot_branch(refs, None) for refs in sets}
    twins = {twin_name(name, k) for k in keys}
    assert name not in twins
    assert len(twins) == len({tuple(k) for k in keys})  # one twin per image set


def test_a_twin_is_the_default_name_and_eight_hex_of_the_set_in_any_order() -> None:
    name = "bumper/ghcr.io-acme-x_ghcr.io-acme-y"
    twin = twin_name(name, ["ghcr.io/acme/y", "ghcr.io/acme/x"])
    assert twin == twin_name(name, ["ghcr.io/acme/x", "ghcr.io/acme/y", "ghcr.io/acme/x"])
    assert twin.startswith(name + "-") and len(twin) == len(name) + 9
    assert all(c in "0123456789abcdef" for c in twin[-8:])


def test_a_twin_of_a_name_near_the_length_limit_is_still_a_valid_branch() -> None:
    for length in (190, 191, 199, 200):
        name = ("bumper/" + "release/" * 30)[: length - 4] + "/app"
        name = name.replace("//", "/")
        twin = twin_name(name, ["ghcr.io/acme/app"])
        validate_branch_name(twin)
        assert len(twin) <= MAX_BRANCH_LEN and twin != name


def test_a_docker_hub_chart_branch_an_older_bumper_made_is_still_the_sets_own() -> None:
    """Before Docker Hub's two OCI names were one chart key, a REF `oci://docker.io/...` wrote
    its own spelling in the bot branch's Bumper-Images trailer. The key is now
    `oci://registry-1.docker.io/...`: that branch is still the set's (a twin would open a second
    pull request), and the branch's default name, spelled from the REF, is the one it had."""
    ref = parse_ref("oci://docker.io/envoyproxy/gateway-helm:v1.3.1")
    assert default_bot_branch([ref], None) == "bumper/oci-docker.io-envoyproxy-gateway-helm"
    older = (
        "Bump oci://docker.io/envoyproxy/gateway-helm to v1.3.0\n\n"
        "Bumper-Branch: bumper/oci-docker.io-envoyproxy-gateway-helm\n"
        "Bumper-Images: oci://docker.io/envoyproxy/gateway-helm\n"
    )
    assert not names_another_set(older, frozenset({ref.key}))
    other = older.replace("envoyproxy/gateway-helm\n", "envoyproxy/other\n")
    assert names_another_set(other, frozenset({ref.key}))

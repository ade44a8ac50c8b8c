"""Shape `helm` on inline YAML: a values map naming an image beside a tag key; the tag is bumped."""

from __future__ import annotations

import pytest

from testing.shapes import find

SHA = "b" * 64


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("image:\n  repository: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("image:\n  registry: ghcr.io\n  repository: acme/app\n  tag: v1\n", [(4, "ghcr.io/acme/app:v1")]),
        ("image:\n  repository: ghcr.io/acme/app\n  imageTag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("image:\n  repository: ghcr.io/acme/app\n  version: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("app:\n  image: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        ("app:\n  name: ghcr.io/acme/app\n  tag: v1\n", [(3, "ghcr.io/acme/app:v1")]),
        # a plain number is the tag as written; an empty tag is a place to write one
        ("image:\n  repository: nginx\n  tag: 1.25\n", [(3, "nginx:1.25")]),
        ("image:\n  repository: nginx\n  tag:\n", [(3, "nginx")]),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1@sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        # the digest key spelled as the tag key is: the chart runs IMAGE:TAG@DIGEST
        (
            f"app:\n  image: ghcr.io/acme/app\n  imageTag: v1\n  imageDigest: sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  imageTag: v1\n  imageDigest: sha256:{SHA}\n",
            [(3, f"ghcr.io/acme/app:v1@sha256:{SHA}")],
        ),
        # democratic-csi runs `registry:tag`: a registry naming a path is the repository
        (
            "image:\n  registry: registry.k8s.io/sig-storage/csi-provisioner\n  tag: v5.3.0\n",
            [(3, "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0")],
        ),
        (
            "image:\n  registry: democraticcsi/democratic-csi\n  tag: v1.9.3\n",
            [(3, "democraticcsi/democratic-csi:v1.9.3")],
        ),
    ],
    ids=[
        "repository",
        "registry",
        "imageTag",
        "version",
        "image-key",
        "name-key",
        "number",
        "empty",
        "digest",
        "digest-in-tag",
        "imageDigest-beside-image",
        "imageDigest-beside-repository",
        "registry-holds-the-path",
        "registry-holds-a-docker-hub-path",
    ],
)
def test_what_a_values_map_holds(text: str, found: list[tuple[int, str]]) -> None:
    assert find(text).found == [(line, "helm", value) for line, value in found]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # 0hlov3's elk-frontend chart runs `repository/image:tag`: the host and the path apart
        (
            "image:\n  repository: ghcr.io\n  image: elk-zone/elk\n  tag: main\n",
            (4, "ghcr.io/elk-zone/elk:main"),
        ),
        (
            "image:\n  repository: registry.local:5000\n  image: elk\n  tag: v1\n",
            (4, "registry.local:5000/elk:v1"),
        ),
        # kubefed's chart runs `repository/image:tag` too: a namespace, or a host and a path
        (
            "controller:\n  repository: kubespheredev\n  image: kubefed\n  tag: v1\n",
            (4, "kubespheredev/kubefed:v1"),
        ),
        (
            "controller:\n  repository: quay.io/kubernetes-multicluster\n  image: kubefed\n  tag: canary\n",
            (4, "quay.io/kubernetes-multicluster/kubefed:canary"),
        ),
        # an `image` that is no path alone: read as before
        (
            "image:\n  repository: ghcr.io\n  image: quay.io/acme/app\n  tag: v1\n",
            (4, "ghcr.io:v1"),
        ),
        ("image:\n  repository: ghcr.io\n  image: acme/app:v2\n  tag: v1\n", (4, "ghcr.io:v1")),
        (
            "image:\n  registry: quay.io\n  repository: ghcr.io\n  image: acme/app\n  tag: v1\n",
            (5, "quay.io/ghcr.io:v1"),
        ),
    ],
    ids=[
        "host-and-path",
        "host-with-port",
        "namespace",
        "host-and-namespace",
        "image-with-host",
        "image-with-tag",
        "registry-beside",
    ],
)
def test_a_repository_beside_an_image_path(text: str, found: tuple[int, str]) -> None:
    """`{repository: FIRST, image: PATH, tag: T}` names FIRST/PATH:T, FIRST a host, a namespace
    or both; a map whose `image` has a tag, digest or host, or beside a `registry`, is read as it
    was (what a chart makes of it is not known)."""
    assert [(line, value) for line, shape, value in find(text).found if shape == "helm"] == [found]


def test_a_merge_key_brings_the_repository_and_the_tag_is_written_once() -> None:
    finding = find(
        """\
        base: &base
          repository: ghcr.io/acme/app
          tag: v1
        api:
          <<: *base
        web:
          <<: *base
          pullPolicy: Always
        """
    )
    assert finding.found == [(3, "helm", "ghcr.io/acme/app:v1")]


def test_a_merge_key_without_a_tag_leaves_the_image_whole() -> None:
    # argoproj-labs/argocd-autopilot build/sanity.yml: a Codefresh step merging another's
    # settings says its own `image:` without a tag; it was claimed as a values map's image and
    # read nowhere, so a bump passed it over in silence
    finding = find(
        """\
        prep: &deps
          image: quay.io/codefresh/golang-ci-helper:1.25
        clean:
          <<: *deps
          image: 'codefresh/kube-helm'
        app:
          <<: *deps
          repository: ghcr.io/acme/app
          image: app
        """
    )
    assert finding.found == [
        (2, "container", "quay.io/codefresh/golang-ci-helper:1.25"),
        (5, "container", "codefresh/kube-helm"),
    ]


@pytest.mark.parametrize(
    ("text", "left"),
    [
        # a chart's `name`/`version`, a CI checkout: no image
        ("dependencies:\n  - name: redis\n    version: 1.2.3\n", []),
        ("with:\n  repository: acme/app\n  ref: main\n", []),
        # a registry host alone names no image; `version` beside a registry is no image's tag
        ("global:\n  registry: ghcr.io\n  tag: v1\n", []),
        ("global:\n  registry: registry.k8s.io/\n  tag: v1\n", []),
        ("release:\n  registry: ghcr.io/acme/charts\n  version: 1.2.3\n", []),
        ("image:\n  repository: ghcr.io/acme/app\n  tag: $TAG\n", [(3, "$TAG", "placeholder")]),
        ("image:\n  repository: ghcr.io/acme/app\n", [(2, "ghcr.io/acme/app", "no-tag-field")]),
        # szinn/k8s-homelab's 1Password Connect HelmRelease: `imageRepository` and no tag key
        (
            "api:\n  httpPort: 8436\n  imageRepository: ghcr.io/1password/connect-api\n",
            [(3, "ghcr.io/1password/connect-api", "no-tag-field")],
        ),
        (
            "api:\n  imageRegistry: ghcr.io\n  imageRepository: acme/api\n",
            [(3, "ghcr.io/acme/api", "no-tag-field")],
        ),
        (
            "image:\n  repository: ghcr.io/acme/app\n  tag: v1\n  digest: latest\n",
            [(4, "latest", "not-a-digest")],
        ),
        (
            f"image:\n  repository: ghcr.io/acme/app\n  tag: v1@sha256:{SHA}\n  digest: sha256:{SHA}\n",
            [(3, f"v1@sha256:{SHA}", "two-digests")],
        ),
        # `Repository` beside `repository`, `Tag` beside `tag`: one key but for case, the chart reads one
        ("Repository: ghcr.io/acme/app\nrepository: ghcr.io/acme/app\nTag: v1\n", [(3, "v1", "ambiguous")]),
        ("Repository: ghcr.io/acme/app\nTag: v1\ntag: v1\n", [(3, "v1", "ambiguous")]),
    ],
    ids=[
        "chart-dependency",
        "ci-checkout",
        "registry-host-alone",
        "registry-host-slash",
        "registry-beside-version",
        "placeholder",
        "no-tag-field",
        "image-repository-no-tag-field",
        "image-registry-and-repository-no-tag-field",
        "not-a-digest",
        "two-digests",
        "capitalised-repository-twice",
        "capitalised-tag-twice",
    ],
)
def test_what_it_leaves_and_why(text: str, left: list[tuple[int, str, str]]) -> None:
    finding = find(text)
    assert finding.found == []
    assert [(line, value, reason.split(":")[0]) for line, _, value, reason in finding.left] == left


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # stable/consul, stable/spark: `Image` + `ImageTag`
        ('Image: "consul"\nImageTag: "1.5.3"\n', [(2, "helm", "consul:1.5.3")]),
        ("Master:\n  Image: k8s.gcr.io/spark\n  Tag: 1.5.1_v3\n", [(3, "helm", "k8s.gcr.io/spark:1.5.1_v3")]),
        # stable/sonatype-nexus: `imageName` + `imageTag`; registry + repository + tag keys
        (
            "nexus:\n  imageName: sonatype/nexus3\n  imageTag: 3.20.1\n",
            [(3, "helm", "sonatype/nexus3:3.20.1")],
        ),
        (
            "api:\n  imageRegistry: ghcr.io\n  imageRepository: acme/api\n  imageTag: v1\n",
            [(4, "helm", "ghcr.io/acme/api:v1")],
        ),
        # a prefix: stable/neo4j's `testImage` + `testImageTag`, Helm's `redisImage` + `redisTag`
        (
            'testImage: "ghcr.io/acme/kubectl"\ntestImageTag: "master"\n',
            [(2, "helm", "ghcr.io/acme/kubectl:master")],
        ),
        ("redisImage: redis\nredisTag: 7.2.4\n", [(2, "helm", "redis:7.2.4")]),
        ("apiImageRepository: ghcr.io/acme/app\napiImageTag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        # snake case
        ("server_image: ghcr.io/acme/app\nserver_tag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        ("pod_image: ghcr.io/acme/app\npod_image_version: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        ("image: ghcr.io/acme/app\nimage_tag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        # two pairs and a values map in one mapping: each its own reference
        (
            "image: neo4j\nimageTag: '4.0'\ntestImage: ghcr.io/acme/k\ntestImageTag: v1\n",
            [(2, "helm", "neo4j:4.0"), (4, "helm", "ghcr.io/acme/k:v1")],
        ),
        # an image key holding a whole reference stays the container shape's; the sibling is
        # not known to be its tag and is left alone
        ("redisImage: ghcr.io/acme/redis:7\nredisTag: '7'\n", [(1, "container", "ghcr.io/acme/redis:7")]),
        # no sibling tag key, or one of another stem: a name alone under a key other than
        # `image` is not a reference to pin (container's `no-tag`, left alone)
        ("sidecarImage: ghcr.io/acme/app\nsidecarPullPolicy: Always\n", []),
        ("redisImage: ghcr.io/acme/redis\nlatestTag: v1\n", []),
        # `image:` alone runs :latest and is pinned
        ("image: ghcr.io/acme/app\npullPolicy: Always\n", [(1, "container", "ghcr.io/acme/app")]),
        # a component's `name:` beside a split image key names no image; `imageName` + `tag`
        # (stable/sonatype-nexus) is read as `imageName` + `imageTag` is
        ("name: redis\nimageName: quay.io/acme/redis\ntag: '7'\n", [(3, "helm", "quay.io/acme/redis:7")]),
        (
            "name: redis\nimageRepository: quay.io/acme/redis\nimageTag: '7'\n",
            [(3, "helm", "quay.io/acme/redis:7")],
        ),
        # ... a split key without its tag key beside it leaves `name` + `tag` as before
        ("name: ghcr.io/acme/app\ntag: v1\nlogoImage: img/logo.png\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        # keys spelled but for case: read as the pair they spell (the tagless image is never pinned)
        ("image: ghcr.io/acme/app\nImageTag: '1.2'\n", [(2, "helm", "ghcr.io/acme/app:1.2")]),
        ("image: ghcr.io/acme/app\nimagetag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        ("image: ghcr.io/acme/app\nIMAGE_TAG: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        ("Image: ghcr.io/acme/app\nimageTag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        ("ImageName: ghcr.io/acme/app\nImageTag: v1\n", [(2, "helm", "ghcr.io/acme/app:v1")]),
        (
            "ImageRegistry: ghcr.io\nImageRepository: acme/app\nImageTag: v1\n",
            [(3, "helm", "ghcr.io/acme/app:v1")],
        ),
        # `Repository` + `Tag` (with `Registry`): read as `repository` + `tag` are (it was passed over)
        ("image:\n  Repository: ghcr.io/acme/app\n  Tag: v1\n", [(3, "helm", "ghcr.io/acme/app:v1")]),
        (
            "Registry: ghcr.io\nRepository: acme/app\nTag: v1\nPullPolicy: Always\n",
            [(3, "helm", "ghcr.io/acme/app:v1")],
        ),
        # ... the exact spelling wins over a case variant; `Version` is no tag key (a common word)
        ("image: ghcr.io/acme/app\nImageTag: v2\nimage_tag: v1\n", [(3, "helm", "ghcr.io/acme/app:v1")]),
        ("image: ghcr.io/acme/app\nVersion: v1\n", [(1, "container", "ghcr.io/acme/app")]),
        # ... an image key in capitals alone is an environment variable's: not read
        ("IMAGE: ghcr.io/acme/app\nIMAGE_TAG: v1\n", []),
    ],
)
def test_an_image_key_and_its_sibling_tag_key_are_one_reference(
    text: str, found: list[tuple[int, str, str]]
) -> None:
    assert find(text).found == found


def test_a_split_pair_spelled_but_for_case_moves_its_digest_key_too() -> None:
    """`ImageDigest` beside `image` + `ImageTag` is the pair's digest: moved with the tag, so a
    REF without a digest is refused there rather than leaving the old digest under a new tag."""
    digest = "sha256:" + "0" * 64
    finding = find(f"image: ghcr.io/acme/app\nImageTag: v1\nImageDigest: {digest}\n")
    assert finding.found == [(2, "helm", f"ghcr.io/acme/app:v1@{digest}")]


def test_a_split_pair_whose_tag_is_left_alone_never_gets_a_tag_appended_to_its_image_key() -> None:
    finding = find("testImage: ghcr.io/acme/app\ntestImageTag: ${TAG}\n")
    assert finding.found == []
    assert finding.left == [(2, "helm", "${TAG}", "placeholder")]


def test_a_map_reaching_any_value_of_an_ambiguous_map_through_an_anchor_is_left_alone() -> None:
    """The ambiguous map's tag, digest or name reached through an alias by another map's
    reference (`digest: *pin`, `image: *repo`): editing it would move the map bumper left alone,
    so that reference is left alone too, `ambiguous`, naming what it shares."""
    sha = "a" * 64
    text = f"""\
        web:
          image: &repo ghcr.io/acme/web
          imageTag: v1.0.0
          ImageTag: v1.0.1
          imageDigest: &pin sha256:{sha}
        api:
          repository: ghcr.io/acme/api
          tag: v1.0.0
          digest: *pin
        other:
          image: *repo
        job:
          repository: ghcr.io/acme/job
          tag: v3.0.0
        """
    finding = find(text)
    assert finding.found == [(14, "helm", "ghcr.io/acme/job:v3.0.0")]
    # the alias `image: *repo` is reported where its anchor is (line 2), as every alias is
    assert [(n[0], n[3].split(",")[0]) for n in finding.left] == [
        (2, "ambiguous: the value is also the `image` of another map"),
        (3, "ambiguous: the map says `imageTag` and `ImageTag`"),
        (8, "ambiguous: the value is also the `imageDigest` of another map"),
    ]

"""Shape `joined_tag` on inline YAML: an untagged `image: REPO` whose chart appends the version
of `imageVersion`/`imageTag` (beside it, or in the map above its map) is noted, never read as a
reference a tag may be appended to; what it leaves to the other shapes."""

from __future__ import annotations

from testing.shapes import find


def test_images_under_a_version_key_are_noted() -> None:
    """kubecost's cost-analyzer values (aws-samples/eks-blueprints-add-ons): `imageVersion` over
    the frontend's and the model's maps. `image` + `image_tag` in one map is the helm shape's split
    pair (its tag moves), not joined here."""
    text = """\
        cost-analyzer:
          imageVersion: prod-1.100.2
          kubecostFrontend:
            image: public.ecr.aws/kubecost/frontend
          kubecostModel:
            image: public.ecr.aws/kubecost/cost-model
        sidecar:
          image: ghcr.io/acme/sidecar
          image_tag: v1.0.0
        """
    finding = find(text, "values.yaml")
    assert [(n[0], n[1], n[2]) for n in finding.found] == [(9, "helm", "ghcr.io/acme/sidecar:v1.0.0")]
    assert [(n[0], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (4, "public.ecr.aws/kubecost/frontend", "tag-elsewhere"),
        (6, "public.ecr.aws/kubecost/cost-model", "tag-elsewhere"),
    ]
    assert "`imageVersion` (line 2)" in finding.left[0][3]
    assert '# {"$bumper": "public.ecr.aws/kubecost/frontend:tag"}' in finding.left[0][3]


def test_what_it_leaves_to_the_other_shapes() -> None:
    """A whole reference under the version key runs as written (read as always); `image` +
    `imageTag` in one map is the helm shape's (the tag moves); an image two maps down, `tag` or
    `version` higher up (Istio's `global.tag`), or no version key at all: not joined here."""
    text = """\
        imageVersion: prod-1.100.2
        frontend:
          image: public.ecr.aws/kubecost/frontend:prod-1.100.2
        proxy:
          image: ghcr.io/acme/proxy
          imageTag: v2.0.0
        deep:
          inner:
            image: ghcr.io/acme/deep
        global:
          tag: 1.20.0
          pilot:
            image: ghcr.io/acme/pilot
        """
    assert find(text, "values.yaml").found == [
        (3, "container", "public.ecr.aws/kubecost/frontend:prod-1.100.2"),
        (6, "helm", "ghcr.io/acme/proxy:v2.0.0"),
        (9, "container", "ghcr.io/acme/deep"),
        (13, "container", "ghcr.io/acme/pilot"),
    ]

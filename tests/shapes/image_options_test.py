"""Shape `kubeflow` (image_options.py) on inline YAML: the spawner form `{value, options}`."""

from __future__ import annotations

from testing.shapes import find

SHA = "a" * 64


def test_the_default_and_every_option_with_a_tag_or_digest() -> None:
    text = f"""\
        spawnerFormDefaults:
          image:
            value: ghcr.io/kubeflow/notebook-servers/jupyter-scipy:v1.10.0
            options:
            - ghcr.io/kubeflow/notebook-servers/jupyter-scipy:v1.10.0
            - "ghcr.io/kubeflow/notebook-servers/jupyter-pytorch-full@sha256:{SHA}"
            - ghcr.io/kubeflow/notebook-servers/untagged
            - ghcr.io/acme/a:v1 ghcr.io/acme/b:v1
          imageGroupOne: {{readOnly: true, value: ghcr.io/kf/cs:v1, options: [ghcr.io/kf/cs:v1]}}
          imagePullPolicy:
            value: IfNotPresent
        """
    finding = find(text, "spawner_ui_config.yaml")
    assert finding.found == [
        (3, "container", "ghcr.io/kubeflow/notebook-servers/jupyter-scipy:v1.10.0"),
        (5, "container", "ghcr.io/kubeflow/notebook-servers/jupyter-scipy:v1.10.0"),
        (6, "container", f"ghcr.io/kubeflow/notebook-servers/jupyter-pytorch-full@sha256:{SHA}"),
        (9, "container", "ghcr.io/kf/cs:v1"),
        (9, "container", "ghcr.io/kf/cs:v1"),
    ]
    assert finding.left == []


def test_an_image_offered_at_several_tags_is_left_alone_with_its_default() -> None:
    """Two versions of one image in the dropdown are the users' choice: neither is moved, nor the
    default naming one of them; another image of the same list moves."""
    text = """\
        image:
          value: ghcr.io/acme/nb:v2
          options:
          - ghcr.io/acme/nb:v1
          - ghcr.io/acme/nb:v2
          - ghcr.io/acme/other:v1
        """
    finding = find(text)
    assert finding.found == [(6, "container", "ghcr.io/acme/other:v1")]
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [
        (2, "several-tags"),
        (4, "several-tags"),
        (5, "several-tags"),
    ]


def test_one_version_in_two_variants_is_no_choice_of_version() -> None:
    """`nb:v1.8.0` and `nb:v1.8.0-cuda` offer one version in two variants: each is read (a REF of
    its variant moves it); they were listed `several-tags` and left alone. Two versions of one
    variant beside them are still the users' choice."""
    text = """\
        image:
          value: ghcr.io/acme/nb:v1.8.0
          options:
          - ghcr.io/acme/nb:v1.8.0
          - ghcr.io/acme/nb:v1.8.0-cuda
          - ghcr.io/acme/lab:v2-cuda12.2
          - ghcr.io/acme/lab:v3-cuda12.2
          - ghcr.io/acme/lab:v3
        """
    finding = find(text)
    assert finding.found == [
        (2, "container", "ghcr.io/acme/nb:v1.8.0"),
        (4, "container", "ghcr.io/acme/nb:v1.8.0"),
        (5, "container", "ghcr.io/acme/nb:v1.8.0-cuda"),
        (8, "container", "ghcr.io/acme/lab:v3"),
    ]
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(6, "several-tags"), (7, "several-tags")]


def test_only_the_forms_keys_and_fields() -> None:
    """A map with another field (an env entry's `name`, a `hidden:`), under another key
    (`defaults:`), or a placeholder option is no choice to move (the placeholder is noted)."""
    text = """\
        image: {value: ghcr.io/acme/nb:v1, options: [ghcr.io/acme/nb:v1], hidden: true}
        defaults: {value: ghcr.io/acme/nb:v1, options: [ghcr.io/acme/nb:v1]}
        imageGroupTwo:
          options: [ghcr.io/acme/nb:$TAG]
        """
    finding = find(text)
    assert finding.found == []
    assert [(n[0], n[3]) for n in finding.left] == [(4, "placeholder")]

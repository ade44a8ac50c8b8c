"""Shape `container` on inline YAML: a scalar under `image` (or a key ending in `Image`/`image`)."""

from __future__ import annotations

from testing.shapes import find

SHA = "a" * 64


def test_every_container_of_a_workload() -> None:
    assert find(
        """\
        apiVersion: batch/v1
        kind: CronJob
        spec:
          jobTemplate:
            spec:
              template:
                spec:
                  initContainers:
                    - name: migrate
                      image: ghcr.io/acme/migrate:v1
                  containers:
                    - name: app
                      image: nginx:1.25
        """,
        "cron.yaml",
    ).found == [(10, "container", "ghcr.io/acme/migrate:v1"), (13, "container", "nginx:1.25")]


def test_docker_compose_and_an_image_without_a_tag() -> None:
    found = find("services:\n  web:\n    image: ghcr.io/acme/web\n  db:\n    image: postgres:16\n").found
    assert found == [(3, "container", "ghcr.io/acme/web"), (5, "container", "postgres:16")]


def test_other_image_keys_need_a_tag_or_digest() -> None:
    """`sidecarImage: x:1` is a reference; `baseImage: none` is a word; a file path is no image
    (external-secrets/external-secrets hack/api-docs/mkdocs.yml: `Using Latest Image: guides/…`);
    a registry host without a tag or digest names an image, but not its version (the program
    may take the tag from a field beside it): listed as `no-tag`, never given a tag."""
    finding = find(
        "sidecarImage: ghcr.io/acme/side:1.0\ninit_image: busybox:1.36\nbaseImage: none\nlogoImage: logo\n"
        "helperImage: registry.local:5000/team/helper\nbannerImage: img/banner.png\n"
        "nav:\n  - Using Latest Image: guides/using-latest-image.md\n"
    )
    assert finding.found == [
        (1, "container", "ghcr.io/acme/side:1.0"),
        (2, "container", "busybox:1.36"),
    ]
    assert [(n[0], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (5, "registry.local:5000/team/helper", "no-tag")
    ]


def test_a_name_without_a_tag_beside_its_tag_variable_is_never_given_one() -> None:
    """`RUNNER_IMAGE: ghcr.io/acme/runner` beside `RUNNER_TAG: v1` (an env entry, a map key, a
    `*Image` value): the program runs `$RUNNER_IMAGE:$RUNNER_TAG`, so a tag written into the name
    would run `runner:v2:v1`. Listed, left alone; `image:` alone is pinned (it runs :latest), and a
    marker on the line still says to write the whole reference there."""
    finding = find(
        """\
        env:
          - {name: RUNNER_IMAGE, value: ghcr.io/acme/runner}
          - {name: RUNNER_TAG, value: v1.2.0}
        data:
          RUNNER_IMAGE: ghcr.io/acme/runner
          runnerImage: ghcr.io/acme/runner
          JOB_IMAGE: ghcr.io/acme/runner # {"$bumper": "ghcr.io/acme/runner"}
          image: ghcr.io/acme/runner
        """
    )
    assert finding.found == [(7, "marker", "ghcr.io/acme/runner"), (8, "container", "ghcr.io/acme/runner")]
    assert [(n[0], n[3].split(":")[0]) for n in finding.left] == [(2, "no-tag"), (5, "no-tag"), (6, "no-tag")]


def test_a_file_name_is_no_image_without_a_tag() -> None:
    """A page's picture (`heroImage: cdn.example.com/hero.webp`) names a registry-like host but
    is a file; with a tag it is a reference whatever its name says."""
    found = find(
        "heroImage: cdn.example.com/hero.webp\nsite:\n  image: cdn.example.com/assets/logo.png\n"
        "pages:\n  image: docs.example.com/index.html\n"
        "sidecarImage: cdn.example.com/hero.webp:2\nimage: registry.example.com/team/app\n"
    ).found
    assert found == [
        (6, "container", "cdn.example.com/hero.webp:2"),
        (7, "container", "registry.example.com/team/app"),
    ]


def test_what_it_leaves_and_why() -> None:
    finding = find(
        f"""\
        a:
          image: ghcr.io/acme/app:$TAG
        b:
          image: ghcr.io/acme/app:BUILD_TAG
        c:
          image: ghcr.io/acme/app@latest
        d:
          image: 42
        e:
          image: null
        f:
          image: !!str ghcr.io/acme/app@sha256:{SHA}
        """
    )
    assert finding.found == [(12, "container", f"ghcr.io/acme/app@sha256:{SHA}")]
    assert [(line, reason.split(":")[0]) for line, _, _, reason in finding.left] == [
        (2, "placeholder"),
        (4, "placeholder"),
        (6, "not-a-digest"),
    ]


def test_an_image_beside_a_tag_key_is_the_helm_maps() -> None:
    """`image: repo` next to `tag:` is half of a values map: never given a tag of its own."""
    found = find("image: ghcr.io/acme/app\ntag: v1\n").found
    assert found == [(2, "helm", "ghcr.io/acme/app:v1")]


def test_an_anchored_image_is_reported_once_at_the_anchor() -> None:
    found = find("a:\n  image: &img nginx:1.25\nb:\n  image: *img\n").found
    assert found == [(2, "container", "nginx:1.25")]


def test_a_whole_image_beside_a_tag_key_is_the_containers_and_the_repeated_tag_follows() -> None:
    """`image: repo:tag` beside `version: tag` (the Prometheus operator's ThanosSpec): the image
    is a whole reference, and the tag key repeating its tag is that image's too."""
    found = find("thanos:\n  image: quay.io/thanos/thanos:v0.27.0\n  version: v0.27.0\n").found
    assert found == [
        (2, "container", "quay.io/thanos/thanos:v0.27.0"),
        (3, "helm", "quay.io/thanos/thanos:v0.27.0"),
    ]
    other = find("x:\n  image: quay.io/thanos/thanos:v0.27.0\n  version: v0.26.0\n").found
    assert other == [(2, "container", "quay.io/thanos/thanos:v0.27.0")]


def test_a_json_6902_operation_setting_an_image() -> None:
    """`add`/`replace` of a path ending in `/image`: the value is that image (kustomize and
    Kyverno JSON patches); `test`, `remove` and other paths are not an image to write."""
    text = """\
        - op: replace
          path: /spec/template/spec/containers/0/image
          value: ghcr.io/acme/app:v1
        - {"op": "add", "path": "/spec/initContainers/0/image", "value": "busybox:1.36"}
        - op: test
          path: /spec/template/spec/containers/0/image
          value: ghcr.io/acme/app:v1
        - op: replace
          path: /spec/template/spec/containers/0/imagePullPolicy
          value: Always
        - op: replace
          path: /metadata/labels/image
          value: {name: x}
        """
    assert find(text, "patch.yaml").found == [
        (3, "container", "ghcr.io/acme/app:v1"),
        (4, "container", "busybox:1.36"),
    ]


def test_a_flag_naming_an_image_in_args_or_command() -> None:
    """`--NAME-image=REF` (or `--nameImage=`) items of `args`/`command`/`extraArgs`: the part after
    `=`; it needs a tag or digest, and the flag's name must end in `image` (`--gateway=host:53`
    and `--image-registry=registry:5000` parse as references too). A placeholder tag is noted, as
    an `image:` one is."""
    text = """\
        containers:
          - args:
              - --initImage=ghcr.io/angelnu/pod-gateway:v1.12.0
              - --initImagePullPol=IfNotPresent
              - --gateway=gateway.vpn.svc:53
              - --image-registry=registry:5000
              - --default-image=ghcr.io/acme/untagged
              - --image=ghcr.io/acme/app:$(TAG)
            command: ["/manager", "--collector-image=ghcr.io/acme/collector:0.158.0"]
        extraArgs: ["-solver-image=quay.io/jetstack/solver:v1.19.4"]
        notes: ["--image=ghcr.io/acme/app:v1"]
        """
    finding = find(text, "deploy.yaml")
    assert finding.found == [
        (3, "container", "ghcr.io/angelnu/pod-gateway:v1.12.0"),
        (9, "container", "ghcr.io/acme/collector:0.158.0"),
        (10, "container", "quay.io/jetstack/solver:v1.19.4"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(8, "placeholder")]


def test_a_flag_naming_an_image_and_its_reference_as_the_next_item() -> None:
    """`--NAME-image` as one item and REF as the next (Argo Workflows' `--executor-image`,
    Tekton's `-shell-image`): that item, with a tag or digest. An item after the flag that is a
    flag itself, a non-string item, a flag not ending in `image` (`--image-registry`), a flag as
    the last item and a list outside `args`/`command`/`extraArgs` give nothing; a placeholder is
    noted."""
    text = f"""\
        containers:
          - args:
              - --executor-image
              - quay.io/argoproj/argoexec:v3.7.3
              - --image
              - --v=2
              - ghcr.io/acme/after-a-flag:v1
              - --image
              - 5
              - --image-registry
              - registry.local:5000
              - --default-image
              - ghcr.io/acme/untagged
              - -image
              - app:$(TAG)
            command: [run, "-shell-image", "cgr.dev/chainguard/busybox@sha256:{SHA}", --image]
        notes: [--image, ghcr.io/acme/app:v1]
        """
    finding = find(text, "deploy.yaml")
    assert finding.found == [
        (4, "container", "quay.io/argoproj/argoexec:v3.7.3"),
        (16, "container", f"cgr.dev/chainguard/busybox@sha256:{SHA}"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(15, "placeholder")]


def test_a_flag_naming_an_image_for_one_platform() -> None:
    """Tekton's `-shell-image-win` (its Windows shell) and the like: `image` followed by an OS or
    architecture, as two items or with `=`. Any other word after `image` (`--image-registry`,
    `-shell-image-pull-policy`, `--image-window`) still ends no image flag."""
    text = f"""\
        containers:
          - args: [
              "-shell-image-win", "mcr.microsoft.com/powershell:nanoserver@sha256:{SHA}",
              "--helper-image-windows=ghcr.io/acme/helper:v1-ltsc2022",
              "--agent_image_arm64", "ghcr.io/acme/agent:v2",
              "--image-registry", "registry.local:5000",
              "-shell-image-pull-policy", "ghcr.io/acme/policy:v1",
              "--image-window=ghcr.io/acme/window:v1",
              "--image-window", "ghcr.io/acme/window:v1",
            ]
        """
    assert find(text, "deploy.yaml").found == [
        (3, "container", f"mcr.microsoft.com/powershell:nanoserver@sha256:{SHA}"),
        (4, "container", "ghcr.io/acme/helper:v1-ltsc2022"),
        (5, "container", "ghcr.io/acme/agent:v2"),
    ]


def test_a_reference_after_the_docker_transport_prefix() -> None:
    """`docker://REF` under a key naming an image (Apptainer's, skopeo's spelling): the reference
    moves with the prefix kept; without a tag or digest it pulls `latest` and is pinned, as an
    untagged `image:` (it was passed over in silence); a broken one and the prefix alone are
    nothing."""
    text = f"""\
        terminal:
          singularity_image: docker://nikolaik/python-nodejs:python3.11-nodejs20
          image: "docker://ghcr.io/acme/app@sha256:{SHA}"
          base_image: docker://ghcr.io/acme/untagged
          other_image: docker://
          broken_image: docker://Ghcr.io/Acme/App:v1
        """
    assert find(text, "config.yaml").found == [
        (2, "container", "nikolaik/python-nodejs:python3.11-nodejs20"),
        (3, "container", f"ghcr.io/acme/app@sha256:{SHA}"),
        (4, "container", "ghcr.io/acme/untagged"),
    ]


def test_an_environment_variable_naming_an_image() -> None:
    """`{name: NAME_IMAGE, value: REF}` (Kubeflow Pipelines' driver and launcher, Knative's
    adapters) and a map's `NAME_IMAGE: REF` (app-template's `env:`): the value, when it has a tag
    or digest (a registry host alone: `no-tag`), as for a key ending in `Image`. Another name,
    `IMAGE_PULL_POLICY`, or a bare word is not an image."""
    text = f"""\
        env:
          - name: V2_DRIVER_IMAGE
            value: ghcr.io/kubeflow/kfp-driver:2.16.0
          - name: APISERVER_RA_IMAGE
            value: gcr.io/knative-releases/adapter@sha256:{SHA}
          - name: DEFAULT_IMAGE
            value: busybox
          - name: IMAGE_PULL_POLICY
            value: ghcr.io/acme/app:v1
          - name: FOO
            value: ghcr.io/acme/app:v1
        values:
          WOLF_IMAGE: docker.io/shrinedogg/wolf:v0.2.0
          DOCS_IMAGE: none
        """
    assert find(text, "deploy.yaml").found == [
        (3, "container", "ghcr.io/kubeflow/kfp-driver:2.16.0"),
        (5, "container", f"gcr.io/knative-releases/adapter@sha256:{SHA}"),
        (13, "container", "docker.io/shrinedogg/wolf:v0.2.0"),
    ]


def test_an_environment_variable_saying_image_and_going_on() -> None:
    """OLM's `RELATED_IMAGE_<NAME>` (the Loki operator's overlays and bundle) and CloudNativePG's
    `OPERATOR_IMAGE_NAME` (its release manifests), listed or as a map's key: read with a tag or
    digest only, as a `…_IMAGE_NAME` may be a name the program joins with a tag of its own
    (`IMAGE_NAME` beside `IMAGE_TAG`). A placeholder is noted; other `IMAGE_` names are not read."""
    text = f"""\
        env:
          - name: RELATED_IMAGE_LOKI
            value: docker.io/grafana/loki:3.7.3
          - name: RELATED_IMAGE_OPA
            value: quay.io/observatorium/opa-openshift@sha256:{SHA}
          - name: OPERATOR_IMAGE_NAME
            value: ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0
          - name: RELATED_IMAGE_CNPG
            value: $(OPERATOR_IMAGE_NAME)
          - name: APP_IMAGE_NAME
            value: ghcr.io/acme/app
          - name: IMAGE_TAG
            value: ghcr.io/acme/app:v1
          - name: IMAGE_UPDATER_INTERVAL
            value: ghcr.io/acme/app:v1
          - name: RELATED_IMAGE_BASE
            value: busybox:${{TAG}}
        values:
          OPERATOR_IMAGE_NAME: ghcr.io/cloudnative-pg/cloudnative-pg:1.29.0
          BUILD_IMAGE_NAME: ghcr.io/acme/builder
        """
    finding = find(text, "deploy.yaml")
    assert finding.found == [
        (3, "container", "docker.io/grafana/loki:3.7.3"),
        (5, "container", f"quay.io/observatorium/opa-openshift@sha256:{SHA}"),
        (7, "container", "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0"),
        (19, "container", "ghcr.io/cloudnative-pg/cloudnative-pg:1.29.0"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(17, "placeholder")]


def test_the_tekton_operators_image_variables() -> None:
    """The Tekton operator's `IMAGE_<COMPONENT>_…` variables (tektoncd/operator
    pkg/reconciler/common/transformers.go), listed or as a map key: read with a tag or digest, as
    `RELATED_IMAGE_…` is; a `ko://` path, a name alone and an `IMAGE_` name of no component of
    the operator's (`IMAGE_TAG`, `IMAGE_UPDATER_INTERVAL`) are not."""
    text = f"""\
        env:
          - name: IMAGE_JOB_PRUNER_TKN
            value: ghcr.io/tektoncd/plumbing/tkn@sha256:{SHA}
          - name: IMAGE_ADDONS_OC
            value: image-registry.openshift-image-registry.svc:5000/openshift/cli:latest
          - name: IMAGE_PIPELINES_PROXY
            value: ko://github.com/tektoncd/operator/cmd/openshift/proxy-webhook
          - name: IMAGE_SYNCER_SERVICE_WORKLOAD_SYNCER
            value: ghcr.io/acme/syncer
          - name: IMAGE_TAG
            value: ghcr.io/acme/app:v1
          - name: IMAGE_UPDATER_INTERVAL
            value: ghcr.io/acme/app:v1
        data:
          IMAGE_TRIGGERS_WEBHOOK: gcr.io/tekton-releases/triggers/webhook:v0.30.0
          IMAGE_REGISTRY: registry.local:5000
        """
    assert find(text, "deploy.yaml").found == [
        (3, "container", f"ghcr.io/tektoncd/plumbing/tkn@sha256:{SHA}"),
        (5, "container", "image-registry.openshift-image-registry.svc:5000/openshift/cli:latest"),
        (15, "container", "gcr.io/tekton-releases/triggers/webhook:v0.30.0"),
    ]


def test_related_image_as_a_map_key_is_read_as_its_env_entry_is() -> None:
    """`RELATED_IMAGE_FOO: REF` in a ConfigMap's `data` (an operator's `envFrom`) or an env map:
    a whole reference with a tag or digest moves; a name alone, a placeholder, a key merely
    starting alike (`RELATED_IMAGES`) are what they are in the `{name, value}` form."""
    text = f"""\
        data:
          RELATED_IMAGE_API_MANAGER: storageos/api-manager:v1.1.2
          RELATED_IMAGE_NODE: "quay.io/acme/node@sha256:{SHA}"
          RELATED_IMAGE_GUARD: quay.io/acme/guard
          RELATED_IMAGE_INIT: quay.io/acme/init:$TAG
          RELATED_IMAGES: quay.io/acme/list:v1
          related_image_lower: quay.io/acme/lower:v1
          RELATED_IMAGE_COUNT: 3
        """
    finding = find(text, "cm.yaml")
    assert finding.found == [
        (2, "container", "storageos/api-manager:v1.1.2"),
        (3, "container", f"quay.io/acme/node@sha256:{SHA}"),
    ]
    # `RELATED_IMAGES` ends as a list of images does (`…_IMAGES`): its image is listed, not moved
    assert [(n[0], n[3].partition(":")[0]) for n in finding.left] == [(5, "placeholder"), (6, "image-list")]


def test_a_duration_or_a_size_under_image_is_no_image() -> None:
    """Double Take's `token: {image: 24h}` and the like parse as Docker Hub's `library/24h`: a
    setting, never listed; a user's image of such a name has a `/` and a tag is a reference."""
    text = """\
        token:
          image: 24h
        ttl: {image: 10m}
        gc:
          image: "1h30m"
        limits:
          image: 10mb
        user:
          image: acme/24h
        tagged:
          image: 24h:1.0
        """
    assert find(text).found == [(9, "container", "acme/24h"), (11, "container", "24h:1.0")]
    assert find(text).left == []


def test_a_tekton_parameter_naming_an_image_by_its_default() -> None:
    """`{name: BUILDER_IMAGE, default: REF}` (a Task's `params`, run as `$(params.BUILDER_IMAGE)`):
    the default, as an env var's value. `IMAGE` (the image a task builds), an array default and a
    `default` beside no `name` are not read."""
    text = """\
        params:
          - name: BUILDER_IMAGE
            default: gcr.io/kaniko-project/executor:v1.8.1
          - name: IMAGE
            default: gcr.io/acme/built:v1
          - name: CACHE_IMAGE
            default: [gcr.io/acme/cache:v1]
          - default: gcr.io/acme/nameless:v1
        """
    assert find(text, "task.yaml").found == [(3, "container", "gcr.io/kaniko-project/executor:v1.8.1")]


def test_a_tekton_parameter_in_camel_case() -> None:
    """The Tekton catalog's git-clone names its image parameter `gitInitImage` (prettier's,
    `prettierImage`): read as `git-init-image` is. `image`/`Image` alone, a capital first letter
    (`BaseImage`, no catalog spelling) and a `value:` of a TaskRun's parameter are not read."""
    text = """\
        params:
          - name: gitInitImage
            default: "ghcr.io/tektoncd-catalog/git-clone:v1.1.0"
          - name: prettierImage
            default: docker.io/elnebuloso/prettier:2.1.1
          - name: image
            default: docker.io/mikefarah/yq:4.47.1
          - name: Image
            default: gcr.io/acme/image:v1
          - name: BaseImage
            default: gcr.io/acme/base:v1
          - name: gitInitImage
            value: gcr.io/acme/run:v1
        """
    assert find(text, "task.yaml").found == [
        (3, "container", "ghcr.io/tektoncd-catalog/git-clone:v1.1.0"),
        (5, "container", "docker.io/elnebuloso/prettier:2.1.1"),
    ]


def test_the_scalars_that_name_a_value_an_image_are_its_names() -> None:
    """A hold on the line of what says a value is an image holds it (plan/holds.py reads
    `name_nodes`): a flag item before its reference, a variable's or parameter's `name`, a
    JSON 6902 operation's `op` and `path`; a reference after `=` in one item has no other."""
    from bumper.shapes.walk import find_references
    from bumper.yaml_edit import Source, compose_all

    text = (
        "args: [--executor-image, 'ghcr.io/acme/app:v1', --x-image=ghcr.io/acme/app:v1]\n"
        "env:\n  - {name: RUNNER_IMAGE, value: 'ghcr.io/acme/app:v1'}\n"
        "params:\n  - {name: BUILDER_IMAGE, default: 'ghcr.io/acme/app:v1'}\n"
        "ops:\n  - {op: add, path: /spec/containers/0/image, value: 'ghcr.io/acme/app:v1'}\n"
    )
    source = Source("deploy.yaml", text)
    refs = find_references(source, compose_all(source))
    assert [[n.value for n in r.name_nodes] for r in refs] == [
        ["--executor-image"],
        [],
        ["RUNNER_IMAGE"],
        ["BUILDER_IMAGE"],
        ["add", "/spec/containers/0/image"],
    ]


def test_a_version_constraint_where_the_tag_goes_is_noted_range() -> None:
    """argocd-image-updater's ImageUpdater names what it keeps updated as `imageName: REPO:~1.0`
    (its e2e suite, 005-app-wide-update-strategy): the tool resolves the constraint, there is no
    tag to write. Noted `range` with the image's key (a bump of it exits 3 naming the line), not
    dropped without a word; a port, a plain tag and a broken digest are as before."""
    text = """\
        images:
          - imageName: "quay.io/dkarpele/my-guestbook:~1.0"
          - imageName: ghcr.io/acme/app:>=1.0 <2
          - image: ghcr.io/acme/x:^1.2
          - imageName: quay.io/dkarpele/my-guestbook:latest
          - image: registry.local:5000/acme/app
          - image: ghcr.io/acme/y:1.0@sha256:bad
        """
    finding = find(text, "updater.yaml")
    assert finding.found == [
        (5, "container", "quay.io/dkarpele/my-guestbook:latest"),
        (6, "container", "registry.local:5000/acme/app"),
    ]
    assert [(n[0], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (2, "quay.io/dkarpele/my-guestbook:~1.0", "range"),
        (3, "ghcr.io/acme/app:>=1.0 <2", "range"),
        (4, "ghcr.io/acme/x:^1.2", "range"),
        (7, "ghcr.io/acme/y:1.0@sha256:bad", "not-a-digest"),
    ]


def test_kubevirt_img_and_image_reference_variables_need_a_tag_or_digest() -> None:
    """KubeVirt's `…_IMG` (SSP's VIRTIO_IMG) and `IMAGE_REFERENCE` (the SSP operator's own image),
    as `{name, value}` entries or map keys: read with a tag or digest only, as `…_IMAGE_NAME` is;
    a name alone, a file (`LOGO_IMG: logo.png`), two images in one string, a lower-case key or a
    word merely ending alike (`IMGS`) are not read."""
    text = f"""\
        env:
          - name: IMAGE_REFERENCE
            value: quay.io/fromani/kubevirt-ssp-operator-container@sha256:{SHA}
          - name: VIRTIO_IMG
            value: quay.io/kubevirt/virtio-container-disk:v1.5.0
          - name: CLEANUP_VM_IMG
          - name: DISK_IMG
            value: quay.io/kubevirt/disk
          - name: BUNDLE_IMAGE_REFERENCE
            value: quay.io/acme/bundle
        data:
          VIRTIO_IMG: "quay.io/kubevirt/virtio-container-disk:v1.4.0"
          IMAGE_REFERENCE: quay.io/acme/op:v2
          LOGO_IMG: img/logo.png
          BOTH_IMG: quay.io/acme/a:v1 quay.io/acme/b:v1
          virtio_img: quay.io/acme/lower:v1
          VM_IMGS: quay.io/acme/many:v1
          BASE_IMG: quay.io/acme/base:$TAG
        """
    finding = find(text, "csv.yaml")
    assert finding.found == [
        (3, "container", f"quay.io/fromani/kubevirt-ssp-operator-container@sha256:{SHA}"),
        (5, "container", "quay.io/kubevirt/virtio-container-disk:v1.5.0"),
        (12, "container", "quay.io/kubevirt/virtio-container-disk:v1.4.0"),
        (13, "container", "quay.io/acme/op:v2"),
    ]
    assert [(n[0], n[3]) for n in finding.left] == [(18, "placeholder")]


def test_a_registry_host_and_port_alone_is_no_image() -> None:
    """`localhost:5000`, `gcr.io:5432` name a registry, not the Hub image `localhost` at tag 5000:
    scan listed them (and a bump of `localhost:5001` rewrote the port); an image on such a host
    is read, and so is `registry:5000`, the Hub's `registry` image at tag 5000."""
    assert find(
        """\
        containers:
          - image: localhost:5000
            args: [--sidecar-image=gcr.io:5432, --helper-image, 10.0.0.1:5000]
            env:
              - {name: RELATED_IMAGE_CACHE, value: "localhost:5000"}
          - image: localhost:5000/app:1.0
          - image: registry:5000
        """,
        "pod.yaml",
    ).found == [(6, "container", "localhost:5000/app:1.0"), (7, "container", "registry:5000")]


def test_a_flag_naming_two_platforms_or_listing_one_image_per_platform() -> None:
    """A flag whose name ends in `image` and two platforms (`-shell-image-win-amd64`) is read as
    one ending in one; a flag listing an image per platform (`--image=REF,REF`,
    `--helper-image=linux/amd64=REF`) is noted `image-list` item by item: one REF cannot say
    which item it is. Both were passed over in silence."""
    finding = find(
        """\
        containers:
          - image: ghcr.io/acme/ctl:v1
            args:
              - -shell-image-win-amd64=mcr.microsoft.com/powershell:nanoserver-ltsc2022
              - --image=ghcr.io/acme/app:v1,ghcr.io/acme/app:v1-windows
              - --helper-image=linux/amd64=ghcr.io/acme/helper:v1
              - --image-registry=registry.local:5000,mirror.local:5000
        """,
        "pod.yaml",
    )
    assert finding.found == [
        (2, "container", "ghcr.io/acme/ctl:v1"),
        (4, "container", "mcr.microsoft.com/powershell:nanoserver-ltsc2022"),
    ]
    assert [(n[0], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (5, "ghcr.io/acme/app:v1", "image-list"),
        (5, "ghcr.io/acme/app:v1-windows", "image-list"),
        (6, "ghcr.io/acme/helper:v1", "image-list"),
    ]


def test_a_flag_naming_an_image_per_platform_in_json() -> None:
    """A flag's value written as JSON, `--platform-image={"linux/amd64": "REF", …}` (or a list),
    names an image per platform: each is noted `image-list`, as `--image=REF,REF` is. It was
    passed over in silence (the value was split at its commas, no item parsed)."""
    finding = find(
        """\
        containers:
          - image: ghcr.io/acme/ctl:v1
            args:
              - '--platform-image={"amd64":"ghcr.io/acme/app:v1","arm64":"ghcr.io/acme/app:v1-arm"}'
              - '--helper-image={"windows/amd64": "ghcr.io/acme/helper:v1"}'
              - '--base-image=["ghcr.io/acme/base:v2"]'
              - '--other-image={"broken": '
        """,
        "pod.yaml",
    )
    assert finding.found == [(2, "container", "ghcr.io/acme/ctl:v1")]
    assert [(n[0], n[2], n[3].split(":")[0]) for n in finding.left] == [
        (4, "ghcr.io/acme/app:v1", "image-list"),
        (4, "ghcr.io/acme/app:v1-arm", "image-list"),
        (5, "ghcr.io/acme/helper:v1", "image-list"),
        (6, "ghcr.io/acme/base:v2", "image-list"),
    ]

"""Shape `container`: a scalar under `image` (or `sidecarImage`, `init_image`, CloudNativePG's
`imageName`) holding a whole reference: Kubernetes workloads of every kind, Docker Compose, Helm
values `image: repo:tag`, a CloudNativePG `Cluster`'s PostgreSQL image, the `value` of a JSON
6902 patch operation that sets an `…/image` path, an environment variable naming an image
(`FOO_IMAGE`, OLM's `RELATED_IMAGE_FOO`, `OPERATOR_IMAGE_NAME`; as a `{name, value}` entry or a
map key), and a command-line flag naming
an image (`args: [--sidecar-image=repo:tag]`)."""

from __future__ import annotations

import re
from functools import lru_cache

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bumper.changes import explained
from bumper.image_ref import DIGEST_HINT, ImageRef, names_registry_host
from bumper.shapes.hubs import is_component_name
from bumper.shapes.left_alone import NO_TAG_NOTE, PLACEHOLDER, RANGE, placeholder_whole
from bumper.shapes.nodes import STR_TAG, scalar, text_of
from bumper.shapes.reference import Ignored, IgnoreFn, Reference, WholeRef
from bumper.shapes.shape import Claim, Found, Shape

NAME = "container"
# The containers-transports prefix naming a registry image (skopeo, podman, Apptainer/Singularity,
# KubeVirt CDI's `registry.url`): what follows is the reference, which moves with the prefix kept.
DOCKER_TRANSPORT = "docker://"
# A tree names the same few images in file after file (12,500 Deployments of one image): each
# text is parsed once. ImageRef is immutable, so sharing one is safe.
parse = lru_cache(maxsize=4096)(ImageRef.try_parse)


def whole_ref(
    value: ScalarNode, key: str, context: str | None, found: Found, names: tuple[ScalarNode, ...] = ()
) -> None:
    """`image: repo:tag`, or `sidecarImage:`/`init_image:` holding a whole reference; `names` are
    the scalars beside it that say it is an image (a hold on their lines holds it)."""
    if value.tag != STR_TAG:
        return
    text = str(value.value)
    if text.startswith(DOCKER_TRANSPORT):  # `singularity_image: docker://REF` (a tool's own spelling)
        if (found_ref := after_transport(value, found.ignore)) is not None:
            found_ref.name_nodes = names
            found.add(found_ref)
        return
    parsed = parse(text)
    placeholder = placeholder_whole(text) if parsed is None or parsed.tag else None
    if placeholder is not None:  # `image: app:$TAG`, `app:CONTAINER_IMAGES_TAG`: another tool's
        found.ignore(Ignored(value.start_mark.line + 1, NAME, text, PLACEHOLDER, placeholder))
        return
    if parsed is None:
        if broken_digest(value, text, found.ignore, NAME):
            return
        if (ranged := _constrained(text)) is not None:
            found.ignore(Ignored(value.start_mark.line + 1, NAME, text, _RANGE, ranged.key))
        return
    # Other keys ending in `image` hold words and file paths too (`baseImage: none`,
    # `logoImage: img/logo.png`, a mkdocs nav entry `Using Latest Image: guides/latest.md`): a
    # tag or digest makes them a reference. Without either, a name ending in a file's
    # (`heroImage: cdn.example.com/hero.webp`) is a file, and only `image:` is pinned (it runs
    # :latest), unless its chart appends a version of its own (shapes/joined_tag.py); under
    # another key a name with a registry host (`ghcr.io/acme/app`) may take its tag from a field
    # beside it (`RUNNER_IMAGE` + `RUNNER_TAG`): listed (no-tag), left alone.
    if parsed.tag or parsed.digest:
        found.add(WholeRef("container", value, parsed, name_nodes=names))
    elif _DURATION.fullmatch(text):
        return  # a setting (`token: {image: 24h}`), no image
    elif (joined := found.joined.get(id(value))) is not None:
        found.ignore(joined)
    elif _names_a_file(parsed.name):
        return
    elif key == "image" and is_component_name(key, text, parsed):  # Istio's `image: pilot`?
        found.components.defer(WholeRef("container", value, parsed, name_nodes=names))
    elif key == "image":
        found.add(WholeRef("container", value, parsed, name_nodes=names))
    elif names_registry_host(parsed.name):
        found.ignore(Ignored(value.start_mark.line + 1, NAME, text, NO_TAG_NOTE, parsed.key))


def broken_digest(value: ScalarNode, text: str, ignore: IgnoreFn, shape: str) -> bool:
    """Note a reference whose name parses but whose digest does not (`app@sha256:` and 62 hex):
    listed `not-a-digest`, never passed over in silence; False when `text` is no such thing."""
    name_part, at, digest = text.partition("@")
    named = ImageRef.try_parse(name_part) if at else None
    if named is None:
        return False
    reason = f"not-a-digest: {digest!r}; {DIGEST_HINT}"
    ignore(Ignored(value.start_mark.line + 1, shape, text, reason, named.key))
    return True


# A version constraint where the tag goes (argocd-image-updater's ImageUpdater `imageName:
# quay.io/acme/app:~1.0`): the tool that reads it picks the version; no tag to write.
_CONSTRAINT = re.compile(r"[~^<>=*|]")
_RANGE = explained(
    RANGE, "a version constraint another tool resolves (argocd-image-updater); no tag to write"
)


def _constrained(text: str) -> ImageRef | None:
    """The name of `NAME:CONSTRAINT` (`app:~1.0`, `app:^1.2`, `app:>=1.0 <2`), else None."""
    name, colon, tag = text.rpartition(":")
    if not colon or "/" in tag or _CONSTRAINT.search(tag) is None:
        return None
    named = parse(name)
    return named if named is not None and not named.tag and not named.digest else None


# A duration or a size where a value under `image` is a setting, not an image: Double Take's
# `token: {image: 24h}` (the age of an image's access token), `ttl: {image: 10m}`,
# `gc: {image: 1h30m}`, `download_limits: {image: 10mb}` (Go's, Prometheus's and vercel/ms's
# units; sizes in bytes). It parses as a Docker Hub official image (`library/24h`) that does not
# exist; a user's image of that name has a `/` (`acme/24h`) and is read as ever.
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|w|y))+|\d+(?:\.\d+)?(?:[kmgtpe]i?b?|b)")


# What a web page or a document links to; no image repository is named so.
_FILE_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp", ".tif", ".tiff"),
    *(".html", ".htm", ".md", ".pdf", ".txt", ".json", ".yaml", ".yml"),
)


def _names_a_file(name: str) -> bool:
    """Whether the last part of `name` is a file name: a picture, a page, a document."""
    return name.rsplit("/", 1)[-1].endswith(_FILE_SUFFIXES)


# An environment variable naming an image (Kubeflow Pipelines' `V2_DRIVER_IMAGE`, Knative's
# `APISERVER_RA_IMAGE`, app-template's `env: {WOLF_IMAGE: …}`): as a key ending in `Image`, it
# needs a tag or digest to move (a registry host alone: listed, no-tag).
_ENV_SUFFIX = "_IMAGE"
# Names that say IMAGE and go on: OLM's `RELATED_IMAGE_<NAME>` (each image an operator runs, which
# OLM mirrors for a disconnected install: the Loki and CloudNativePG operators) and CloudNativePG's
# `OPERATOR_IMAGE_NAME`. A `…_IMAGE_NAME` may hold a name alone that the program joins with a tag
# of its own (`IMAGE_NAME` + `IMAGE_TAG`): these count only with a tag or digest.
_ENV_PREFIX_TAGGED = "RELATED_IMAGE_"
# The Tekton operator's: it reads the images of each component it installs from variables named
# for the component (`IMAGE_PIPELINES_…`, `IMAGE_ADDONS_…`, its pruner's `IMAGE_JOB_PRUNER_TKN`;
# pkg/reconciler/common/transformers.go). Only these: `IMAGE_TAG`, `IMAGE_UPDATER_INTERVAL` are
# other programs' settings.
_TEKTON_OPERATOR_PREFIXES = tuple(
    f"IMAGE_{component}_"
    for component in (
        "PIPELINES ADDONS TRIGGERS CHAINS RESULTS PAC MAG HUB DASHBOARD PRUNER SCHEDULER JOB"
        " MULTICLUSTERPROXYAAE SYNCER_SERVICE"
    ).split()
)
_ENV_PREFIXES_TAGGED = (_ENV_PREFIX_TAGGED, *_TEKTON_OPERATOR_PREFIXES)
# KubeVirt's operators name the images they run `…_CONTAINER` (HCO's CONVERSION_CONTAINER,
# VMWARE_CONTAINER, VIRTIOWIN_CONTAINER), `…_IMG` (SSP's VIRTIO_IMG, the Tekton tasks'
# CLEANUP_VM_IMG) and `IMAGE_REFERENCE` (the SSP operator's own image, in HCO's CSVs): such a
# variable may hold a container's name or a file's (`LOGO_IMG: logo.png`), so it counts only
# with a tag or digest, as `…_IMAGE_NAME` does.
_ENV_SUFFIXES_TAGGED = ("_IMAGE_NAME", "_CONTAINER", "_IMG", "IMAGE_REFERENCE")
_ENV_SUFFIX_TAGGED = "_IMAGE_NAME"
# An environment variable listing images, a `KEY=IMAGE` line each (Strimzi's STRIMZI_KAFKA_IMAGES:
# `4.3.1=quay.io/strimzi/kafka:0.48.0-kafka-4.3.1`, one image per Kafka version). One REF cannot
# tell its lines apart (their variants read alike), so each is listed and left alone, never
# passed over in silence.
_ENV_LIST_SUFFIX = "_IMAGES"
IMAGE_LIST = explained(
    "image-list",
    "a line of a KEY=IMAGE list held in one value (Strimzi's STRIMZI_KAFKA_IMAGES; a flag's"
    " `--NAME-image=REF,REF`, one image per platform), each line the image for its key; bumper"
    " does not choose among them: edit the line by hand",
)
# What separates the items of such a list besides lines: no image reference holds a space or a comma.
_LIST_ITEMS = re.compile(r"[\s,;]+")
# JSON 6902 operations that write a value (a kustomize `patches[].patch`, `patchesJson6902`, a
# Kyverno `patchesJson6902`): `remove`, `move`, `copy` and `test` set no image.
_SETS = frozenset({"add", "replace"})


def value_entry(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """A `value:` whose siblings say it is an image: a JSON 6902 operation
    `{op: replace, path: /spec/template/spec/containers/0/image, value: REF}`, read as an
    `image:` scalar is, or an environment variable `{name: DRIVER_IMAGE, value: REF}`, read as a
    key ending in `_IMAGE` is; and a Tekton parameter's `{name: BUILDER_IMAGE, default: REF}`,
    read as that variable's `value`. Claims nothing."""
    if "value" not in keys and "default" not in keys:
        return None
    pairs = {k.value: v for k, v in node.value if type(k) is ScalarNode}
    name_node = scalar(pairs, "name")
    name = text_of(name_node)
    # The scalars that make it an image's (the variable's name; the operation and its path) are
    # its names: `- name: RUNNER_IMAGE  # bumper: hold` holds the value on the next line.
    named = (name_node,) if name_node is not None else ()
    if (value := scalar(pairs, "value")) is not None:
        op_node, path_node = scalar(pairs, "op"), scalar(pairs, "path")
        path = text_of(path_node) or ""
        if text_of(op_node) in _SETS and path.endswith("/image"):
            whole_ref(value, "image", context, found, tuple(n for n in (op_node, path_node) if n is not None))
        elif name is not None and (
            name.startswith(_ENV_PREFIXES_TAGGED) or name.endswith(_ENV_SUFFIXES_TAGGED)
        ):
            tagged_ref(value, name, context, found, named)
        elif name is not None and name.endswith((_ENV_SUFFIX, _ENV_SUFFIX_TAGGED)):
            image_key(value, name, context, found, named)
        elif name is not None and name.endswith(_ENV_LIST_SUFFIX):
            _image_list(value, found)
    if (default := scalar(pairs, "default")) is not None and name is not None and _names_a_param_image(name):
        whole_ref(default, name, context, found, named)
    return None


def _image_list(value: ScalarNode, found: Found) -> None:
    """Note each `KEY=IMAGE` item of a value listing images (reason `image-list`), a line each or
    several on one line (space- or comma-separated), and an image alone there (`EXTRA_IMAGES:
    REF`, a list of one): on its own line of a literal block (`|`), else on the value's."""
    if value.tag != STR_TAG:
        return
    literal = value.style == "|"
    first = value.start_mark.line + 1 + (1 if literal else 0)
    for number, line in enumerate(str(value.value).split("\n")):
        _listed_images(line, first + number if literal else first, found.ignore)


def _listed_images(line: str, number: int, ignore: IgnoreFn) -> int:
    """Note each `KEY=IMAGE` item (or image alone) with a tag or digest of one line of a list,
    items separated by spaces or commas; how many were noted."""
    noted = 0
    spelled = _json_items(line)  # `--platform-image={"linux/amd64": "REF", …}`: JSON's own items
    for item in _LIST_ITEMS.split(line.strip()) if spelled is None else spelled:
        key, equals, text = item.partition("=")
        text = text if equals else key  # `KEY=IMAGE`, or an image alone
        parsed = parse(text) if text else None
        if parsed is not None and (parsed.tag or parsed.digest):
            ignore(Ignored(number, NAME, text, IMAGE_LIST, parsed.key))
            noted += 1
    return noted


def _json_items(line: str) -> list[str] | None:
    """The strings of a JSON object's values or a JSON list's items (`{"linux/amd64": "REF"}`,
    a flag's value naming an image per platform); None when `line` is no such JSON."""
    text = line.strip()
    if not text.startswith(("{", "[")):
        return None
    import json  # only a flag's JSON value needs it

    try:
        value = json.loads(text)
    except ValueError:
        return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [item for item in items if isinstance(item, str)]


# A Tekton parameter naming the image a step runs, spelled as the Tekton catalog does:
# `BUILDER_IMAGE`, `builder_image`, `curl-image`, `gcloud-image` (a step runs
# `image: $(params.curl-image)`), and in camel case, `gitInitImage` (the catalog's git-clone),
# `prettierImage`. `IMAGE`/`image` alone is most often the image a task builds.
_PARAM_IMAGE = re.compile(r".+[-_]image", re.IGNORECASE)
_PARAM_CAMEL_IMAGE = re.compile(r"[a-z][A-Za-z0-9]*[a-z0-9]Image")


def _names_a_param_image(name: str) -> bool:
    return _PARAM_IMAGE.fullmatch(name) is not None or _PARAM_CAMEL_IMAGE.fullmatch(name) is not None


def image_key(
    value: ScalarNode, key: str, context: str | None, found: Found, names: tuple[ScalarNode, ...] = ()
) -> None:
    """A scalar under a key naming an image: `…_IMAGE_NAME`, `…_CONTAINER` and `RELATED_IMAGE_…`
    (as their `{name, value}` entries are read) need a tag or digest, and a `…_IMAGES` list is
    noted `image-list`; any other (`image`, `imageName`, `…Image`, `…_IMAGE`) is read as a whole
    reference."""
    if key.endswith(_ENV_LIST_SUFFIX):  # `STRIMZI_KAFKA_IMAGES: |` in a ConfigMap's `data`
        _image_list(value, found)
    elif key.endswith(_ENV_SUFFIXES_TAGGED) or key.startswith(_ENV_PREFIXES_TAGGED):
        tagged_ref(value, key, context, found, names)
    else:
        whole_ref(value, key, context, found, names)


def tagged_ref(
    value: ScalarNode, key: str, context: str | None, found: Found, names: tuple[ScalarNode, ...] = ()
) -> None:
    """A whole reference with a tag or digest (a name alone is left: no version to move); a
    placeholder or a broken digest is noted as under `image:`."""
    parsed = parse(str(value.value)) if value.tag == STR_TAG else None
    if parsed is None or parsed.tag or parsed.digest:
        whole_ref(value, key, context, found, names)


# A flag whose name ends in `image` (as a key must), `=` and the reference: cert-manager's
# `--acme-http01-solver-image=`, the OpenTelemetry operator's `--collector-image=`, pod-gateway's
# `--sidecarImage=`. Any other flag is not read: `--address=host:8080` and
# `--image-registry=host:5000` parse as references too.
# The name may go on with the platform the image is for: Tekton's controller takes
# `-shell-image-win` (mcr.microsoft.com/powershell) beside `-shell-image`.
_PLATFORM = r"(?:[-_](?:win|windows|linux|amd64|arm64|ppc64le|s390x)){0,2}"  # `-win`, `-linux-arm64`
_IMAGE_FLAG = re.compile(rf"--?[A-Za-z0-9_.-]*[Ii]mage{_PLATFORM}=")
# The same flag as one item and its reference as the next (`- --executor-image` then
# `- quay.io/argoproj/argoexec:v3.7.3`; Tekton's `"-shell-image", "cgr.dev/…@sha256:…"`).
_IMAGE_FLAG_ALONE = re.compile(rf"--?[A-Za-z0-9_.-]*[Ii]mage{_PLATFORM}")
_ARGUMENT_LISTS = ("args", "command", "extraArgs")


def flag_args(seq: SequenceNode, state: Found) -> list[Reference]:
    """`--NAME-image=repo:tag` items of a container's `args`/`command` (a chart's `extraArgs`):
    the part after `=` is rewritten; `--NAME-image` followed by a `repo:tag` item: that item is.
    It needs a tag or digest, as a key other than `image` does (`--default-image=ghcr.io/acme/app`
    names no version to move); an item after the flag that is itself a flag is not its value. A
    value listing several images (`REF,REF`, `linux=REF`) is noted `image-list` item by item."""
    refs: list[Reference] = []
    ignore = state.ignore
    previous: object = None
    for item in seq.value:
        after_flag, flag_item = _is_flag_alone(previous), previous
        previous = item
        if type(item) is not ScalarNode or item.tag != STR_TAG:
            continue
        text = str(item.value)
        flag = _IMAGE_FLAG.match(text)
        if flag is not None:
            prefix: str | None = flag.group()
        else:  # the value of `--NAME-image` given as the next item: the whole item
            prefix = "" if after_flag and not text.startswith("-") else None
        if prefix is None:
            continue
        if (found := checked_after_prefix(item, prefix, ignore)) is not None:
            if not prefix and type(flag_item) is ScalarNode:  # `- --executor-image  # bumper: hold`
                found.name_nodes = (flag_item,)  # holds the reference on the item after it
            refs.append(found)
        elif _LIST_ITEMS.search(rest := text[len(prefix) :]) or "=" in rest or rest.startswith(("{", "[")):
            # `--shell-image=REF,REF` (one per platform), `--image=linux=REF`: one REF cannot say
            # which item it is, so none is written; each is listed, never passed over in silence
            _listed_images(text[len(prefix) :], item.start_mark.line + 1, ignore)
    return refs


def _is_flag_alone(item: object) -> bool:
    """Whether `item` is a string item `--NAME-image` whose value is the next item."""
    return (
        type(item) is ScalarNode
        and item.tag == STR_TAG
        and _IMAGE_FLAG_ALONE.fullmatch(str(item.value)) is not None
    )


def after_prefix(node: ScalarNode, prefix: str, ignore: IgnoreFn) -> Reference | None:
    """The reference after `prefix` in `node` (`--sidecarImage=`, a FluxInstance's `oci://`),
    rewritten with the prefix kept. It needs a tag or digest: without one there is no version to
    move. A placeholder there (`--image=app:$(TAG)`) is another tool's: noted, left alone."""
    whole = str(node.value)
    text = whole[len(prefix) :]
    parsed = parse(text)
    placeholder = placeholder_whole(text) if parsed is None or parsed.tag else None
    if placeholder is not None:
        ignore(Ignored(node.start_mark.line + 1, NAME, whole, PLACEHOLDER, placeholder))
    elif parsed is not None and (parsed.tag or parsed.digest):
        return WholeRef(NAME, node, parsed, prefix=prefix)
    return None


def checked_after_prefix(node: ScalarNode, prefix: str, ignore: IgnoreFn) -> Reference | None:
    """after_prefix's reference; one whose digest is broken (`docker://app@sha256:` and a digest
    cut short, `--x-image=app@sha256:bad`) is listed `not-a-digest`, as under `image:`, never
    passed over in silence."""
    found = after_prefix(node, prefix, ignore)
    text = str(node.value)[len(prefix) :]
    if found is None and parse(text) is None and placeholder_whole(text) is None:
        broken_digest(node, text, ignore, NAME)
    return found


def after_transport(node: ScalarNode, ignore: IgnoreFn) -> Reference | None:
    """The reference after `docker://` in `node`, rewritten with the prefix kept. The transport
    says the rest is a whole image, so without a tag or digest it runs `latest` (skopeo,
    Apptainer, GitHub Actions and CDI pull that) and a bump pins it, as an untagged `image:`;
    otherwise as checked_after_prefix."""
    parsed = parse(str(node.value)[len(DOCKER_TRANSPORT) :])
    if parsed is not None and parsed.tag is None and parsed.digest is None:
        return WholeRef(NAME, node, parsed, prefix=DOCKER_TRANSPORT)
    return checked_after_prefix(node, DOCKER_TRANSPORT, ignore)


# `imageName`: CloudNativePG's `Cluster.spec.imageName` (a key other than `image`: it needs a tag
# or digest to move, as `sidecarImage` does).
SHAPE = Shape(
    NAME,
    sequences=dict.fromkeys(_ARGUMENT_LISTS, flag_args),
    mapping=value_entry,
    mapping_keys=frozenset({"value", "default"}),
    keys=frozenset({"imageName"}),
    suffixes=("image", "Image", _ENV_SUFFIX, *_ENV_SUFFIXES_TAGGED, _ENV_LIST_SUFFIX),
    prefixes=_ENV_PREFIXES_TAGGED,  # `RELATED_IMAGE_FOO: REF` in a ConfigMap's `data`, an env map
    scalar=image_key,
)

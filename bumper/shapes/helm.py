"""Shape `helm`: a Helm values map naming an image by `repository` (or `image`, or `name`, or a
`registry` holding the whole path) beside a tag key (optional `registry`, `digest`), or by a key
of another split spelling beside its own tag key (`Image` + `ImageTag`, `redisImage` +
`redisTag`, `server_image` + `server_tag`); the tag scalar is what a bump rewrites. An `image:`
holding a whole reference is the container shape's; a tag key beside it repeating its tag (the
Prometheus operator's `image` + `version`) is rewritten with it."""

from __future__ import annotations

import re
from functools import lru_cache

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.changes import explained
from bumper.errors import RefParseError
from bumper.image_ref import (
    DIGEST_HINT,
    ImageRef,
    is_digest,
    names_registry_host,
    parse_tag_value,
    split_name,
)
from bumper.shapes.image_volume import is_image_volume
from bumper.shapes.left_alone import AMBIGUOUS, NO_TAG_FIELD, PLACEHOLDER, TAG_KEYS, is_placeholder
from bumper.shapes.nodes import NULL_TAG, STR_TAG, merged_pairs, scalar, text_of
from bumper.shapes.reference import BareDigestRef, Ignored, IgnoreFn, Reference, RepeatedTagRef, SplitRef
from bumper.shapes.shape import Claim, Found, Shape

NAME = "helm"
# Which keys may name the repository, each with the tag keys it pairs with: `name` and
# `version` are common words (a container's or a chart's), so they count only beside a
# spelling that is unmistakably an image's.
_REPOSITORY_KEYS = (
    ("repository", ("tag", "imageTag", "version")),
    ("image", ("tag", "imageTag", "version")),
    # The Prometheus operator's `baseImage` (Prometheus, Alertmanager, ThanosSpec): it runs
    # `baseImage:tag`, else `baseImage:version`; a tag appended to baseImage breaks that image.
    ("baseImage", ("tag", "version")),
    ("name", ("tag", "imageTag")),
)
# The operator runs `baseImage@sha256:SHA` whatever the tag says: moving the tag moves nothing.
_OPERATOR_SHA = (
    "operator-sha: the operator runs the `sha` beside it, not the tag; "
    "write `image: REPO:TAG@sha256:...` instead"
)
# Split pairs (split_pairs): the image's name in one key, its tag in a sibling, spelled as
# public charts spell them. Exact spellings first (key -> (its tag keys, its registry key))...
_SPLIT_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "image": (("image_tag",), "registry"),  # `tag`/`imageTag`/`version`: _REPOSITORY_KEYS
    "Image": (("ImageTag", "Tag"), "ImageRegistry"),  # stable/consul, stable/spark
    "imageName": (("imageTag", "tag"), "imageRegistry"),  # stable/sonatype-nexus
    "imageRepository": (("imageTag", "tag"), "imageRegistry"),
    "image_name": (("image_tag",), "image_registry"),
    "image_repository": (("image_tag",), "image_registry"),
}
# ...then a prefix: `testImage` + `testImageTag` (stable/neo4j), `redisImage` + `redisTag`,
# `apiImageRepository` + `apiImageTag`; `server_image` + `server_tag`, `pod_image` +
# `pod_image_version`.
_CAMEL_NAME = re.compile(r"(?P<stem>[a-z][A-Za-z0-9]*)Image(?P<part>Name|Repository)?")
_SNAKE_NAME = re.compile(r"(?P<stem>[A-Za-z0-9][A-Za-z0-9_]*)_image(?P<part>_name|_repository)?")
_SPLIT_TAG_ENDINGS = ("Tag", "_tag", "_image_version")
# A split pair's digest key, spelled as its tag key is (bumper.shapes.helm._digest_keys).
_DIGEST_ENDINGS = (
    ("Tag", "Digest"),
    ("_image_version", "_image_digest"),
    ("_tag", "_digest"),
    ("tag", "digest"),
)
# A name key spelled but for case (_split_spelling), with the tag keys of its spellings (never
# `version`: a common word) and its registry key.
_FOLDED_NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "image": (("tag", "imageTag", "image_tag"), "imageRegistry"),
    "imagename": (("imageTag", "tag"), "imageRegistry"),
    "imagerepository": (("imageTag", "tag"), "imageRegistry"),
    "image_name": (("image_tag",), "image_registry"),
    "image_repository": (("image_tag",), "image_registry"),
    # `Repository` + `Tag` (`repository` + `tag` as written is helm_ref's, never a split pair)
    "repository": (("tag",), "registry"),
}
# The endings of a tag key spelled but for case (`IMAGE_TAG`, `imagetag`): the walk asks the map.
_CASED_TAG_ENDINGS = ("tag", "TAG")
_APPENDED = ("variant", "tagLabel")  # keys a chart appends to the version an empty tag runs
_TRIGGERS = TAG_KEYS | {"<<"}  # a merge key may bring a repository, with or without a tag
# Keys a chart joins `image` with: a map merging others (`<<`) that holds none of them, nor a tag
# key, keeps its `image:` whole.
_JOINED_WITH = frozenset({"repository", "registry", "imageRegistry"})


def values_map(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """A values map's references; claims the map (and its `image: repo`, which the chart joins
    with the tag: never append a tag to it) when a tag key or a merge key may make it one."""
    refs, names = split_pairs(merged_pairs(node), found.ignore) if _names_split_pair(keys) else ([], [])
    claim = _tag_key_map(node, keys, context, found)
    for ref in refs:
        found.add(ref)
    if not names:
        return claim
    return Claim((*(claim.scalars if claim is not None else ()), *names))


def _tag_key_map(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """The map's reference through `tag`/`imageTag`/`version` (or a merge key), or its repeated
    tags beside a whole `image:`; a `repository:` with no tag key is noted as `no-tag-field`."""
    if "digest" in keys and (bare := _bare_digest(merged_pairs(node))) is not None:
        if isinstance(bare, Ignored):
            found.ignore(bare)
        else:  # `{repository: REPO@sha256, digest: HEX}`: the chart runs REPO@sha256:HEX
            found.add(bare)
        return _claim(merged_pairs(node), "repository", "tag")
    if not _TRIGGERS.isdisjoint(keys):
        pairs = merged_pairs(node)
        whole = _whole_image(pairs)
        if whole is not None:  # the container shape reads `image`; the map is no values map
            for ref in _repeated_tags(pairs, whole, found.ignore):
                found.add(ref)
            return _claim(pairs, "baseImage")  # the operator runs `image`, not baseImage
        if TAG_KEYS.isdisjoint(pairs) and _JOINED_WITH.isdisjoint(pairs):
            # `{<<: *step, image: codefresh/kube-helm}` (a Codefresh or Compose step merging
            # another's settings): no tag and nothing to join `image` with, even through the
            # merge, so `image: REPO` is a whole reference (it runs latest), the container shape's
            return None
        found.add(helm_ref(pairs, found.ignore))
        found.untagged.see(pairs, context)
        return _claim(pairs, "image", "baseImage")
    if "repository" in keys and not is_image_volume(keys, context):
        pairs = merged_pairs(node)
        repository = text_of(scalar(pairs, "repository"))
        if repository is not None and _path_beside(pairs, repository):
            # `{repository: ghcr.io, image: elk-zone/elk}`, the chart's appVersion the tag: noted
            # as the image `repository/image`, and its `image:` claimed (a tag appended there
            # breaks it)
            on_host = {**pairs, "registry": pairs["repository"], "repository": pairs["image"]}
            found.untagged.see(on_host, context)
            return _claim(pairs, "image")
        found.untagged.see(pairs, context)  # no tag field: noted once the walk ends
    if _SPLIT_REPOSITORY in keys:
        _untagged_split_repository(merged_pairs(node), found.ignore)
    return None


# A split pair's repository key: `imageRepository` names an image (never a Git repository), so
# one with no tag key beside it is listed `no-tag-field`, as a `repository:` is.
_SPLIT_REPOSITORY = "imageRepository"
_NO_SPLIT_TAG = explained(
    NO_TAG_FIELD,
    "a values map names the image by `imageRepository:` with no `imageTag:` (or `tag:`) to write "
    "(the chart's default tag applies); add `imageTag:` beside it for bumper to pin it",
)


def _untagged_split_repository(pairs: dict[str, Node], ignore: IgnoreFn) -> None:
    """`{imageRepository: ghcr.io/1password/connect-api, httpPort: 8080}` (1Password Connect's
    chart, its tag from the chart's appVersion): nothing to write, listed `no-tag-field` rather
    than passed over in silence. A map with a tag key beside it is split_pairs' reference."""
    node = scalar(pairs, _SPLIT_REPOSITORY)
    name = text_of(node)
    if node is None or name is None or _sibling(pairs, ("imageTag", "tag")) is not None:
        return
    registry = text_of(scalar(pairs, "imageRegistry"))
    parsed = ImageRef.try_parse(f"{registry}/{name}" if registry else name)
    if parsed is None or parsed.tag or parsed.digest:
        return
    ignore(Ignored(node.start_mark.line + 1, NAME, parsed.name, _NO_SPLIT_TAG, parsed.key))


def _names_split_pair(keys: list[str]) -> bool:
    """Whether a key of the map may be the tag key of a split pair (bumper.shapes.helm.split_pairs);
    `tag` is `imageName`'s and `imageRepository`'s as much as `repository`'s, and a merge key may
    bring either key of the pair (`<<: *common` holding `image_tag`)."""
    return any(k.endswith(_SPLIT_TAG_ENDINGS + _CASED_TAG_ENDINGS) or k == "<<" for k in keys)


def _names_image_apart(pairs: dict[str, Node]) -> bool:
    """Whether a key of a split spelling (`imageName`, `imageRepository`, `redisImage`) names the
    map's image beside its tag key: a `name:` there is the component's name, not its image."""
    for key in pairs:
        spelled = _split_spelling(key) if key != "image" else None
        if spelled is not None and type(pairs[key]) is ScalarNode and any(k in pairs for k in spelled[0]):
            return True
    return False


def split_pairs(pairs: dict[str, Node], ignore: IgnoreFn) -> tuple[list[SplitRef], list[ScalarNode]]:
    """The image named without a tag in one key and its tag in a sibling (helm/charts' stable
    charts render `{{ .Values.Image }}:{{ .Values.ImageTag }}`, Helm's own best practices
    `{{ .Values.redisImage }}:{{ .Values.redisTag }}`): one reference, the tag key's. The
    spellings `_REPOSITORY_KEYS` reads (`image` + `tag`) are helm_ref's; an image key that holds
    a tag or digest is the container shape's whole reference, as before. Returns the references
    and the image keys' scalars: each is claimed even when its tag is left alone (a placeholder),
    so no tag is ever appended to it."""
    refs: list[SplitRef] = []
    names: list[ScalarNode] = []
    for key in pairs:
        spelled = _split_spelling(key)
        if spelled is None or key == "repository" or (key == "image" and not TAG_KEYS.isdisjoint(pairs)):
            continue  # `image`/`repository` + `tag`/`imageTag`/`version`: helm_ref's
        tag_keys, registry_key = spelled
        name_node = scalar(pairs, key)
        name = text_of(name_node)
        tag_key = _sibling(pairs, _tag_keys_of(key, tag_keys))
        tag = scalar(pairs, tag_key) if tag_key is not None else None
        if name_node is None or name is None or tag is None or tag_key is None:
            continue
        parsed = ImageRef.try_parse(name)
        if parsed is None or parsed.tag or parsed.digest:
            continue  # no image, or a whole reference (the container shape's)
        names.append(name_node)
        registry_at = _sibling(pairs, (registry_key,))
        digest_at = _sibling(pairs, _digest_keys(key, (tag_key, *tag_keys)))
        if _spelled_twice(pairs, (key, tag_key, registry_at, digest_at), name, tag, ignore, NAME):
            continue
        if key.casefold() == "image" and (said := _two_digests(pairs, digest_at)) is not None:
            _ambiguous(said, name, tag, ignore, NAME, pairs)
            continue
        view: dict[str, Node] = {}
        if registry_at is not None and (registry := scalar(pairs, registry_at)) is not None:
            view["registry"] = registry
        if digest_at is not None and (digest := scalar(pairs, digest_at)) is not None:
            view["digest"] = digest  # moved with the tag, as a values map's `digest:` is
        ref = _split_ref(view, name, tag, ignore, NAME, name_node)
        if ref is not None:
            refs.append(ref)
    return refs, names


def _tag_keys_of(key: str, tag_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The tag keys a split pair under `key` may use: `image`'s own (`tag`, `imageTag`) count
    too when only a case variant of one is beside it (`image` + `ImageTag`, `image` + `Tag`)."""
    return (*tag_keys, "tag", "imageTag") if key == "image" else tag_keys


def _sibling(pairs: dict[str, Node], keys: tuple[str, ...]) -> str | None:
    """The first of `keys` the map holds as a scalar, else the first key of the map spelled as
    one of them but for case (`ImageTag` for `imageTag`, `IMAGE_TAG` for `image_tag`); None."""
    found = next((k for k in keys if type(pairs.get(k)) is ScalarNode), None)
    if found is not None:
        return found
    wanted = {k.casefold() for k in keys}
    return next((k for k, v in pairs.items() if k.casefold() in wanted and type(v) is ScalarNode), None)


def tag_keys_for(key: str) -> tuple[str, ...]:
    """The sibling keys that may hold the tag of an image named without one under `key`
    (`image`: `tag`, `imageTag`, `version`, `image_tag`); none for a key naming no image."""
    own = next((tags for repo_key, tags in _REPOSITORY_KEYS if repo_key == key and key != "name"), ())
    spelled = _split_spelling(key)
    return (*own, *(spelled[0] if spelled is not None else ()))


def _split_spelling(key: str) -> tuple[tuple[str, ...], str] | None:
    """For a key naming an image apart from its tag: the keys its tag may be in, first found
    wins, and the key of a registry written apart; None for any other key. A key spelled as
    `image`, `imageName`, `imageRepository` (or their snake forms) but for case (`IMage`,
    `ImageName`) is read as they are, with every tag key theirs is (`imageTag`, `tag`,
    `image_tag`); one in capitals alone (`IMAGE`, an environment variable's) is not."""
    if key in _SPLIT_KEYS:
        return _SPLIT_KEYS[key]
    if (folded := _FOLDED_NAMES.get(key.casefold())) is not None and key != key.upper():
        return folded
    camel = _CAMEL_NAME.fullmatch(key)
    if camel is not None and camel["stem"] != "base":  # baseImage: helm_ref's (the operator's)
        stem, part = camel["stem"], camel["part"]
        tags = (f"{stem}ImageTag",) if part else (f"{stem}ImageTag", f"{stem}Tag")
        return tags, f"{stem}ImageRegistry"
    snake = _SNAKE_NAME.fullmatch(key)
    if snake is not None:
        stem, part = snake["stem"], snake["part"]
        own = f"{stem}_image_tag", f"{stem}_image_version"
        return (own if part else (*own, f"{stem}_tag")), f"{stem}_image_registry"
    return None


def _digest_keys(key: str, tag_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys a split pair's digest may sit in, spelled as its tag keys are (`ImageTag`:
    `ImageDigest`, `redisTag`: `redisDigest`, `server_tag`: `server_digest`, `tag`: `digest`):
    a chart rendering `IMAGE:TAG@DIGEST` runs the digest, so a tag moved without it moves nothing."""
    spelled = [
        t[: -len(end)] + new
        for t in tag_keys
        for end, new in _DIGEST_ENDINGS
        if t.casefold().endswith(end.casefold())  # `IMAGE_TAG`: `IMAGE_digest`, found by case
    ]
    return (*dict.fromkeys(spelled), *(("digest",) if key.casefold() == "image" else ()))


def _two_digests(pairs: dict[str, Node], digest_key: str | None) -> str | None:
    """What an `image` map says when it holds a digest key spelled as its tag key is
    (`imageDigest`) and a `digest` too: the chart reads one of them, which is not for bumper to
    guess (moving one leaves the other's pin stale); None when it holds one at most."""
    if digest_key is None or digest_key == "digest" or type(pairs.get("digest")) is not ScalarNode:
        return None
    return f"the map says `{digest_key}` and `digest`, two digests of one image"


def _spelled_twice(
    pairs: dict[str, Node],
    read: tuple[str | None, ...],
    name: str,
    tag: ScalarNode,
    ignore: IgnoreFn,
    shape: str,
) -> bool:
    """Whether a key the image is read from (`read`: its name, tag, digest and registry keys as
    found) is said twice in the map but for case (`imageTag` and `ImageTag`, `tag` and `Tag`,
    `digest` and `Digest`, `image` and `Image`), or is read by folding case though it is another
    name key's own (`Image` beside `image` + `imageTag`): YAML keys are case-sensitive and the
    chart reads one of them, which is not for bumper to guess; noted `ambiguous` and left alone.
    Two pairs each spelled as itself (consul's `Image` + `ImageTag` beside neo4j's `image` +
    `imageTag`) are two images, not ambiguous."""
    keys = [k for k in read if k is not None]
    own = _own_keys(keys[0])[1]
    if all(k in own for k in keys) and len({k.casefold() for k in pairs}) == len(pairs):
        return False  # every key as spelled, none said twice: most maps, read at once
    for key in keys:
        twin = next((k for k in pairs if k != key and k.casefold() == key.casefold()), None)
        if twin is not None and _paired_apart(pairs, twin, keys[0]) is None:
            said = f"the map says `{key}` and `{twin}`, one key but for case"
            return _ambiguous(said, name, tag, ignore, shape, pairs)
        if key not in own and (owner := _paired_apart(pairs, key, keys[0])) is not None:
            said = f"`{keys[0]}` would read `{key}` only by ignoring case, and `{owner}` beside it reads it"
            return _ambiguous(said, name, tag, ignore, shape, pairs)
    return False


@lru_cache(maxsize=256)  # a tree says a few dozen name keys, in every map
def _own_keys(key: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """A name key's tag keys as spelled, and every key it pairs with as spelled (itself, its tag,
    registry and digest keys)."""
    repository = next((tags for repo_key, tags in _REPOSITORY_KEYS if repo_key == key), ())
    spelled = _split_spelling(key)
    tags = (*repository, *(spelled[0] if spelled is not None else ()))
    registries = (("registry", "imageRegistry") if repository else ()) + ((spelled[1],) if spelled else ())
    return tags, frozenset((key, *tags, *registries, *_digest_keys(key, tags)))


def _paired_apart(pairs: dict[str, Node], key: str, name_key: str) -> str | None:
    """The other name key of the map whose key `key` is as spelled and that has a tag key of its
    own spelling beside it (a pair of its own); None."""
    for other in pairs:
        if other == name_key or type(pairs[other]) is not ScalarNode:
            continue
        tags, own = _own_keys(other)
        if key in own and any(type(pairs.get(t)) is ScalarNode for t in tags):
            return other
    return None


def _ambiguous(
    said: str, name: str, tag: ScalarNode, ignore: IgnoreFn, shape: str, pairs: dict[str, Node]
) -> bool:
    """Note a map whose image is read from keys spelled alike but for case; True. The note
    carries where the map's other scalars are (its digest, its twin tag): another map reaching
    one of them through an anchor must not move it either (off_ambiguous_tags)."""
    try:
        image = "/".join(split_name(name))
    except RefParseError:
        return True  # no image to list it under; left alone all the same
    reason = f"{_AMBIGUOUS}{said}{_NOT_GUESSED}"
    also = tuple(
        (node.start_mark.line + 1, str(node.value), key)
        for key, node in pairs.items()
        if type(node) is ScalarNode and node is not tag
    )
    ignore(Ignored(tag.start_mark.line + 1, shape, text_of(tag) or "", reason, image, also))
    return True


_AMBIGUOUS = f"{AMBIGUOUS}: "
_NOT_GUESSED = "; which one the chart reads is not for bumper to guess; keep one"


def off_ambiguous_tags(refs: list[Reference], notes: list[Ignored], ignore: IgnoreFn) -> list[Reference]:
    """`refs` less those that would edit a scalar of a map left alone as `ambiguous` (its tag,
    its digest or any other value, an anchor's, read through an alias or a merge key by another
    map, `imageTag: *webTag`, `digest: *pin`): that edit moves the ambiguous map too, whichever
    key its chart reads; each is noted `ambiguous` instead. That map's scalars are no reference,
    so a reference editing a scalar of one's line and text is one reaching it."""
    tags = {  # (line, value) of each scalar of an ambiguous map -> (its note's reason, what it is)
        (line, value): (n.reason, what)
        for n in notes
        if n.shape == NAME and n.reason.startswith(_AMBIGUOUS)
        for line, value, what in ((n.line, n.value, "tag"), *((ln, v, f"`{k}`") for ln, v, k in n.also))
    }  # (a key: the map's twin tag, its digest, or its name another map's `image:` would tag)
    if not tags:
        return refs
    kept: list[Reference] = []
    for ref in refs:
        nodes = (ref.node, *ref.moves_with())
        why = next(
            (
                tags[k]
                for n in nodes
                if type(n) is ScalarNode and (k := (n.start_mark.line + 1, str(n.value))) in tags
            ),
            None,
        )
        if why is None:
            kept.append(ref)
            continue
        said = why[0][len(_AMBIGUOUS) :].removesuffix(_NOT_GUESSED)
        reason = (
            f"{_AMBIGUOUS}the value is also the {why[1]} of another map, where {said}: moving it "
            f"moves that map too; write this image's {why[1]} apart to move it"
        )
        ignore(Ignored(ref.line, ref.shape, str(ref.ref), reason, ref.ref.key or None))
    return kept


def _claim(pairs: dict[str, Node], *keys: str) -> Claim:
    """The map claimed with its scalars under `keys`: a tag appended to any of them breaks the
    image its chart (or operator) builds from it."""
    return Claim(tuple(node for key in keys if type(node := pairs.get(key)) is ScalarNode))


def helm_ref(pairs: dict[str, Node], ignore: IgnoreFn, shape: str = "helm") -> SplitRef | None:
    """The reference a values map holds, or None when it holds none (or one it may not touch)."""
    for repo_key, tag_keys in _REPOSITORY_KEYS:
        repository = text_of(scalar(pairs, repo_key))
        if repository is None:
            continue
        if repo_key == "name" and _names_image_apart(pairs):
            return None  # `{name: proxy, imageRepository: REPO, imageTag: 2.6.0}`: REPO's tag
        tag_key, tag = next(((k, t) for k in tag_keys if (t := scalar(pairs, k)) is not None), ("", None))
        if tag is None:
            return None
        if repo_key == "baseImage" and "sha" in pairs:
            _operator_sha(repository, tag, ignore, shape)
            return None
        # The digest beside the tag, spelled as the tag key is (`imageTag`: `imageDigest`).
        digest_key = _sibling(pairs, (*_digest_keys(repo_key, (tag_key,)), "digest"))
        read = (repo_key, tag_key, *(k for k in ("registry", "imageRegistry") if k in pairs), digest_key)
        if _spelled_twice(pairs, read, repository, tag, ignore, shape):
            return None
        if (said := _two_digests(pairs, digest_key)) is not None:
            _ambiguous(said, repository, tag, ignore, shape, pairs)
            return None
        if digest_key is not None and digest_key != "digest":  # the chart runs IMAGE:TAG@DIGEST
            pairs = {**pairs, "digest": pairs[digest_key]}
        if "registry" not in pairs and (registry := scalar(pairs, "imageRegistry")) is not None:
            pairs = {**pairs, "registry": registry}  # `{{ .imageRegistry }}/{{ .image }}:{{ .imageTag }}`
        name_key = repo_key
        if repo_key == "repository" and _path_beside(pairs, repository):
            pairs, name_key = {**pairs, "registry": pairs["repository"]}, "image"
            repository = text_of(scalar(pairs, "image")) or repository
        return _split_ref(pairs, repository, tag, ignore, shape, scalar(pairs, name_key))
    return _registry_only(pairs, ignore, shape)


def _path_beside(pairs: dict[str, Node], repository: str) -> bool:
    """`{repository: ghcr.io, image: elk-zone/elk, tag: main}`, `{repository:
    quay.io/kubernetes-multicluster, image: kubefed, tag: canary}`: a `repository` beside an
    `image` naming the rest of the path; the chart runs `repository/image:tag` (0hlov3's
    elk-frontend chart, kubefed's). The repository is the name's first part (a host, a
    namespace, or both). An `image` with a tag, digest or host of its own, or a `registry` beside,
    or a `repository` with a tag or digest, is not such a path."""
    path = text_of(scalar(pairs, "image"))
    if "registry" in pairs or not path:
        return False
    parsed = ImageRef.try_parse(path)
    joined = ImageRef.try_parse(f"{repository}/{path}")
    return (
        parsed is not None
        and parsed.tag is None
        and parsed.digest is None
        and not names_registry_host(path)
        and joined is not None
        and joined.tag is None
        and joined.digest is None
    )


def _bare_digest(pairs: dict[str, Node]) -> BareDigestRef | Ignored | None:
    """MinIO's charts' digest pinning, `{repository: quay.io/minio/minio@sha256, digest: HEX}`
    (rendered `repository:digest`, whatever `tag` says): the digest's hex is the reference's
    version; one whose digest is no digest (`digest: sha256:HEX`, `digest: ""`) is noted
    `not-a-digest`, never passed over in silence. None for any other map."""
    repository_node, digest_node = scalar(pairs, "repository"), scalar(pairs, "digest")
    name, at, algorithm = (text_of(repository_node) or "").rpartition("@")
    if not at or repository_node is None or digest_node is None or digest_node.tag == NULL_TAG:
        return None
    registry = text_of(scalar(pairs, "registry"))
    digest, full = f"{algorithm}:{digest_node.value}", f"{registry}/{name}" if registry else name
    try:
        reg, path = split_name(full)
    except RefParseError:
        return None
    ref = ImageRef(full, reg, path, None, digest)
    if not is_digest(digest):
        reason = f"not-a-digest: {digest!r}; {DIGEST_HINT}"
        return Ignored(digest_node.start_mark.line + 1, NAME, f"{full}@{digest}", reason, ref.key)
    names = tuple(n for n in (scalar(pairs, "registry"), repository_node) if n is not None)
    return BareDigestRef(NAME, digest_node, ref, name_nodes=names, algorithm_node=repository_node)


def _registry_only(pairs: dict[str, Node], ignore: IgnoreFn, shape: str) -> SplitRef | None:
    """`{registry: registry.k8s.io/sig-storage/csi-provisioner, tag: v5.3.0}` and no repository
    key: the democratic-csi chart runs `registry:tag`, so a `registry` naming a path (a `/`: a
    host alone names no image) is the whole repository."""
    registry = text_of(scalar(pairs, "registry"))
    tag = next((scalar(pairs, k) for k in ("tag", "imageTag") if scalar(pairs, k) is not None), None)
    if registry is None or tag is None or "/" not in registry.strip("/"):
        return None
    others = {k: v for k, v in pairs.items() if k != "registry"}
    return _split_ref(others, registry, tag, ignore, shape, scalar(pairs, "registry"))


def _operator_sha(repository: str, tag: ScalarNode, ignore: IgnoreFn, shape: str) -> None:
    """Note a `baseImage` whose `sha` the operator runs: no tag written there moves it."""
    try:
        key = "/".join(split_name(repository))
    except RefParseError:
        return
    ignore(Ignored(tag.start_mark.line + 1, shape, text_of(tag) or "", _OPERATOR_SHA, key))


def _whole_image(pairs: dict[str, Node]) -> ImageRef | None:
    """`image: repo:tag` (or `@digest`) in a map with no `repository`/`registry` to join it with."""
    if "repository" in pairs or "registry" in pairs:
        return None
    text = text_of(scalar(pairs, "image"))
    parsed = ImageRef.try_parse(text) if text else None
    return parsed if parsed is not None and (parsed.tag or parsed.digest) else None


def _repeated_tags(pairs: dict[str, Node], whole: ImageRef, ignore: IgnoreFn) -> list[SplitRef]:
    """Each tag key beside a whole `image:` that repeats its tag, as a reference of that image
    (kube-prometheus-stack's `thanos: {image: quay.io/thanos/thanos:v0.27.0, version: v0.27.0}`,
    a Prometheus or Alertmanager resource's `spec.image` + `spec.version`, and its deprecated
    `tag` beside both; kube-prometheus's `version: 2.54.1` beside `image: …:v2.54.1`, the tag
    without its `v`); a tag key saying anything else is not known to be this image's and is
    left alone."""
    refs: list[SplitRef] = []
    for key in ("tag", "imageTag", "version"):
        tag = scalar(pairs, key)
        said = text_of(tag)
        if tag is None or not whole.tag or said is None:
            continue
        bare = whole.tag.startswith("v") and said == whole.tag[1:]  # `v2.54.1` said `2.54.1`
        if said != whole.tag and not bare:
            continue
        found = _split_ref(pairs, whole.name, tag, ignore, NAME)
        if found is not None and not found.digest_in_tag:
            moved_with = scalar(pairs, "image")  # a hold on either line holds both
            ref = found.ref._replace(tag=whole.tag)
            refs.append(
                RepeatedTagRef(NAME, tag, ref, digest_node=found.digest_node, bare=bare, tied_node=moved_with)
            )
    return refs


def _split_ref(
    pairs: dict[str, Node],
    repository: str,
    tag: ScalarNode,
    ignore: IgnoreFn,
    shape: str,
    repository_node: ScalarNode | None = None,
) -> SplitRef | None:
    registry_node = scalar(pairs, "registry")
    registry = text_of(registry_node)
    name = f"{registry}/{repository}" if registry else repository
    try:
        reg, path = split_name(name)
    except RefParseError:
        return None  # not an image (a chart dependency, a URL, a person's name)
    key = f"{reg}/{path}"
    tag_value = "" if tag.tag == NULL_TAG else str(tag.value)
    if tag.tag == STR_TAG and is_placeholder(tag_value.partition("@")[0]):
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, PLACEHOLDER, key))
        return None
    try:
        tag_text, tag_digest = parse_tag_value(tag_value)
    except RefParseError as exc:
        if tag.tag != STR_TAG and "@" not in tag_value:
            return None  # a number or a date beside a name: not a tag field
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, exc.message, key))
        return None
    digest_node = scalar(pairs, "digest")
    digest = text_of(digest_node) if digest_node is not None and digest_node.tag != NULL_TAG else None
    if digest_node is not None and digest_node.tag not in (STR_TAG, NULL_TAG):
        digest = str(digest_node.value)  # `digest: 02641143766` reads as a number
    if digest and not is_digest(digest):
        assert digest_node is not None
        ignore(Ignored(digest_node.start_mark.line + 1, shape, digest, f"not-a-digest: {DIGEST_HINT}", key))
        return None
    if digest and tag_digest:
        reason = "two-digests: the tag holds a digest and so does `digest`; keep one"
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, reason, key))
        return None
    ref = ImageRef(name, reg, path, tag_text, tag_digest or digest or None)
    names = tuple(n for n in (registry_node, repository_node) if n is not None)
    # VictoriaMetrics' and Istio's charts append a map's `variant:` to the version an empty tag
    # runs: `{tag: "", variant: cluster}` runs APPVERSION-cluster, a plain REF another variant;
    # Jenkins' `{tag: , tagLabel: jdk21}` runs APPVERSION-jdk21 so.
    said = (text_of(scalar(pairs, key)) for key in _APPENDED) if not tag_value else ()
    appended = next((text for text in said if text), None)
    return SplitRef(
        shape,
        tag,
        ref,
        digest_node=digest_node,
        digest_in_tag=tag_digest is not None,
        name_nodes=names,
        appended_variant=appended or None,
    )


SHAPE = Shape(
    NAME,
    mapping=values_map,
    mapping_keys=_TRIGGERS | {"repository", _SPLIT_REPOSITORY},
    mapping_suffixes=_SPLIT_TAG_ENDINGS + _CASED_TAG_ENDINGS,
)

"""An image key a chart's other values file sets without a tag runs with the tag the chart's own
values.yaml keeps in a sibling key (elastic's `examples/oss/values.yaml` says only
`image: docker.elastic.co/elasticsearch/elasticsearch-oss`; the chart's values.yaml has
`imageTag: "8.5.1"` beside its `image:` and renders `{{ .Values.image }}:{{ .Values.imageTag }}`):
it is no whole reference. A tag appended to it renders `repo:new:old`, so it is left alone
(`no-tag-field`, naming the chart's tag key) until the file holds a tag key of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.changes import explained, reason_word
from bumper.errors import ManifestError
from bumper.plan.chart_archive import ARCHIVE_SUFFIX, Packaged, read_packaged
from bumper.plan.select import MAX_FILE_BYTES
from bumper.shapes.helm import tag_keys_for
from bumper.shapes.left_alone import NO_TAG, NO_TAG_FIELD
from bumper.shapes.reference import Ignored, Reference, WholeRef
from bumper.yaml_edit import MERGE_TAG, Source, compose_all, merged_keys

CHART_FILE = "Chart.yaml"
# What a chart values.yaml that links out of the tree leaves unknown (chart_overrides' reason).
_LINK_OUT = "\0link-out"
_PACKED = "\0packed"  # a packaged subchart's own subcharts, which are not read
_UNREADABLE = "\0unreadable"  # `charts/NAME-VERSION.tgz` that is no archive bumper can read
_WRITE_IT = "write that tag key here for bumper to pin it"
_UNKNOWN = {
    _LINK_OUT: "is a link bumper does not follow (out of the tree, or to nothing there), so whether "
    f"the chart keeps this image's tag in a key beside it is unknown; {_WRITE_IT}",
    _PACKED: "packs subcharts of its own, which bumper does not read, so whether the subchart "
    f"naming this image keeps its tag in a key beside it is unknown; {_WRITE_IT}",
    _UNREADABLE: "is no chart archive bumper can read (not gzip, not tar, no Chart.yaml at its top, "
    "too large, or holding a link, a name out of its folder or over 10,000 files), so whether "
    f"the chart keeps this image's tag in a key beside it is unknown; {_WRITE_IT}",
}
VALUES_FILE = "values.yaml"
_MAX_DEPTH = 32

Keys = dict[tuple[str, ...], dict[str, int]]  # a mapping's key path -> its keys and their lines
Place = tuple[tuple[str, ...], str]  # a scalar's mapping's key path, and its key


def chart_overrides(
    source: Source, on_disk: str, docs: list[Node], found: list[Reference], notes: list[Ignored]
) -> list[Reference]:
    """`found` less the untagged image keys whose tag the chart's values.yaml keeps in a sibling
    key at the same place; each is noted in `notes` instead, and a `no-tag` note so placed says
    which key. `on_disk`: the file's path."""
    untagged = {id(ref) for ref in found if _untagged(ref)}
    no_tag = [i for i, note in enumerate(notes) if reason_word(note.reason) == NO_TAG]
    if not untagged and not no_tag:
        return found
    chart = _chart_folder(source.path, on_disk)
    if chart is None:
        return found
    root, folder = chart
    places = _places(docs)

    def why(place: Place | None) -> str | None:
        said = _tag_key_in_charts(root, folder, source.path, place) if place is not None else None
        if said is None:
            return None
        chart_relpath, tag_key, line = said
        if tag_key in _UNKNOWN:
            return explained(NO_TAG_FIELD, f"the chart's {chart_relpath} {_UNKNOWN[tag_key]}")
        return explained(
            NO_TAG_FIELD,
            f"the chart's {chart_relpath}:{line} keeps the tag in `{tag_key}` beside it; "
            f"add `{tag_key}:` here for bumper to pin it",
        )

    kept: list[Reference] = []
    for ref in found:
        placed = places.get(id(ref.node)) if id(ref) in untagged else None
        reason = why(placed[2]) if placed is not None else None
        if reason is None:
            kept.append(ref)
        else:
            notes.append(Ignored(ref.line, "helm", ref.value, reason, ref.ref.key))
    by_line = {(line, value): place for line, value, place in places.values()} if no_tag else {}
    for i in no_tag:
        note = notes[i]
        if (reason := why(by_line.get((note.line, note.value)))) is not None:
            notes[i] = note._replace(shape="helm", reason=reason)
    return kept


def _untagged(ref: Reference) -> bool:
    """A whole `image:`-like scalar naming an image without tag or digest."""
    return (
        type(ref) is WholeRef
        and ref.shape == "container"
        and not ref.prefix
        and ref.ref.tag is None
        and ref.ref.digest is None
    )


def _mappings(docs: list[Node]) -> Iterator[tuple[MappingNode, tuple[str, ...]]]:
    """Each mapping of `docs` once (an alias is not followed again), with its key path. Lists are
    not entered: Helm replaces a list whole, so no chart default sits beside an item's key."""
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...]]] = [(doc, ()) for doc in docs]
    while stack:
        node, path = stack.pop()
        if type(node) is not MappingNode or id(node) in seen or len(path) > _MAX_DEPTH:
            continue
        seen.add(id(node))
        yield node, path
        stack += [(v, (*path, str(k.value))) for k, v in node.value if type(k) is ScalarNode]


def _places(docs: list[Node]) -> dict[int, tuple[int, str, Place]]:
    """Each scalar value of a mapping (by id): its line, its text and its place."""
    places: dict[int, tuple[int, str, Place]] = {}
    for node, path in _mappings(docs):
        for key, value in node.value:
            if type(key) is ScalarNode and type(value) is ScalarNode:
                place = (path, str(key.value))
                places.setdefault(id(value), (value.start_mark.line + 1, str(value.value), place))
    return places


def _tag_key_in_chart(defaults: Keys, place: Place) -> tuple[str, int] | None:
    """The chart's tag key (and its line) beside the same image key at the same path; a tag key
    spelled but for case (`image` + `ImageTag`) is one, as the helm shape reads it."""
    path, key = place
    keys = defaults.get(path)
    if keys is None or key not in keys:
        return None
    spellings = tag_keys_for(key)
    exact = next(((k, keys[k]) for k in spellings if k in keys), None)
    if exact is not None:
        return exact
    folded = {k.casefold() for k in spellings if k != "version"}
    return next(((k, line) for k, line in keys.items() if k.casefold() in folded), None)


def _tag_key_in_charts(root: str, folder: str, relpath: str, place: Place) -> tuple[str, str, int] | None:
    """The values.yaml (its path from the root), tag key and line that keep the tag of the image
    key at `place` for the chart in `folder`: its own values.yaml (unless that is the file read),
    else a subchart's under `charts/` when the place is below that subchart's key (an umbrella
    chart's `es: {image: REPO}` over charts/es/values.yaml's `image` + `imageTag`), at any depth;
    a subchart may be packaged (`charts/es-8.5.1.tgz`). A tag key of _UNKNOWN: where the chart
    keeps the tag is unknown (a values.yaml link bumper does not follow, a packaged subchart's
    own subcharts)."""
    path, key = place
    for _ in range(_MAX_DEPTH):
        values = _values_name(root, folder)
        keys = _values_keys(root, folder) if values != relpath else None
        if isinstance(keys, str):  # _LINK_OUT, _UNREADABLE: where the chart keeps it is unknown
            return values, keys, 0
        said = _tag_key_in_chart(keys, (path, key)) if isinstance(keys, dict) else None
        if said is not None:
            return values, *said
        if path and folder.endswith(ARCHIVE_SUFFIX):  # below a packaged subchart: its own subcharts
            packaged = _read_archive(root, folder)
            return (folder, _PACKED, 0) if packaged is not None and packaged.nested else None
        sub = _subchart(root, folder, path[0]) if path else None
        if sub is None:
            return None
        folder, path = sub, path[1:]
    return None


def _values_name(root: str, folder: str) -> str:
    """How a chart's values.yaml is named from the root (`charts/es-8.5.1.tgz:es/values.yaml`)."""
    if folder.endswith(ARCHIVE_SUFFIX):
        packaged = _read_archive(root, folder)
        return f"{folder}:{packaged.top}/{VALUES_FILE}" if packaged is not None else folder
    return f"{folder}/{VALUES_FILE}" if folder else VALUES_FILE


def _values_keys(root: str, folder: str) -> Keys | str | None:
    """The keys of the values of the chart in `folder` (a folder or a packaged `.tgz`), None when
    there are none to read, _LINK_OUT when its values.yaml is a link leaving the tree or to no
    file in it."""
    if folder.endswith(ARCHIVE_SUFFIX):
        packaged = _read_archive(root, folder)
        if packaged is None:  # linked out of the tree or to nothing there; or no chart archive
            return _LINK_OUT if os.path.islink(os.path.join(root, folder)) else _UNREADABLE
        if packaged is None or packaged.values is None:
            return None
        return _keys_of_bytes(folder, packaged.values)
    path = os.path.join(root, folder, VALUES_FILE)
    real = _in_tree(root, path)
    if (real != path or os.path.islink(path)) and (real is _LINK_OUT or not os.path.isfile(real)):
        return _LINK_OUT  # a link out of the tree, or to no file (not checked out, dangling, a loop)
    return _read_keys(real)


def _read_archive(root: str, rel: str) -> Packaged | None:
    """The packaged chart at `rel`, read through a link within the tree (a vendored archive
    several umbrella charts link to, as a values.yaml may be linked); None out of it."""
    real = _in_tree(root, os.path.join(root, rel))
    return None if real is _LINK_OUT else read_packaged(real)


def _in_tree(root: str, path: str) -> str:
    """`path` with its links followed (Helm reads a linked values.yaml), or _LINK_OUT when they
    lead out of the tree: bumper never reads a file there."""
    if not os.path.islink(path) and not any(
        os.path.islink(os.path.join(root, *parts)) for parts in _prefixes(os.path.relpath(path, root))
    ):
        return path
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real if os.path.commonpath([real, top]) == top else _LINK_OUT


def _prefixes(relpath: str) -> Iterator[list[str]]:
    parts = relpath.split(os.sep)[:-1]
    return (parts[: i + 1] for i in range(len(parts)))


def _subchart(root: str, folder: str, key: str) -> str | None:
    """The folder (or packaged `.tgz`) of the subchart whose values sit under `key` in the values
    of the chart in `folder`: the one under `charts/` whose Chart.yaml names it KEY, or NAME for
    a dependency aliased KEY in the chart's Chart.yaml (Helm goes by that name, not the folder's:
    `charts/es-8.5.1/`, `charts/es-8.5.1.tgz`); else `charts/KEY` (`charts/NAME`) holding a chart."""
    names = [n for n in (key, _aliases(root, folder).get(key)) if n and "/" not in n and n not in (".", "..")]
    by_name = _subcharts(root, f"{folder}/charts" if folder else "charts")
    for name in names:
        if name in by_name:
            return by_name[name]
    for name in names:
        sub = f"{folder}/charts/{name}" if folder else f"charts/{name}"
        if _is_chart(root, sub):
            return sub
    charts = f"{folder}/charts" if folder else "charts"
    return next((link for name in names if (link := _unread_link(root, charts, name)) is not None), None)


def _unread_link(root: str, charts: str, name: str) -> str | None:
    """A `charts/NAME-VERSION.tgz` (as Helm names the archive of chart NAME) that is not read:
    a link out of the tree or to nothing there (a sparse clone checks out the link, not what it
    points to), or a file that is no chart archive (corrupt, cut short). Its chart is likely
    NAME's, so where it keeps the tag is unknown."""
    try:
        entries = sorted(os.listdir(os.path.join(root, charts)))[:_MAX_SUBCHARTS]
    except OSError:
        return None
    for entry in entries:
        rel = f"{charts}/{entry}"
        if not (entry.startswith(f"{name}-") and entry[len(name) + 1 : len(name) + 2].isdigit()):
            continue
        if entry.endswith(ARCHIVE_SUFFIX) and _read_archive(root, rel) is None:
            return rel
    return None


_MAX_SUBCHARTS = 256


def _subcharts(root: str, charts: str) -> dict[str, str]:
    """The charts in the `charts/` folder `charts` by the name their Chart.yaml gives: each
    folder and `.tgz` (the first of a name wins, in name order); links leaving the tree skipped.
    Read once per state of its entries: every override of an umbrella's values asks again, and
    reading each archive each time (more than _read caches) took seconds."""
    try:
        entries = sorted(os.listdir(os.path.join(root, charts)))[:_MAX_SUBCHARTS]
    except OSError:
        return {}
    state = tuple((entry, _stamp(os.path.join(root, charts, entry))) for entry in entries)
    return dict(_subcharts_of(root, charts, state))


def _stamp(path: str) -> tuple[int, int] | None:
    """What tells one state of a subchart from another: its archive's, or its Chart.yaml's."""
    try:
        info = os.stat(path if path.endswith(ARCHIVE_SUFFIX) else os.path.join(path, CHART_FILE))
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


@lru_cache(maxsize=16)
def _subcharts_of(
    root: str, charts: str, state: tuple[tuple[str, tuple[int, int] | None], ...]
) -> tuple[tuple[str, str], ...]:
    entries = [entry for entry, _ in state]
    found: dict[str, str] = {}
    for entry in entries:
        rel = f"{charts}/{entry}"
        if _in_tree(root, os.path.join(root, rel)) is _LINK_OUT:
            continue
        if entry.endswith(ARCHIVE_SUFFIX):
            packaged = _read_archive(root, rel)
            chart = packaged.chart if packaged is not None else None
            name = _chart_name(_compose_bytes(rel, chart)) if chart is not None else None
        else:
            name = _chart_name(_read_docs(os.path.join(root, rel, CHART_FILE)))
        if name is not None:
            found.setdefault(name, rel)
    return tuple(found.items())


def _chart_name(docs: list[Node] | None) -> str | None:
    root = docs[0] if docs else None
    if type(root) is not MappingNode:
        return None
    name = next((v for k, v in root.value if type(k) is ScalarNode and k.value == "name"), None)
    return str(name.value) if type(name) is ScalarNode and name.value else None


def _aliases(root: str, folder: str) -> dict[str, str]:
    """A chart's dependencies by alias (Chart.yaml `dependencies: [{name, alias}]`): Helm puts a
    subchart's values under its alias."""
    path = os.path.join(root, folder, CHART_FILE)
    try:
        stat = os.lstat(path)
    except OSError:
        return {}
    return _aliases_of(path, stat.st_mtime_ns, stat.st_size, stat.st_mode)


@lru_cache(maxsize=32)
def _aliases_of(path: str, _mtime: int, size: int, mode: int) -> dict[str, str]:
    docs = _compose(path, size, mode)
    root = docs[0] if docs else None
    deps = (
        next((v for k, v in root.value if k.value == "dependencies"), None)
        if type(root) is MappingNode
        else None
    )
    aliases: dict[str, str] = {}
    for dep in deps.value if type(deps) is SequenceNode else ():
        pairs = (
            {k.value: v for k, v in dep.value if type(k) is ScalarNode} if type(dep) is MappingNode else {}
        )
        name, alias = pairs.get("name"), pairs.get("alias")
        if type(name) is ScalarNode and type(alias) is ScalarNode:
            aliases.setdefault(str(alias.value), str(name.value))
    return aliases


def _is_chart(root: str, folder: str) -> bool:
    return os.path.isfile(os.path.join(root, folder, CHART_FILE))


def _chart_folder(relpath: str, on_disk: str) -> tuple[str, str] | None:
    """The tree's root on disk and the nearest chart folder above the file within the tree (a
    folder holding Chart.yaml); None when there is none."""
    if not on_disk.endswith(relpath):
        return None
    root = on_disk[: len(on_disk) - len(relpath)]
    parts = relpath.split("/")[:-1]
    for depth in range(len(parts), -1, -1):
        folder = "/".join(parts[:depth])
        if _is_chart(root, folder):
            return root, folder
    return None


def _read_keys(path: str) -> Keys | None:
    try:
        stat = os.stat(path)  # a link in the tree was followed (_in_tree)
    except OSError:
        return None
    return _keys_of(path, stat.st_mtime_ns, stat.st_size, stat.st_mode)


def _read_docs(path: str) -> list[Node] | None:
    """The documents of the regular file at `path` (a link is not followed), else None."""
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    return _docs_of(path, stat.st_mtime_ns, stat.st_size, stat.st_mode)


@lru_cache(maxsize=64)
def _docs_of(path: str, _mtime: int, size: int, mode: int) -> list[Node] | None:
    return _compose(path, size, mode)


@lru_cache(maxsize=32)  # the charts of one tree; a changed file is another key
def _keys_of(path: str, _mtime: int, size: int, mode: int) -> Keys | None:
    return _keys_from(_compose(path, size, mode))


def _keys_of_bytes(name: str, data: bytes) -> Keys | None:
    return _keys_from(_compose_bytes(name, data))


def _keys_from(docs: list[Node] | None) -> Keys | None:
    if docs is None:
        return None
    keys: Keys = {}
    for node, where in _mappings(docs):
        own = keys.setdefault(where, {})
        merges: list[tuple[ScalarNode, Node]] = []
        for key, value in node.value:
            if type(key) is ScalarNode and key.tag == MERGE_TAG:
                merges.append((key, value))
            elif type(key) is ScalarNode:
                own.setdefault(str(key.value), key.start_mark.line + 1)
        for key, value in merges:  # `<<: *defaults` bringing `imageTag`: the chart has it there
            for name in merged_keys(value):
                own.setdefault(name, key.start_mark.line + 1)
    return keys


def _compose(path: str, size: int, mode: int) -> list[Node] | None:
    """The documents of a regular file of at most MAX_FILE_BYTES, else None (a link, which may
    point anywhere; not UTF-8; not YAML)."""
    import stat

    if not stat.S_ISREG(mode) or size > MAX_FILE_BYTES:
        return None
    try:
        with open(path, "rb") as file:
            return _compose_bytes(path, file.read(MAX_FILE_BYTES + 1))
    except OSError:
        return None


def _compose_bytes(name: str, data: bytes) -> list[Node] | None:
    if len(data) > MAX_FILE_BYTES:
        return None
    try:
        return compose_all(Source.from_bytes(name, data))
    except (UnicodeDecodeError, ManifestError):
        return None

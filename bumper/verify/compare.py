"""Comparing two renders of one root: the applied images must show their new reference, and
nothing else may differ except where a planned change shows through."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import yaml

from bumper.image_ref import ImageRef

# Rendered output and kustomizations are plain data: libyaml's safe loader, ~3x the pure one.
LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CONTAINERS = {
    "containers": "container",
    "initContainers": "initContainer",
    "ephemeralContainers": "ephemeralContainer",
}
Path_ = tuple[object, ...]
Key = tuple[str, str, str, str]  # apiVersion, kind, namespace, name
_HASHED = re.compile(r"(.+)-[a-z0-9]{10}")


@dataclass(frozen=True)
class Expected:
    """What the bump should make the render show: each applied image by repository key, the
    planned (old, new) values, and values left on purpose (skipped: held, downgrade, policy)."""

    images: Mapping[str, ImageRef]
    pairs: frozenset[tuple[str, str]]
    kept: frozenset[str]


@dataclass
class Outcome:
    problems: list[str]
    images: int  # image fields that now carry the new reference


def parse_objects(output: bytes) -> dict[Key, object]:
    """Rendered objects by (apiVersion, kind, namespace, name)."""
    objects: dict[Key, object] = {}
    for doc in yaml.load_all(output, Loader=LOADER):  # noqa: S506 - the C safe loader
        if not isinstance(doc, dict):
            continue
        meta = doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        fields = (doc.get("apiVersion"), doc.get("kind"), meta.get("namespace"), meta.get("name"))
        api, kind, namespace, name = (str(x or "") for x in fields)
        objects[api, kind, namespace, name] = doc
    return objects


def compare(before: bytes, after: bytes, expected: Expected) -> Outcome:
    old, new = parse_objects(before), parse_objects(after)
    renamed = _renamed_by_hash(old, new)
    for was, now in renamed.items():
        old[now] = old.pop(was)
    pairs = expected.pairs | {(was[3], now[3]) for was, now in renamed.items()}
    expected = Expected(expected.images, pairs, expected.kept)
    outcome = Outcome([], 0)
    for key in sorted(old.keys() | new.keys()):
        label = _label(key)
        if key not in new:
            outcome.problems.append(f"{label} is no longer rendered")
        elif key not in old:
            outcome.problems.append(f"{label} is rendered only after the edit")
        else:
            judged = _images(label, old[key], new[key], expected, outcome)
            outcome.problems += [
                f"{label} {p}" for p in _differences(old[key], new[key], (), judged, expected)
            ]
    return outcome


def _renamed_by_hash(old: Mapping[Key, object], new: Mapping[Key, object]) -> dict[Key, Key]:
    """Generated ConfigMaps and Secrets whose content hash suffix changed with their content (a
    file the bump edited): the old key paired with the new one."""

    def stems(keys: Iterable[Key]) -> dict[tuple[str, str, str, str], Key]:
        out = {}
        for key in keys:
            match = _HASHED.fullmatch(key[3])
            if match is not None and key[1] in ("ConfigMap", "Secret"):
                out[(*key[:3], match.group(1))] = key
        return out

    gone, added = stems(old.keys() - new.keys()), stems(new.keys() - old.keys())
    return {gone[s]: added[s] for s in gone.keys() & added.keys()}


def _label(key: Key) -> str:
    _, kind, namespace, name = key
    return f"{kind}/{name}" + (f" (namespace {namespace})" if namespace else "")


def image_fields(obj: object, path: Path_ = ()) -> Iterator[tuple[Path_, str, str]]:
    """(path, what, value) of every container/initContainer/ephemeralContainer image and image
    volume (`volumes[].image.reference`) anywhere in a rendered object."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in _CONTAINERS and isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict) and isinstance(item.get("image"), str):
                        what = f"{_CONTAINERS[key]} {item.get('name', i)}"
                        yield (*path, key, i, "image"), what, item["image"]
            if key == "volumes" and isinstance(value, list):
                for i, item in enumerate(value):
                    image = item.get("image") if isinstance(item, dict) else None
                    if isinstance(image, dict) and isinstance(image.get("reference"), str):
                        what = f"image volume {item.get('name', i)}"
                        yield (*path, key, i, "image", "reference"), what, image["reference"]
            yield from image_fields(value, (*path, key))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from image_fields(item, (*path, i))


def _images(label: str, old: object, new: object, expected: Expected, outcome: Outcome) -> set[Path_]:
    """Check every image field that showed an applied image before; return their paths."""
    judged: set[Path_] = set()
    for path, what, value in image_fields(old):
        ref = ImageRef.try_parse(value)
        want = expected.images.get(ref.key) if ref is not None else None
        if want is None:
            continue
        judged.add(path)
        now = _at(new, path)
        if isinstance(now, str) and carries(now, want):
            outcome.images += 1
        elif now == value and value in expected.kept:
            continue  # a reference the plan skipped on purpose (held, downgrade, policy)
        elif now == value:
            outcome.problems.append(f"{label} {what} still renders {value}")
        else:
            outcome.problems.append(f"{label} {what} renders {now}, not {want}")
    return judged


def carries(value: str, want: ImageRef) -> bool:
    """Whether a rendered image is `want`: same repository, its tag, and its digest (none when
    `want` has none)."""
    ref = ImageRef.try_parse(value)
    if ref is None or ref.key != want.key:
        return False
    return (want.tag is None or ref.tag == want.tag) and ref.digest == want.digest


def _at(obj: object, path: Path_) -> object:
    for step in path:
        if isinstance(obj, dict) and step in obj:
            obj = obj[step]
        elif isinstance(obj, list) and isinstance(step, int) and step < len(obj):
            obj = obj[step]
        else:
            return None
    return obj


def _differences(
    old: object, new: object, path: Path_, judged: set[Path_], expected: Expected
) -> Iterator[str]:
    """Each place the two renders differ, but the judged image fields and planned changes."""
    if path in judged or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys(), key=str):
            yield from _differences(old.get(key), new.get(key), (*path, key), judged, expected)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from _differences(a, b, (*path, i), judged, expected)
    elif not (isinstance(old, str) and isinstance(new, str) and _planned(old, new, expected.pairs)):
        yield f"{_dotted(path)} changed: {_short(old)} -> {_short(new)}"


def _planned(old: str, new: str, pairs: frozenset[tuple[str, str]]) -> bool:
    """Whether `new` is `old` with some planned changes applied (a marker's value, a file
    embedded in a ConfigMap)."""
    if (old, new) in pairs:
        return True
    text = old
    for before, after in sorted(pairs, key=lambda p: -len(p[0])):
        if before and before in text:
            text = text.replace(before, after)
    return text == new


def _dotted(path: Path_) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "the object"


def _short(value: object) -> str:
    text = "(absent)" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:79] + "…"

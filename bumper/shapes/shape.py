"""What a shape module gives the walk (one `Shape` value, a line of shapes/table.py) and what the
walk gives each hook back (`Found`): the contract between a shape and the one pass over a file.

The walk visits every collection of a composed file once; a shape says where it looks by the
hooks it fills in, and the walk calls only the hooks that can apply to a node:

- `root`: a document's context from its `apiVersion` and the file's name (`SKIP` skips it);
- `document`: references read from a whole document (found before its walk);
- `contexts`: the context a collection is walked under, by its key and its parent's context
  (`images:` under a kustomization's root holds kustomize entries);
- `sequences`: a list walked under one of the shape's contexts;
- `mapping` with `mapping_keys` (and `mapping_suffixes`): a mapping holding one of those keys,
  or a key with one of those endings (a Helm values map's `tag`, `redisTag`); it may claim the
  mapping from later shapes;
- `keys`/`suffixes`/`prefixes` with `scalar`: a scalar value under a key of that name, ending
  or beginning (`RELATED_IMAGE_FOO`);
- `block`: a `|` block scalar or a quoted string under any other key (one shape may hold it);
- `marker_kind` with `marked`: a scalar on a line ending with that marker comment.

A context is the key a collection sits under, or a name of the shape's own starting with `\\0`
(a key would need a `"\\0"` escape to spell one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.shapes.hubs import HubComponents
from bumper.shapes.left_alone import UntaggedNotes
from bumper.shapes.reference import Ignored, IgnoreFn, Reference
from bumper.yaml_edit import Repeats, Source

SKIP = "\0skip"  # a root context: the document holds no image to run (Flux's ImagePolicy)

# (source, docs, ignored, shared): the walk, as find_references
Finder = Callable[[Source, list[Node], list[Ignored], "list[Reference] | None"], list[Reference]]


class Claim(NamedTuple):
    """A mapping a shape reads as a whole: later shapes' `mapping` hooks skip it, and `scalars`
    (a values map's `image: repo`, which its chart joins with the tag; the Prometheus operator's
    `baseImage`, which it joins with the version) are read by no key hook."""

    scalars: tuple[Node, ...] = ()


@dataclass
class Found:
    """One walk's results and services, as hooks see them."""

    source: Source
    add: Callable[[Reference | None], None]  # report (a marker wins on its line; a node once)
    ignore: IgnoreFn  # note a value left alone (once, however often a merge key shows it)
    found: list[Reference]  # reported as is: an embedded document's, already settled
    sink: list[Ignored]  # every note, for a nested walk to add to
    find: Finder  # the walk itself, for YAML inside a scalar
    shared: list[Reference] | None = None  # references reached again through an anchor
    untagged: UntaggedNotes = field(default_factory=UntaggedNotes)  # given out after the walk
    # Istio's `hub` + `tag` maps and the bare `image: NAME` values of the document being walked,
    # settled after its walk (shapes/hubs.py)
    components: HubComponents = field(default_factory=HubComponents)
    # An untagged `image: REPO` (by id) whose chart joins it with a version kept in another key
    # (shapes/joined_tag.py): noted with this instead of being read as a reference.
    joined: dict[int, Ignored] = field(default_factory=dict)
    # An image in an entry of a list giving each version its images (shapes/version_table.py),
    # by id: noted with this instead of being reported, unless a marker on its line says otherwise.
    tabled: dict[int, Ignored] = field(default_factory=dict)
    # The block scalars read as YAML already (by id): an aliased `values: *v` is the same text,
    # read once, so its references are reported once and edited once, at the anchor.
    blocks: set[int] = field(default_factory=set)
    # The values of a key said twice with the same scalar (yaml_edit.check_unique_keys): no
    # conflict to read, but a reference that would edit one fails as a repeated key does.
    repeats: Repeats = field(default_factory=dict)


RootFn = Callable[[str, str], str | None]  # (apiVersion, file name) -> context, SKIP or None
DocumentFn = Callable[[Source, Node, IgnoreFn], Iterable[Reference]]
SequenceFn = Callable[[SequenceNode, "Found"], Iterable[Reference]]  # (the list, the walk's)
MappingFn = Callable[[MappingNode, list[str], "str | None", Found], "Claim | None"]
ScalarFn = Callable[[ScalarNode, str, "str | None", Found], None]  # (value, key, context, found)
MarkedFn = Callable[[ScalarNode, str, str, IgnoreFn], "Reference | None"]  # (value, target, part)


class Shape(NamedTuple):
    """One shape's hooks; those left unset are never called. (A NamedTuple: every run builds
    the class at start-up, where a frozen dataclass costs ten times as much.)"""

    name: str  # the table's; its references may report others (argocd's are `helm`, `kustomize`)
    root: RootFn | None = None
    document: DocumentFn | None = None
    contexts: Mapping[str, Mapping[str, str]] = MappingProxyType({})  # key -> parent -> context
    sequences: Mapping[str, SequenceFn] = MappingProxyType({})  # context -> reader
    mapping: MappingFn | None = None
    mapping_keys: frozenset[str] = frozenset()  # the keys that make a mapping worth asking about
    mapping_suffixes: tuple[str, ...] = ()  # and the endings of keys that do (`testImageTag`)
    keys: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()  # asked after `keys` and `suffixes` found none
    scalar: ScalarFn | None = None
    block: ScalarFn | None = None  # a `|` block or quoted string under a key no other hook reads
    marker_kind: str | None = None
    marked: MarkedFn | None = None

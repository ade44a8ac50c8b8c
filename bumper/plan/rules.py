"""The manifests repository's own policy, `.bumper.yaml`: read with line numbers, checked against
the published JSON Schema, and asked which rule governs each reference."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor

from bumper.chart_ref import CHART_SCHEMES, one_hub
from bumper.errors import BumperError, ConfigError
from bumper.image_ref import DOCKER_HUB, HUB_ALIASES
from bumper.plan.paths import PathMatcher, matcher
from bumper.plan.tag_filter import TagFilter
from bumper.plan.versions import literal_pattern

if TYPE_CHECKING:
    from bumper.providers.api import PullRequestSpec
from bumper.yaml_edit import (
    MappingNode,
    Node,
    ScalarNode,
    Source,
    check_unique_keys,
    compose_all,
    parser_lines,
)

POLICY_FILE = ".bumper.yaml"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "bumper.schema.json"
MAX_POLICY_BYTES = 256 * 1024
# A hold marker: `# bumper: hold` at the end of a line; any case and spacing (`# BUMPER: HOLD`,
# `#bumper:hold`, a no-break or other Unicode space pasted from a chat or a wiki, a full-width
# colon typed with an IME) holds too, and `bumper check` asks for the canonical spelling.
_SPACE = r"[^\S\n]*"  # any whitespace but the line's end (a no-break space, a CR before the LF)


@cache
def _hold_re() -> re.Pattern[str]:
    """Compiled by the first text that says `bumper` (most files do not)."""
    return re.compile(rf"#{_SPACE}bumper{_SPACE}[:\uff1a]{_SPACE}hold{_SPACE}$", re.IGNORECASE | re.MULTILINE)


CANONICAL_HOLD = "# bumper: hold"


class PolicyFileError(ConfigError):
    """A `.bumper.yaml` that cannot be read or is invalid: exit 2, nothing pushed."""


@dataclass(frozen=True)
class Rule:
    """One entry of `rules:`; None means "not set here" (the CLI decides)."""

    index: int
    line: int
    paths: PathMatcher | None = None
    images: PathMatcher | None = None
    mode: str | None = None
    allow: TagFilter | None = None
    hold: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool | None = None
    automerge: bool | None = None

    def matches(self, relpath: str, image_key: str) -> bool:
        # A chart's key (`oci://host/path/chart`) is read as the pattern is: `//` as one `/`.
        key = image_key.replace("://", ":/", 1)
        return (self.paths is None or self.paths(relpath)) and (self.images is None or self.images(key))

    def describe(self) -> str:
        return f"{POLICY_FILE}:{self.line} (rule {self.index + 1})"


class RepoPolicy(NamedTuple):
    """The rules of one `.bumper.yaml`, in order."""

    rules: tuple[Rule, ...] = ()

    def rule_for(self, relpath: str, image_key: str) -> Rule | None:
        """The first rule whose paths and images match the reference."""
        return next((r for r in self.rules if r.matches(relpath, image_key)), None)


def held_lines(text: str) -> frozenset[int]:
    """1-based numbers of the lines ending with a hold marker (`# bumper: hold`, any case), as
    the parser numbers them (a lone CR, NEL, U+2028 or U+2029 ends a line and a comment too)."""
    # The marker's word in any case first: a chart's values file has a thousand comments, each
    # a start the pattern tries (IGNORECASE reads b, u, m, p, e, r as ASCII letters only).
    if "bumper" not in text.lower():
        return frozenset()
    text = parser_lines(text)
    lines: set[int] = set()
    line, counted = 1, 0
    for match in _hold_re().finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.add(line)
    return frozenset(lines)


def hold_marker(line: str) -> str | None:
    """The hold marker `line` ends with, as written (None when it holds nothing)."""
    match = _hold_re().search(line.rstrip("\r"))
    return None if match is None else match.group(0).rstrip()


class Verdict(NamedTuple):
    """How one reference is governed: its delivery `mode`, and why it is skipped (or None)."""

    mode: str
    skip: str | None
    rule: Rule | None


class RunRules(NamedTuple):
    """The tree's policy merged with what the command line asked. The CLI fills what a rule
    leaves open and can only narrow what it sets: `--mode pr` turns a rule's `commit` into a PR,
    never the reverse; labels, reviewers and assignees add up; a rule's `draft: true` or
    `automerge: false` stands; nothing on the command line lifts a hold or an `allow`."""

    policy: RepoPolicy = RepoPolicy()
    cli_mode: str | None = None  # None: --mode not given (pr unless a rule says commit)

    def may_commit(self) -> bool:
        """Whether any reference may go straight to the base (`--mode commit`, or a rule's
        `mode: commit` that `--mode pr` does not narrow): else no commit-mode plan is needed."""
        if self.cli_mode == "pr":
            return False
        return self.cli_mode == "commit" or any(rule.mode == "commit" for rule in self.policy.rules)

    def judge(self, relpath: str, image_key: str, new_tag: str | None, held: bool) -> Verdict:
        rule = self.policy.rule_for(relpath, image_key)
        mode = (rule.mode if rule is not None else None) or self.cli_mode or "pr"
        if self.cli_mode == "pr":
            mode = "pr"
        skip = None
        if held or (rule is not None and rule.hold):
            skip = "held"
        elif (
            rule is not None
            and rule.allow is not None
            and (new_tag is None or not rule.allow.matches(new_tag))
        ):
            skip = "policy"  # a REF without a tag (a digest alone) shows no tag the rule allows
        return Verdict(mode, skip, rule)

    def pull_request(self, governing: Iterable[Rule | None], spec: PullRequestSpec) -> PullRequestSpec:
        """The PR `spec` (from the CLI) with what the rules `governing` its changes add: every
        rule's labels, reviewers and assignees; a draft when any says so; automerge only when
        every change may."""
        rules = list(governing)
        used = [r for r in rules if r is not None]

        def union(cli_values: tuple[str, ...], attr: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys([*cli_values, *(v for r in used for v in getattr(r, attr))]))

        return replace(
            spec,
            labels=union(spec.labels, "labels"),
            reviewers=union(spec.reviewers, "reviewers"),
            assignees=union(spec.assignees, "assignees"),
            draft=spec.draft or any(r.draft for r in used),
            automerge=all(spec.automerge if r is None or r.automerge is None else r.automerge for r in rules),
        )


def load_policy(root: Path) -> RepoPolicy:
    """The policy of a local tree (empty when it has no `.bumper.yaml`)."""
    data = read_policy_file(root)
    return RepoPolicy() if data is None else parse_policy(data)


class Enclosing(NamedTuple):
    """The policy file governing a --dir tree from a folder above it, in its git work tree."""

    folder: Path  # the folder holding it
    name: str  # `.bumper.yaml`, or `.bumper.yml` as found
    top: Path  # the work tree's top
    below: str  # the tree as an anchored, literal --path pattern from `folder` (`/clusters`)

    def way_out(self, command: str) -> str:
        """The command reading the tree under that policy (after renaming a `.bumper.yml`)."""
        import shlex  # only a refused run quotes a path

        first = (
            ""
            if self.name == POLICY_FILE
            else f"rename it to {POLICY_FILE} (bumper reads only that name), then "
        )
        return (
            f"{first}run on that folder, narrowed with --path: {command}"
            f"--dir {shlex.quote(str(self.folder))} --path {shlex.quote(self.below)}"
        )


def enclosing_policy(root: Path) -> Enclosing | None:
    """The policy file in a folder between `root` and the top of its git work tree (the nearest);
    None at the top, outside a work tree, or when no folder between holds one."""
    top = root.resolve()
    if (top / ".git").exists():
        return None
    governing: tuple[Path, str] | None = None
    for folder in top.parents:
        if governing is None:
            name = next((n for n in (POLICY_FILE, ".bumper.yml") if os.path.lexists(folder / n)), None)
            governing = (folder, name) if name is not None else None
        if (folder / ".git").exists():
            break
    else:
        return None  # not in a git work tree: no repository's policy to bypass
    if governing is None:
        return None
    where, name = governing
    # Anchored and literal: `clusters` alone would match any `clusters/` deeper in the tree, and
    # a folder named `apps[1]` would not match itself.
    return Enclosing(where, name, folder, "/" + literal_pattern(top.relative_to(where).as_posix()))


def check_no_enclosing_policy(root: Path) -> None:
    """Refuse a --dir tree below the top of its git work tree when a folder between them holds
    the policy: its rules (paths from that folder) govern this tree too, and reading the tree
    alone would bypass them (a hold on clusters/prod, by `--dir clusters`). The error names the
    policy file as found (`.bumper.yml` too), relative to the work tree's top."""
    enclosing = enclosing_policy(root)
    if enclosing is None:
        return
    where, name = enclosing.folder, enclosing.name
    raise ConfigError(
        f"--dir {root} is inside {where}, whose {name} governs it; {enclosing.way_out('')}",
        file=(where / name).relative_to(enclosing.top).as_posix(),
        line=1,
    )


# -- reading ----------------------------------------------------------------------------------


def read_policy_file(root: Path) -> bytes | None:
    """The bytes of `root/.bumper.yaml` (None when absent); a link or a special file is refused,
    and a `.bumper.yml` beside no `.bumper.yaml` too, so a misnamed policy is never ignored."""
    path = root / POLICY_FILE
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        if os.path.lexists(root / ".bumper.yml"):  # a link too, wherever it points (as --repo sees it)
            raise misnamed_policy() from None
        return None
    if not stat.S_ISREG(mode):
        raise PolicyFileError("must be a regular file (not a link or a folder)", file=POLICY_FILE)
    return path.read_bytes()


def misnamed_policy() -> PolicyFileError:
    """A `.bumper.yml` with no `.bumper.yaml` beside it, in either flow: said, never ignored."""
    said = f"found .bumper.yml; bumper reads only {POLICY_FILE}: rename it"
    return PolicyFileError(said, file=".bumper.yml")


def parse_policy(data: bytes, file: str = POLICY_FILE) -> RepoPolicy:
    """Parse and validate a `.bumper.yaml`; PolicyFileError names file:line of the first problem."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyFileError(f"larger than {MAX_POLICY_BYTES // 1024} KiB", file=file)
    try:
        source = Source.from_bytes(file, data)
    except UnicodeDecodeError:
        raise PolicyFileError("is not UTF-8 text", file=file) from None
    try:
        docs = compose_all(source)
    except BumperError as exc:
        raise PolicyFileError(exc.message, file=file, line=exc.line) from None
    if len(docs) != 1:
        raise PolicyFileError(
            "must hold exactly one YAML document, starting with 'version: 1'", file=file, line=1
        )
    lines: dict[tuple[Any, ...], int] = {}
    document = _to_data(source, docs[0], (), lines, set())
    _validate_schema(document, lines, file)
    assert isinstance(document, dict)
    rules = tuple(
        _rule(i, raw, lines.get(("rules", i), 1), lines, file)
        for i, raw in enumerate(document.get("rules", []))
    )
    return RepoPolicy(rules)


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
_MAX_DEPTH = 32  # the schema nests four levels; anything deeper is not a policy


def _to_data(
    source: Source, node: Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int], seen: set[int]
) -> Any:
    """Plain data from the node graph, recording the line of every value by its path. Only plain
    YAML is taken: no anchors, no tags beyond the JSON types (`!!python/...`, `!!binary`,
    `!!set`), no list or mapping as a key."""
    line = node.start_mark.line + 1

    def refuse(problem: str) -> PolicyFileError:
        return PolicyFileError(problem, file=source.path, line=line)

    if id(node) in seen:
        raise refuse("anchors and aliases are not supported here; write the values out")
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        if isinstance(node, ScalarNode) and node.tag.endswith(":timestamp"):
            raise refuse(f"{node.value!r} reads as a date; quote it")
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise refuse(f"unsupported YAML tag {tag!r}; write plain strings, numbers, lists and mappings")
    if len(path) > _MAX_DEPTH:
        raise refuse(f"nested deeper than {_MAX_DEPTH} levels; see docs/policy.md for the layout")
    lines[path] = line
    if isinstance(node, ScalarNode):
        try:
            return SafeConstructor().construct_object(node)
        except (yaml.YAMLError, ValueError) as exc:
            raise refuse(f"cannot read the value {node.value!r}: {exc}".split("\n")[0]) from None
    if isinstance(node, MappingNode):
        try:
            check_unique_keys(source, node)
        except BumperError as exc:
            raise PolicyFileError(exc.message, file=source.path, line=exc.line) from None
        out: dict[Any, Any] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                raise PolicyFileError(
                    "a key must be a plain word, not a list or a mapping ('? ...' complex key)",
                    file=source.path,
                    line=key.start_mark.line + 1,
                )
            name = _to_data(source, key, (*path, "\0key"), lines, seen)
            lines[(*path, "\0key", name)] = key.start_mark.line + 1
            out[name] = _to_data(source, value, (*path, name), lines, seen)
        return out
    return [_to_data(source, item, (*path, i), lines, seen) for i, item in enumerate(node.value)]


@cache
def _validator() -> Any:
    import json  # these two only when a repository has a policy (tests/import_budget_test.py)

    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft7Validator(schema)


def _validate_schema(document: Any, lines: dict[tuple[Any, ...], int], file: str) -> None:
    errors = sorted(
        _validator().iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    )
    if not errors:
        return
    error = errors[0]
    path = tuple(error.absolute_path)
    line = lines.get(path, 1)
    where = _dotted(path) or "the file"
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted((k for k in error.instance if k not in allowed), key=str)
        if unknown:
            line = lines.get((*path, "\0key", unknown[0]), line)
            message = f"unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}"
    elif error.validator == "required":
        message = f"{message}; start the file with 'version: 1'"
    elif error.validator == "const":
        message = f"{error.instance!r} is not a supported version; write 'version: 1'"
    raise PolicyFileError(f"{where}: {message}; see docs/policy.md", file=file, line=line)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _rule(index: int, raw: dict[str, Any], line: int, lines: dict[tuple[Any, ...], int], file: str) -> Rule:
    def at(key: str, *more: Any) -> int:
        return lines.get(("rules", index, key, *more), line)

    def checked(key: str, build: Any) -> Any:
        try:
            return build()
        except ConfigError as exc:
            raise PolicyFileError(exc.message, file=file, line=at(key)) from None

    paths = (
        checked("paths", lambda: matcher(raw["paths"], f"rules[{index}].paths entry"))
        if "paths" in raw
        else None
    )
    images = checked("images", lambda: image_matcher(raw["images"], index)) if "images" in raw else None
    allow = None
    if "allow" in raw:
        try:
            allow = TagFilter(raw["allow"])
        except ConfigError as exc:
            raise PolicyFileError(
                f"rules[{index}].allow: {exc.message}", file=file, line=at("allow")
            ) from None
    return Rule(
        index=index,
        line=line,
        paths=paths,
        images=images,
        mode=raw.get("mode"),
        allow=allow,
        hold=bool(raw.get("hold", False)),
        labels=tuple(raw.get("labels", ())),
        reviewers=tuple(raw.get("reviewers", ())),
        assignees=tuple(raw.get("assignees", ())),
        draft=raw.get("draft"),
        automerge=raw.get("automerge"),
    )


def _registry_repository(pattern: str, index: int) -> str:
    """`pattern` as the key it is matched on spells it: the host (and a chart source's scheme)
    in lower case, a trailing `/` dropped (it named the image, not only what is below it). A
    pattern no key can match is refused (ConfigError), never a rule that silently holds
    nothing: a tag or digest (patterns match registry/repository only) or an image repository
    in upper case (repositories are lower case)."""
    scheme = next((s for s in CHART_SCHEMES if pattern.lower().startswith(s)), "")
    host, sep, path = pattern[len(scheme) :].partition("/")
    path = path.rstrip("/")
    # The name a tag would follow: the last path part, or a Docker Hub name alone (`nginx:1.27`;
    # `localhost:5000` and `registry.local:5000` name a registry and its port).
    named = "." in host.partition(":")[0] or host.partition(":")[0] == "localhost" or bool(scheme)
    last = path.rpartition("/")[2] if sep else "" if named else host
    shown = f"rules[{index}].images entry {pattern!r}"
    version = ""
    if "@" in pattern:
        version = "@" + pattern.split("@", 1)[1]
    elif ":" in last:
        version = ":" + last.split(":", 1)[1]
    if version:
        what = "a digest" if version.startswith("@") else "a tag"
        bare = pattern[: len(pattern) - len(version)]
        raise ConfigError(
            f"{shown} holds {what} ({version!r}): patterns match registry/repository only, so it "
            f"matches no image; write {bare!r} (a rule's allow: decides which tags it takes)"
        )
    if scheme != "http://" and scheme != "https://" and path != path.lower():
        lower = f"{scheme}{host}{sep}{path.lower()}"
        raise ConfigError(
            f"{shown} has upper case in its repository, which no image name has, so it matches "
            f"no image; write {lower.lower()!r}"
        )
    return f"{scheme.lower()}{host.lower()}{sep}{path}"


def image_matcher(patterns: list[str], index: int) -> PathMatcher:
    """Patterns on `registry/repository`, anchored at the registry; a Docker Hub name is
    completed as a REF would be (`nginx`, `docker.io/nginx` and `index.docker.io/library/nginx`
    are `docker.io/library/nginx`, `bitnami/*` is `docker.io/bitnami/*`)."""
    completed = []
    for pattern in patterns:
        text = one_hub(_registry_repository(pattern.strip().lstrip("/"), index))
        first, sep, rest = text.partition("/")
        if sep and first.lower() in HUB_ALIASES:  # a hold on docker.io/nginx holds nginx
            official = "/" not in rest and not any(c in rest for c in "*?[")  # docker.io/* is all
            text = f"{DOCKER_HUB}/library/{rest}" if official else f"{DOCKER_HUB}/{rest}"
        elif not ("." in first or ":" in first or first == "localhost" or any(c in first for c in "*?[")):
            text = f"{DOCKER_HUB}/{text}" if sep else f"{DOCKER_HUB}/library/{text}"
        completed.append("/" + text)
    found = matcher(completed, f"rules[{index}].images entry")
    assert found is not None
    return found

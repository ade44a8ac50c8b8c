"""What a bump run asks (BumpOptions) and answers (BumpResult, Status); no I/O beyond checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from bumper.duration import parse_duration
from bumper.errors import ConfigError

if TYPE_CHECKING:  # the YAML engine loads only when a run plans a tree
    from pathlib import Path

    from bumper.image_ref import ImageRef
    from bumper.plan.tree import TreePlan
    from bumper.registry import RegistryImage

# Every bump and promote imports this module before its flow starts: what only from_cli checks
# with is imported there, on use (tests/import_budget_test.py).
_AUTHOR_RE = r"([^<>\n\r]+?)\s*<([^<>\s@]+@[^<>\s@]+)>"
# bumper.providers.registry's AUTO and NO_PROVIDER: no registry lookup (nor the git URL parser
# it loads) for a run that names no provider, as every --dir run.
UNNAMED_PROVIDERS = ("auto", "none")
DEFAULT_AUTHOR = ("bumper[bot]", "bumper-bot@users.noreply.github.com")


class Status(str, Enum):
    """The `status` of a bump result (docs/reference.md, "JSON output"), one member per outcome."""

    WRITTEN = "written"
    DRY_RUN = "dry-run"
    OPENED = "opened"
    UPDATED = "updated"
    UP_TO_DATE = "up-to-date"
    NOT_FOUND = "not-found"
    BLOCKED = "blocked"
    COMMITTED = "committed"
    MERGED = "merged"  # --wait merged: the pull request was merged
    CLOSED = "closed"  # --wait merged: the pull request was closed without merging

    def __str__(self) -> str:  # f-strings and joins print the contract's word, on every Python
        return str(self.value)

    # Equal to its word and hashed like it, so `{"up-to-date": ...}[status]` finds it.
    __hash__ = str.__hash__


class BumpOptions(NamedTuple):
    """Validated options of one bump run (a record: `_replace` makes a changed copy). A
    NamedTuple, not a dataclass: every bump builds this class at start-up, and a frozen
    dataclass of these 28 fields costs about ten times as much to build (issue 30)."""

    refs: list[ImageRef]
    image_policies: Mapping[str, ImageRef] = MappingProxyType({})  # Flux policy -> latest image
    repo: str | None = None
    directory: Path | None = None
    dry_run: bool = False
    paths: tuple[str, ...] = ()
    base: str | None = None
    branch: str | None = None
    provider: str = "auto"
    api_url: str | None = None
    title: str | None = None
    body: str | None = None
    commit_message: str | None = None
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    automerge: bool = False
    author: tuple[str, str] = DEFAULT_AUTHOR
    allow_downgrade: bool = False
    mode: str | None = None  # --mode; None when not given (pr unless .bumper.yaml says commit)
    commit_via: str = "git"  # --commit-via: push with git, or have the host's API make the commit
    output: str = "text"
    verify: str = "off"  # --verify: off | render | warn | auto (bumper.verify)
    wait: str | None = None  # --wait merged: follow the pull request until it is merged or closed
    wait_timeout: float = 1800.0  # --wait-timeout, seconds
    promoted_from: str | None = None  # `bumper promote`: where the REF was read (BRANCH:PATH, ...)
    registry: str = "off"  # --registry: off | check | resolve (bumper.registry)
    # What the registry answered for each REF (commands/bump.py asks bumper.registry, before any write).
    registry_images: tuple[RegistryImage, ...] = ()

    @classmethod
    def from_cli(cls, raw: dict[str, Any]) -> BumpOptions:
        """Check every value before anything touches git, the network or a file."""
        from pathlib import Path

        from bumper.chart_ref import parse_ref
        from bumper.plan.paths import normalize_all

        image_policies: dict[str, ImageRef] = {}
        if raw.get("image_policies"):
            from bumper.plan.image_policy import parse_image_policies

            image_policies = parse_image_policies(raw["image_policies"])
        if not raw["refs"] and not image_policies:
            raise ConfigError(
                "give at least one REF or --image-policy, e.g. 'bumper bump ghcr.io/acme/app:v1.2.3 --dir .'"
            )
        if bool(raw["repo"]) == bool(raw["directory"]):
            raise ConfigError("give exactly one of --repo URL or --dir PATH")
        refs = [parse_ref(text) for text in raw["refs"]]  # images and charts (bumper.chart_ref)
        if raw["provider"] not in UNNAMED_PROVIDERS:  # an unknown name lists the registered ones
            from bumper.providers.registry import spec_for

            spec_for(raw["provider"])
        directory = Path(raw["directory"]) if raw["directory"] else None
        if directory is not None and not directory.is_dir():
            raise ConfigError(f"--dir {raw['directory']!r} is not a directory")
        _check_utf8(raw)
        author = DEFAULT_AUTHOR
        if raw["author"]:
            match = re.fullmatch(_AUTHOR_RE, raw["author"].strip())
            if match is None:
                raise ConfigError(f"invalid --author {raw['author']!r}; expected 'Name <email@example.com>'")
            author = (match.group(1), match.group(2))
        for name in ("labels", "reviewers", "assignees"):
            for value in raw[name]:
                if not value or any(c in value for c in "\r\n\0") or len(value) > 100:
                    raise ConfigError(f"invalid --{name[:-1]} {value!r}: one line, at most 100 characters")
        for name in ("title", "commit_message"):
            value = raw[name]
            if value is not None and ("\0" in value or len(value) > 4000):
                raise ConfigError(f"invalid --{name.replace('_', '-')}: no NUL, at most 4000 characters")
        return cls(
            refs=refs,
            image_policies=image_policies,
            repo=raw["repo"],
            directory=directory,
            dry_run=raw["dry_run"],
            paths=normalize_all(raw["paths"]),
            base=raw["base"],
            branch=raw["branch"],
            provider=raw["provider"],
            api_url=raw["api_url"],
            title=raw["title"],
            body=raw["body"],
            commit_message=raw["commit_message"],
            labels=tuple(raw["labels"]),
            reviewers=tuple(raw["reviewers"]),
            assignees=tuple(raw["assignees"]),
            draft=raw["draft"],
            automerge=raw["automerge"],
            author=author,
            allow_downgrade=raw["allow_downgrade"],
            mode=raw.get("mode"),
            commit_via=raw.get("commit_via") or "git",
            output=raw["output"],
            verify=raw.get("verify") or "off",
            wait=raw.get("wait"),
            wait_timeout=parse_duration(raw.get("wait_timeout") or "30m", "--wait-timeout"),
            registry=raw.get("registry") or "off",
        )

    @property
    def pins(self) -> dict[str, str]:
        """--registry resolve: repository key -> the digest its digest-pinned references take."""
        return {image.key: image.digest for image in self.registry_images if image.pin}

    @property
    def paths_flag(self) -> str:
        """The option that gave `paths`, as messages name it: `promote` writes under --to."""
        return "--path" if self.promoted_from is None else "--to"

    @property
    def promoted(self) -> dict[str, str] | None:
        """`bumper promote`'s JSON `promoted`: where the version was read, and the REF it gave."""
        if self.promoted_from is None or not self.refs:
            return None
        return {"from": self.promoted_from, "ref": str(self.refs[0])}

    @property
    def images(self) -> list[ImageRef]:
        """Every image this run applies: the REFs, then each policy's latest image once."""
        images = list(self.refs)
        for ref in self.image_policies.values():
            if ref not in images:
                images.append(ref)
        return images


def _check_utf8(raw: dict[str, Any]) -> None:
    """The texts that reach a commit or the host's API are UTF-8: an argument or variable
    holding other bytes (Python reads them as lone surrogates) is bad input, said as such."""
    for name in ("author", "title", "body", "commit_message", "labels", "reviewers", "assignees"):
        given = raw.get(name)
        for value in given if isinstance(given, (list, tuple)) else [given]:
            if isinstance(value, str) and re.search("[\ud800-\udfff]", value):
                shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                option = name.replace("_", "-").removesuffix("s")  # --label, --commit-message
                raise ConfigError(f"invalid --{option} '{shown}': not UTF-8 text; give it as UTF-8")


@dataclass
class BumpResult:
    """What one run did; rendered as JSON or text."""

    status: Status | str  # a str is checked against Status and replaced by it
    plan: TreePlan
    branch: str | None = None
    pull_request: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    commit: dict[str, str] | None = None  # {branch, sha} of a direct commit to the base
    promoted: dict[str, str] | None = None  # `bumper promote`: {from, ref}
    merge_commit: str | None = None  # --wait merged: the commit the merge made on the base
    # Not in JSON: the branch the run's PR goes into, and (--wait merged) the other branch a
    # person retargeted it to and merged it into, when it did not go into that one.
    base: str | None = None
    merged_into: str | None = None

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # a misspelt status fails here, not in a user's script

    def as_json(self) -> dict[str, Any]:
        return {
            "status": Status(self.status).value,
            "changes": [c.as_json() for c in self.plan.changes],
            "skipped": [s.as_json() for s in self.plan.skipped],
            "ignored": [s.as_json() for s in self.plan.ignored],
            "branch": self.branch,
            "pull_request": self.pull_request,
            "commit": self.commit,
            "not_found": list(self.plan.not_found),
            "verified": [v.as_json() for v in self.plan.verified],
            **({"promoted": self.promoted} if self.promoted is not None else {}),
            **({"merge_commit": self.merge_commit} if self.status == Status.MERGED else {}),
        }

"""`bumper bump`: rewrite a local tree (`--dir`) or run the remote flow (`--repo`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bumper.errors import ConfigError, ExitCode, NotFoundError
from bumper.image_ref import ImageRef
from bumper.report import emit_json, info, print_diff
from bumper.rewrite import TreePlan, plan_tree, unified_diff, write_all

_AUTHOR_RE = re.compile(r"([^<>\n\r]+?)\s*<([^<>\s@]+@[^<>\s@]+)>")
DEFAULT_AUTHOR = ("bumper[bot]", "bumper-bot@users.noreply.github.com")


@dataclass(frozen=True)
class BumpOptions:
    """Validated options of one bump run."""

    refs: list[ImageRef]
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
    output: str = "text"
    verbose: bool = False

    @classmethod
    def from_cli(cls, raw: dict[str, Any]) -> BumpOptions:
        """Check every value before anything touches git, the network or a file."""
        if not raw["refs"]:
            raise ConfigError("give at least one REF, e.g. 'bumper bump ghcr.io/acme/app:v1.2.3 --dir .'")
        if bool(raw["repo"]) == bool(raw["directory"]):
            raise ConfigError("give exactly one of --repo URL or --dir PATH")
        refs = [ImageRef.parse(text) for text in raw["refs"]]
        directory = Path(raw["directory"]) if raw["directory"] else None
        if directory is not None and not directory.is_dir():
            raise ConfigError(f"--dir {raw['directory']!r} is not a directory")
        author = DEFAULT_AUTHOR
        if raw["author"]:
            match = _AUTHOR_RE.fullmatch(raw["author"].strip())
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
            repo=raw["repo"],
            directory=directory,
            dry_run=raw["dry_run"],
            paths=tuple(raw["paths"]),
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
            output=raw["output"],
            verbose=raw["verbose"],
        )


@dataclass
class BumpResult:
    """What one run did; rendered as JSON or text."""

    status: str
    plan: TreePlan
    branch: str | None = None
    pull_request: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "changes": [c.as_json() for c in self.plan.changes],
            "skipped": [s.as_json() for s in self.plan.skipped],
            "ignored": [s.as_json() for s in self.plan.ignored],
            "branch": self.branch,
            "pull_request": self.pull_request,
        }


def bump(options: BumpOptions) -> ExitCode:
    try:
        if options.repo is not None:
            from bumper.remote import bump_repo

            result = bump_repo(options)
        else:
            assert options.directory is not None
            result = bump_dir(options)
    except NotFoundError:
        if options.output == "json":  # scripts get the contract's status; stderr says why
            emit_json(BumpResult("not-found", TreePlan()).as_json())
        raise
    render(result, options)
    return ExitCode.OK


def bump_dir(options: BumpOptions) -> BumpResult:
    """Rewrite the local tree in place (all files or none)."""
    assert options.directory is not None
    plan = plan_tree(options.directory, options.refs, options.paths, allow_downgrade=options.allow_downgrade)
    if not plan.edits:
        return BumpResult("up-to-date", plan)
    if options.dry_run:
        return BumpResult("dry-run", plan)
    write_all(plan.edits)
    return BumpResult("written", plan)


def render(result: BumpResult, options: BumpOptions) -> None:
    """JSON on stdout, or the diff (dry run) / the changes (otherwise) with a summary line."""
    plan = result.plan
    if options.output == "json":
        payload = result.as_json()
        if options.dry_run:
            payload["diff"] = unified_diff(plan.edits)
        emit_json(payload)
        return
    if options.dry_run:
        print_diff(unified_diff(plan.edits))
    else:
        for change in plan.changes:
            print(f"{change.file}:{change.line}: {change.old} -> {change.new}")
    if options.verbose:
        for skip in plan.skipped:
            info(f"bumper: skipped {skip.file}:{skip.line}: {skip.value}: {skip.reason}")
        for skip in plan.ignored:
            info(f"bumper: ignored {skip.file}: {skip.reason}")
    for note in result.notes:
        info(f"bumper: {note}")
    files = len({c.file for c in plan.changes})
    verb = {"dry-run": "would rewrite", "up-to-date": "up to date:"}.get(result.status, "rewrote")
    summary = f"{verb} {len(plan.changes)} reference(s) in {files} file(s)"
    if result.status == "up-to-date":
        summary = f"up to date: nothing to change ({len(plan.skipped)} reference(s) skipped)"
    if result.branch:
        summary += f"; branch {result.branch}"
    if result.pull_request:
        summary += f"; {result.status} {result.pull_request['url']}"
    info(f"bumper: {summary}")

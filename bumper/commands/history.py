"""`bumper history`: when each change of one image's references landed, from git history."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from bumper.chart_ref import parse_ref
from bumper.errors import ConfigError, ExitCode
from bumper.history.audit import Entry, History, image_history, local_reader, remote_reader
from bumper.image_ref import ImageRef
from bumper.report import detail, emit_json, info, printable, warn


def history(
    image_text: str,
    repo: str | None,
    directory: str | None,
    paths: tuple[str, ...],
    output: str,
    env: Mapping[str, str],
) -> ExitCode:
    if bool(repo) == bool(directory):
        raise ConfigError("give exactly one of --repo URL or --dir PATH")
    image = parse_ref(image_text, version=False)  # an image, or a chart (bumper.chart_ref)
    source = (
        contextlib.nullcontext(local_reader(directory, env)) if directory else remote_reader(repo or "", env)
    )
    with source as reader:
        found = image_history(reader, image, paths)
    _say_what_was_read(found)
    entries = found.entries
    if output == "json":
        emit_json(
            {
                "image": image.key,
                "tag": image.tag,
                "digest": image.digest,
                "shallow": found.boundary is not None,
                "history": [e.as_json() for e in entries],
            }
        )
    else:
        for entry in entries:
            print(_line(entry))
        info(
            f"bumper: {len(entries)} change(s) of {image.key}{_version(image)} in {len(found.files)} file(s)"
        )
    return ExitCode.OK


def _say_what_was_read(found: History) -> None:
    for path in found.files:
        detail(f"bumper: followed {printable(path)}")
    for rename in found.renames:
        old, new = printable(rename.source), printable(rename.path)
        detail(f"bumper: followed {new}, renamed from {old} in {rename.commit[:12]}")
    if found.boundary is not None:
        shown = ", ".join(sha[:12] for sha in found.boundary[:3]) + (", …" if len(found.boundary) > 3 else "")
        warn(
            f"shallow clone: its history starts at {shown}, so earlier changes are not listed; "
            "`git fetch --unshallow` reads them all"
        )


def _version(image: ImageRef) -> str:
    return (f":{image.tag}" if image.tag else "") + (f"@{image.digest}" if image.digest else "")


def _line(entry: Entry) -> str:
    changes = "; ".join(f"{c.file}: {c.old or '(none)'} -> {c.new or '(none)'}" for c in entry.changes)
    extra = " ".join(x for x in (entry.pull_request, entry.build) if x)
    line = f"{entry.date[:10]} {entry.commit[:12]} {entry.author}: {changes}" + (
        f" ({extra})" if extra else ""
    )
    return printable(line)

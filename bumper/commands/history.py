"""`bumper history`: when each change of one image's references landed, from git history."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from bumper.chart_ref import parse_ref
from bumper.errors import ConfigError, ExitCode
from bumper.history import Entry, image_history, local_reader, remote_reader
from bumper.report import detail, emit_json, info


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
    followed: list[str] = []
    source = (
        contextlib.nullcontext(local_reader(directory, env)) if directory else remote_reader(repo or "", env)
    )
    with source as reader:
        entries = image_history(reader, image, paths, followed=followed)
    for path in followed:
        detail(f"bumper: followed {path}")
    if output == "json":
        emit_json({"image": image.key, "history": [e.as_json() for e in entries]})
    else:
        for entry in entries:
            print(_line(entry))
        info(f"bumper: {len(entries)} change(s) of {image.key} in {len(followed)} file(s)")
    return ExitCode.OK


def _line(entry: Entry) -> str:
    changes = "; ".join(f"{c.file}: {c.old or '(none)'} -> {c.new or '(none)'}" for c in entry.changes)
    extra = " ".join(x for x in (entry.pull_request, entry.build) if x)
    return f"{entry.date[:10]} {entry.commit[:12]} {entry.author}: {changes}" + (
        f" ({extra})" if extra else ""
    )

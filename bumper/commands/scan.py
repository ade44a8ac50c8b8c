"""`bumper scan`: show every image reference a bump could rewrite."""

from __future__ import annotations

from pathlib import Path

from bumper.errors import ExitCode
from bumper.report import emit_json, info
from bumper.rewrite import scan_tree


def scan(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    found, ignored = scan_tree(Path(directory), paths)
    images = [
        {
            "file": source.path,
            "line": ref.line,
            "column": ref.column(source),
            "shape": ref.shape,
            "value": ref.value,
            "registry": ref.ref.registry,
            "repository": ref.ref.repository,
            "tag": ref.ref.tag,
            "digest": ref.ref.digest,
        }
        for source, ref in found
    ]
    if output == "json":
        emit_json({"images": images, "ignored": [s.as_json() for s in ignored]})
        return ExitCode.OK
    for image in images:
        print(f"{image['file']}:{image['line']}:{image['column']}: {image['shape']}: {image['value']}")
    for skip in ignored:
        where = f"{skip.file}:{skip.line}" if skip.line else skip.file
        info(f"bumper: ignored {where}: {skip.reason}")
    return ExitCode.OK

"""Packaged Helm charts for tests: a gzipped tar as `helm package` writes it."""

from __future__ import annotations

import io
import tarfile


def tgz(members: dict[str, bytes] | list[tuple[str, bytes | str]]) -> bytes:
    """A gzipped tar holding `members` (name -> bytes) as regular files, in order; in a list of
    pairs, a str is a symbolic link to that name, and a name may repeat."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items() if isinstance(members, dict) else members:
            member = tarfile.TarInfo(name)
            if isinstance(data, str):
                member.type, member.linkname = tarfile.SYMTYPE, data
                archive.addfile(member)
                continue
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


def packaged(name: str, files: dict[str, bytes]) -> bytes:
    """Chart `name` packaged: each file as the member NAME/FILE."""
    return tgz({f"{name}/{rel}": data for rel, data in files.items()})

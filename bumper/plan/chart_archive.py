"""A subchart kept packaged (`charts/foo-1.2.3.tgz`, what `helm dependency build` writes beside
an umbrella chart): its `Chart.yaml` and `values.yaml`, read from the archive without unpacking
it, so an override of its image is judged as one of an unpacked subchart is. `gzip` and
`tarfile` (with the compressors it loads) are imported by the first archive read: most trees
have none, and every run would pay for them at start-up."""

from __future__ import annotations

import io
import os
import stat
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from bumper.plan.select import MAX_FILE_BYTES

if TYPE_CHECKING:
    import gzip
    import tarfile

ARCHIVE_SUFFIX = ".tgz"
_MAX_MEMBERS = 10_000  # a chart's files; an archive holding more is no chart bumper reads (None)
_MAX_INFLATED = 8 * MAX_FILE_BYTES  # what reading one archive may inflate, at most


class Packaged(NamedTuple):
    """The chart files of one archive: the folder they sit in (the chart's name, as Helm packages
    it) and the bytes of its Chart.yaml and values.yaml (None when absent)."""

    top: str
    chart: bytes | None
    values: bytes | None
    nested: bool  # it packs subcharts of its own (`TOP/charts/…`), which are not read


def read_packaged(path: str) -> Packaged | None:
    """The chart in the `.tgz` at `path`, a regular file of at most MAX_FILE_BYTES; None when it
    is none bumper reads (a link, not gzip, not tar, no chart folder at its top, more than
    _MAX_MEMBERS members, a member named out of its folder, a Chart.yaml or values.yaml that is
    a link or too large)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        return None
    return _read(path, info.st_mtime_ns, info.st_size)


class _Capped(io.RawIOBase):
    """A gzip stream that fails past `limit` bytes: an archive of a few megabytes may inflate to
    gigabytes, which reading it for two small files must not do."""

    def __init__(self, inner: gzip.GzipFile, limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise OSError("archive inflates past its limit")
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


@lru_cache(maxsize=32)
def _read(path: str, _mtime: int, _size: int) -> Packaged | None:
    import gzip
    import tarfile

    found: dict[str, bytes | None] = {}
    top: str | None = None
    nested = False
    try:
        with (
            gzip.open(path, "rb") as inner,
            tarfile.open(fileobj=_Capped(inner, _MAX_INFLATED), mode="r|") as archive,
        ):
            for count, member in enumerate(archive):
                if count >= _MAX_MEMBERS or _illegal(member.name):
                    return None  # no chart bumper reads: what Helm makes of it is not known here
                parts = member.name.lstrip("./").split("/")
                nested = nested or (len(parts) > 2 and parts[1] == "charts" and parts[0] in (top, None))
                if len(parts) != 2 or parts[1] not in ("Chart.yaml", "values.yaml"):
                    continue
                if top is not None and parts[0] != top:
                    continue
                top = parts[0]
                found[parts[1]] = _member_bytes(archive, member)
    except (OSError, tarfile.TarError, EOFError, gzip.BadGzipFile):
        return None
    if top is None:
        return None
    return Packaged(top, found.get("Chart.yaml"), found.get("values.yaml"), nested)


def _illegal(name: str) -> bool:
    """A member named from outside the chart's folder (`/es/values.yaml`, `../es/values.yaml`):
    Helm refuses such an archive, or reads its files under other names than bumper would."""
    return name.startswith("/") or ".." in name.split("/")


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A regular member's bytes; an OSError for one bumper does not read (a link inside the
    archive, larger than MAX_FILE_BYTES): the chart's values are then unknown, never taken as
    none (an override's tagless image would be pinned)."""
    if not member.isfile() or member.size > MAX_FILE_BYTES:
        raise OSError(f"{member.name}: no regular file of at most {MAX_FILE_BYTES} bytes")
    stream = archive.extractfile(member)
    if stream is None:
        raise OSError(f"{member.name}: unreadable")
    return stream.read(MAX_FILE_BYTES + 1)

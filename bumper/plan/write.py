"""Writing a plan's files to disk: every file or none, each through a temp file renamed into place."""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from bumper.errors import UnwritableFileError, WorkspaceError
from bumper.plan.file import FileEdit


def write_all(edits: list[FileEdit], *, recheck: bool = False) -> None:
    """Write every file through a temp file (the file's mode and owner), renaming only once all
    temp files exist. `recheck` (a tree someone may edit meanwhile, --dir): each file is read
    again first, and one that is no longer the regular file whose bytes were planned from (an
    edit, a removal, a link put in its place or in its folder's) fails the run with nothing
    written. A rename that fails, or an interruption among the renames, puts the files already
    renamed back as they were: a failed run leaves no file half-written, no temp file behind.
    A file with other hard links, or without a write permission bit, fails the run first
    (`refuse_unreplaceable`)."""
    refuse_unreplaceable(edits)
    staged = _stage([(edit.path, edit.new) for edit in edits])
    try:
        changed = next((e.relpath for e in edits if recheck and _changed(e)), None)
        if changed is not None:
            raise WorkspaceError(
                f"{changed} changed on disk while bumper planned its edit (another program or "
                "person wrote, removed or replaced it meanwhile); nothing was changed: run bumper again"
            )
        _rename_all(edits, staged)
    finally:
        for tmp in staged:
            Path(tmp).unlink(missing_ok=True)  # those not renamed into place


def refuse_unreplaceable(edits: list[FileEdit], *, as_this_user: bool = True) -> None:
    """Fail on the first file a rename must not replace; a --dry-run asks too, so its preview
    fails as the real run would (it said "would rewrite", exit 0, and the run then failed).
    Without `as_this_user` (a dry run) only what the file itself says is asked, not what this
    process may write: a preview runs as another user or on a read-only mount (docs/ci.md)."""
    for edit in edits:
        refusal = _not_replaceable(edit, as_this_user)
        if refusal is not None:
            raise UnwritableFileError(refusal, file=edit.relpath)


def _not_replaceable(edit: FileEdit, as_this_user: bool = True) -> str | None:
    """Why the file must not be replaced by a rename, None when it may: a rename would leave a
    hard link's other names with the old text (a silent fork of one file), would write a file
    its owner made read-only (as root too) or that this user may not write (another user's: the
    rename succeeds in a folder this user may write, and the file becomes this user's), and fails
    in a folder this user may not write (it named a temp file). A file gone meanwhile is
    `_stage`'s to say."""
    try:
        now = os.lstat(edit.path)
    except OSError:
        return None
    leave_out = f"or leave it out with --path '**' --path '!/{edit.relpath}'; nothing was changed"
    if stat.S_ISREG(now.st_mode) and now.st_nlink > 1:
        return (
            f"cannot write {edit.relpath}: it has {now.st_nlink} hard links, and bumper replaces a file "
            "with a new one renamed into place, which would leave the other links with the old text; "
            f"make it a file of its own (cp {edit.relpath} TMP && mv TMP {edit.relpath}) {leave_out}"
        )
    if stat.S_ISREG(now.st_mode) and not now.st_mode & 0o222:
        return (
            f"cannot write {edit.relpath}: it is read-only (mode {now.st_mode & 0o7777:04o}); make it "
            f"writable (chmod u+w {edit.relpath}) for bumper to rewrite it, {leave_out}"
        )
    if not as_this_user:
        return None
    if stat.S_ISREG(now.st_mode) and now.st_uid != os.geteuid() and not _may(edit.path, os.W_OK):
        return (
            f"cannot write {edit.relpath}: this user may not write it (owner uid {now.st_uid}, mode "
            f"{now.st_mode & 0o7777:04o}), and a rename into place would replace it anyway and make it "
            f"this user's; run bumper as a user who may write it, {leave_out}"
        )
    folder = os.path.dirname(edit.path) or "."
    if not _may(folder, os.W_OK | os.X_OK):
        where = posixpath.dirname(edit.relpath) or "."
        return (
            f"cannot write {edit.relpath}: this user may not write its folder {where}, where bumper "
            f"writes the new file before renaming it into place; make the folder writable, {leave_out}"
        )
    return None


def _may(path: str, mode: int) -> bool:
    """Whether this process may access `path` so (its effective ids, as a write would be judged;
    root may write a file without a write bit, which `_not_replaceable` refuses on its own)."""
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _stage(files: list[tuple[str, bytes]]) -> list[str]:
    """A temp file beside each path holding its bytes, with the mode and (where this process
    may give it) the owner of the file it replaces; none left when one cannot be made."""
    from tempfile import mkstemp  # a dry run never writes (tests/import_budget_test.py)

    staged: list[str] = []
    path = ""
    try:
        for path, data in files:
            folder, name = os.path.split(path)
            now = os.lstat(path)
            fd, tmp = mkstemp(prefix=f".{name}.", suffix=".bumper", dir=folder)
            staged.append(tmp)
            try:  # os calls, not a file object: a --repo run may write 12,500 files
                _keep_owner(fd, now)
                os.fchmod(fd, now.st_mode & 0o7777)  # after the owner: a chown clears set-id bits
                rest = memoryview(data)
                while rest:
                    rest = rest[os.write(fd, rest) :]
            finally:
                os.close(fd)
    except BaseException as exc:  # a full disk, a Ctrl-C: no temp file stays behind
        for tmp in staged:
            Path(tmp).unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        where = exc.filename or path  # a failed write (a full disk) names no file
        raise WorkspaceError(f"cannot write {where}: {exc.strerror}; nothing was changed") from None
    return staged


def _keep_owner(fd: int, was: os.stat_result) -> None:
    """Give the temp file the replaced file's owner and group: bumper run as root (a CI
    container on a mounted checkout) must not leave a person's files root's. A process that may
    not (not root, another user's file) keeps the group where it can, else its own."""
    if (was.st_uid, was.st_gid) == (os.geteuid(), os.getegid()):
        return
    for uid in (was.st_uid, -1):
        try:
            os.fchown(fd, uid, was.st_gid)
            return
        except OSError:  # not allowed, or a filesystem without owners (vfat, some network mounts)
            continue


def _rename_all(edits: list[FileEdit], staged: list[str]) -> None:
    """Rename each temp file over its file; on a failure or an interruption, put the files
    already renamed back (their planned-from bytes) before the error goes on."""
    done: list[FileEdit] = []
    try:
        for edit, tmp in zip(edits, staged, strict=True):
            done.append(edit)  # first: an interruption right after its rename puts it back too
            os.replace(tmp, edit.path)
    except BaseException as exc:
        if isinstance(exc, OSError):
            done.pop()  # its rename failed: it holds the bytes it had
        left = _put_back(done)
        if not isinstance(exc, OSError):
            raise
        failed = edits[len(done)].path
        how = (
            "nothing was changed"
            if not left
            else f"{', '.join(left)} already hold the new text and could not be put back"
        )
        raise WorkspaceError(
            f"cannot write {failed}: {exc.strerror}; {how}: make the file replaceable (its "
            "folder writable, the file not immutable nor a mount point) and run bumper again"
        ) from None


def _put_back(done: list[FileEdit]) -> list[str]:
    """Write each file's planned-from bytes back; the paths that could not be."""
    left = []
    for edit in done:
        try:
            (tmp,) = _stage([(edit.path, edit.old)])
            try:
                os.replace(tmp, edit.path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except (OSError, WorkspaceError):
            left.append(edit.path)
    return left


def _changed(edit: FileEdit) -> bool:
    """Whether the file is no longer the one planned from: other bytes, not a regular file, or
    reached through a folder that is a link now (the walk never follows one, so that folder was
    replaced meanwhile, and a rename there would write wherever it points, out of the tree too)."""
    if _bytes_now(edit.path) != edit.old:
        return True
    folders = edit.relpath.split("/")[:-1]
    if not folders or not edit.path.endswith("/" + edit.relpath):
        return False
    root = edit.path[: -len(edit.relpath)]
    return any(os.path.islink(root + "/".join(folders[: n + 1])) for n in range(len(folders)))


def _bytes_now(path: str) -> bytes | None:
    """The bytes of the regular file at `path` (never through a link), None when it is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO never blocks
    except OSError:
        return None  # removed meanwhile, or a link put in its place: not the file planned from
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)

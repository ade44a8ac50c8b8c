"""Modules an SDK imports but a run rarely uses, loaded on first use instead (issue 30: start-up);
and imports whose objects live to the end, made without the cycle collector (lasting_imports).

PyGithub imports `jwt` (and through it `cryptography`) for GitHub App authentication and
`nacl.public` for encrypting Actions secrets at its own import: about a quarter of its import
time, which every GitHub run paid beside the clone although only a GitHub App run signs a JWT
and bumper never encrypts a secret. Inside `deferring(...)`, the first import of such a module
makes it lazy with the standard library's `importlib.util.LazyLoader`: the SDK's `import jwt`
binds it, and its code runs at the first attribute read (`jwt.encode`), through the ordinary
import machinery.

What stays as it was: a module already imported; one that is not plain Python source (an
extension, a zip: `LazyLoader` is for source loaders); and every import outside the block.
The finder is put first on `sys.meta_path` once per process and never taken off (taking an
entry off while another thread walks the list could make that thread skip a finder); outside
the block it answers None at once.

A lazily loaded module runs its code in the thread that first reads from it (on Python < 3.12
two threads reading it at once could see it half-run): bumper reads `jwt` in one thread only,
where a GitHub App token is minted, and never reads `nacl`.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType

_PLAIN = (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader)


class _Deferring(importlib.abc.MetaPathFinder):
    """Finds the modules named in `names` as the path finder does, with a lazy loader."""

    names: frozenset[str] = frozenset()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, _PLAIN):
            return None  # the other finders import it as usual
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


_FINDER = _Deferring()
_LOCK = threading.Lock()


@contextlib.contextmanager
def deferring(*names: str) -> Iterator[None]:
    """While inside, a first import of a module in `names` (full dotted names) is lazy."""
    with _LOCK:
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
        _FINDER.names = frozenset(names)
        try:
            yield
        finally:
            _FINDER.names = frozenset()


@contextlib.contextmanager
def lasting_imports() -> Iterator[None]:
    """Pause the cycle collector while the block imports, then freeze every object alive, as
    bumper.launch does for the command line: a module's functions, classes and tables live to
    the end, and each collection while they were made walked them all again, to free nothing (a
    --repo run imports its flow and its host's SDK this way: 83 collections of a small run became
    8). What the freeze keeps from later collections is what only one would free (reference
    cycles): it goes with the process, as at exit. A pause already under way (another thread's,
    yaml_edit.paused_gc) is left to resume itself."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()

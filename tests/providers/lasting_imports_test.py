"""deferred.lasting_imports: an import made under it runs no collection, and what it made is
frozen (no later collection walks it); the collector's state before it is what it leaves."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bumper.providers.deferred import lasting_imports

# A module that makes many container objects at import, as an SDK's classes and tables are.
MODULE = "TABLE = [{'row': [i]} for i in range(50_000)]\n"


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that runs while the test does."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def _import_fresh(tmp_path: Path, name: str) -> ModuleType:
    (tmp_path / f"{name}.py").write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def test_an_import_under_it_runs_no_collection_and_is_frozen(tmp_path: Path, collections: list[int]) -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    _import_fresh(tmp_path, "lasting_probe_plain")
    assert collections, "the same import runs collections without it (the test can fail)"
    collections.clear()
    with lasting_imports():
        kept = _import_fresh(tmp_path, "lasting_probe_kept")
    assert collections == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(kept.TABLE) * 2  # each row: a dict and a list
    gc.unfreeze()  # the test process goes on: give its objects back to the collector


def test_a_pause_under_way_is_left_to_resume_itself() -> None:
    gc.disable()
    try:
        with lasting_imports():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()

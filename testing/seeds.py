"""A test's earlier bumper run, run once: the end state of an identical run in an identical world is restored.

Many remote tests first run `bumper bump` only to leave the state they then test (the bot branch
and its open PR). `seed_bump` is `runs.bump_json` for such a run: the first time in a pytest
worker it runs bumper for real and keeps what the run left (the served bare repository and the
fake host's state); in a later world that starts the same (same host, same repository refs, same
host and git server settings) with the same arguments, it puts back exactly that state instead
of running bumper again. Nothing is written by hand, so the state cannot drift from bumper's.

What is not restored is the request logs: a test counts requests from a mark taken after the
seed (`host.mark()`, `len(world.git.requests)`), not from 0. Any doubt (a fault hook, a setting
whose text names the world's port or path) runs bumper for real. BUMPER_TEST_SEEDS=0 always runs it.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from testing import repos
from testing.runs import run_bump
from testing.world import World

# Host and git server attributes that are machinery, logs or the world's own address, not state.
_NOT_STATE = frozenset(
    "requests fault _injections lock _lock _httpd _thread port base_url api_url graphql_url bare"
    " schema_violations graphql_violations problems _count root api".split()
)


class _Snapshot:
    """What one real run left: its JSON result, the bare repository, the host's changed state."""

    def __init__(self, world: World, result: dict[str, Any], before: dict[str, Any]) -> None:
        self.result = _swap_urls(result, _urls(world), ("{git}", "{host}", "{api}"))
        self.copy = Path(tempfile.mkdtemp(dir=_folder())) / "bare.git"
        shutil.copytree(world.bare, self.copy, symlinks=True)
        after = _state(world.host)
        self.host = {k: copy.deepcopy(v) for k, v in after.items() if before.get(k, _MISSING) != v}

    def restore(self, world: World) -> dict[str, Any]:
        shutil.rmtree(world.bare)
        shutil.copytree(self.copy, world.bare, symlinks=True)
        for key, value in self.host.items():
            setattr(world.host, key, copy.deepcopy(value))
        result: dict[str, Any] = _swap_urls(self.result, ("{git}", "{host}", "{api}"), _urls(world))
        return result


_MISSING = object()
_cache: dict[str, _Snapshot | None] = {}
_cache_lock = threading.Lock()
_folders: list[str] = []


def _folder() -> str:
    """This process's folder of kept repositories, removed when it exits."""
    with _cache_lock:
        if not _folders:
            _folders.append(tempfile.mkdtemp(prefix="bumper-seeds-"))
            atexit.register(shutil.rmtree, _folders[0], True)
        return _folders[0]


def seed_bump(world: World, ref: str, *args: str, **env: str) -> dict[str, Any]:
    """The JSON result of `bumper bump REF ARGS` that must succeed (as bump_json; `env`
    overrides the world's environment), the world left as that run leaves it; run for real the
    first time, restored after."""
    key = _key(world, ref, args, env)
    with _cache_lock:
        snapshot = _cache.get(key) if key is not None else None
    if snapshot is not None:
        return snapshot.restore(world)
    before = copy.deepcopy(_state(world.host))
    proc = run_bump(world, ref, *args, **env)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    if key is not None and key not in _cache:
        kept = _Snapshot(world, result, before)
        where = (world.git.base_url, world.host.base_url, str(world.git.root))
        with _cache_lock:  # a state naming this world's address or files cannot be moved
            _cache[key] = None if any(w in repr(kept.host) for w in where) else kept
    return result


def _key(world: World, ref: str, args: tuple[str, ...], env: dict[str, str]) -> str | None:
    if os.environ.get("BUMPER_TEST_SEEDS", "1") == "0":
        return None
    if world.git.fault is not None or world.host.fault is not None or world.host._injections:  # type: ignore[union-attr]
        return None
    served = world.repo_url.removeprefix(world.git.base_url)
    git = {k: v for k, v in vars(world.git).items() if k not in _NOT_STATE}
    key = repr(
        (
            type(world.host).__name__,
            world.provider,
            served,
            sorted(_state(world.host).items()),
            sorted(git.items()),
            sorted((k, v) for k, v in world.env(**env).items() if k != "PYTEST_CURRENT_TEST"),
            repos.git("for-each-ref", "--format=%(refname) %(objectname) %(symref)", cwd=world.bare),
            repos.git("symbolic-ref", "HEAD", cwd=world.bare),
            ref,
            args,
        )
    )
    servers = {world.host.api_url: "{api}", world.git.base_url: "{git}", world.host.base_url: "{host}"}
    for url in sorted(servers, key=len, reverse=True):  # the environment names the world's servers
        key = key.replace(url, servers[url])
    where = (world.git.base_url, world.host.base_url, str(world.git.root))
    return None if any(w in key for w in where) or " at 0x" in key else key


def _state(host: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(host).items() if k not in _NOT_STATE}


def _urls(world: World) -> tuple[str, str, str]:
    return world.git.base_url, world.host.base_url, world.host.api_url


def _swap_urls(result: dict[str, Any], old: tuple[str, ...], new: tuple[str, ...]) -> Any:
    """The result with each of `old` (the longest first) written as the matching `new`."""
    text = json.dumps(result)
    marks = [f"\0{i}\0" for i in range(len(old))]
    for i in sorted(range(len(old)), key=lambda i: -len(old[i])):
        text = text.replace(old[i], marks[i])
    for mark, value in zip(marks, new):
        text = text.replace(mark, value)
    return json.loads(text)

"""Running the kustomize renderer: which one, in what environment, and its failure in one line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bumper.errors import ConfigError
from bumper.verify.processes import Renderers, Stopped

DEFAULT_TIMEOUT = 60.0
_KLOG = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ [^\]]+\] (?:"command failed" err=)?')
_MAX_REASON = 300


def renderer() -> list[str] | None:
    """`kustomize build` when kustomize is on PATH, else `kubectl kustomize`, else None."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def check_renderer(mode: str) -> None:
    """`render` and `warn` need a renderer: say so before anything is cloned or written."""
    if mode in ("render", "warn") and renderer() is None:
        raise ConfigError(
            f"--verify {mode} needs kustomize or kubectl on PATH; install one, or use --verify auto "
            "(verifies only where one is installed)"
        )


@dataclass(frozen=True)
class Rendered:
    """The renderer's output, or why it failed (one line)."""

    output: bytes | None
    reason: str | None = None
    timed_out: bool = False


def scrubbed_env(env: Mapping[str, str], home: Path) -> dict[str, str]:
    """Only what a renderer needs: PATH and a private HOME and TMPDIR. No token, no git
    credentials or kubeconfig of the user's HOME, no terminal prompt for a remote base."""
    return {
        "PATH": env.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def render(
    command: list[str], tree: Path, root: str, env: dict[str, str], timeout: float, renderers: Renderers
) -> Rendered:
    """Build the kustomization at `root` inside `tree` (a private copy: paths are relative),
    as one of `renderers` (bumper.verify.processes: nothing it starts outlives it)."""
    try:
        status, out, err = renderers.run([*command, root or "."], cwd=tree, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Rendered(None, f"{command[0]} took longer than {timeout:g} s", timed_out=True)
    except Stopped:
        return Rendered(None, "bumper was interrupted")
    except OSError as exc:
        return Rendered(None, f"cannot run {command[0]}: {exc.strerror}")
    if status != 0:
        return Rendered(None, reason_from(err.decode("utf-8", "replace"), tree))
    return Rendered(out)


def timeout_from(env: Mapping[str, str]) -> float:
    """Seconds one render may take: BUMPER_VERIFY_TIMEOUT, else DEFAULT_TIMEOUT."""
    raw = env.get("BUMPER_VERIFY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise ConfigError(
            f"BUMPER_VERIFY_TIMEOUT must be a number of seconds more than 0 and at most 3600, not {raw!r}"
        )
    return seconds


def reason_from(stderr: str, tree: Path) -> str:
    """The first meaningful line of the renderer's stderr, without log prefixes or temp paths."""
    text = stderr.replace(f"{tree}/", "").replace(str(tree), ".")
    for raw in text.splitlines():
        line = _KLOG.sub("", raw.strip()).strip().strip('<>"').strip()
        line = re.sub(r"^(?:Error|error):\s*", "", line)
        if line:
            return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"
    return "the renderer failed without a message"

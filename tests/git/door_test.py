"""One door to git: every git process bumper starts comes from `GitRunner.execute`
(bumper/git/runner.py), which builds the argv, the environment and the error. Checked twice:
in the source (no other module can name git to a process call) and at run time (the CLI run as a
user runs it, with every process start recorded)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from testing import repos
from testing.probe import run_probed
from testing.world import EXAMPLES

PACKAGE = Path(__file__).resolve().parents[2] / "bumper"
DOOR = PACKAGE / "git" / "runner.py"
# Calls that start a process (or could start git under another name).
SPAWNERS = {"subprocess", "os.system", "os.popen", "os.posix_spawn", "os.posix_spawnp", "pty.spawn"}
SPAWNER_PREFIXES = ("os.exec", "os.spawn", "asyncio.create_subprocess")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _names_git(node: ast.AST) -> bool:
    """Whether `node` is the git program: "git", "git …" (a shell line), or a path ending /git."""
    if isinstance(node, ast.List | ast.Tuple):
        return bool(node.elts) and _names_git(node.elts[0])
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, str) and (value == "git" or value.startswith("git ") or value.endswith("/git"))


def spawns_git(source: str) -> list[int]:
    """Lines of `source` that start git other than through the door: a process call naming
    git, a module that starts processes and builds a `["git", …]` argv anywhere, or GitPython."""
    tree = ast.parse(source)
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    starts_processes = bool(imports & {"subprocess", "pty", "asyncio"})
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(name == "git" or name.startswith("git.") for name in names):
                lines.append(node.lineno)  # GitPython: only the door runs git through it
        elif isinstance(node, ast.Call):
            called = _dotted(node.func)
            spawner = called.split(".")[0] in SPAWNERS or called in SPAWNERS
            spawner = spawner or called.startswith(SPAWNER_PREFIXES) or called.endswith("Popen")
            if spawner and node.args and _names_git(node.args[0]):
                lines.append(node.lineno)
        elif isinstance(node, ast.List | ast.Tuple) and starts_processes and node.elts:
            if _names_git(node.elts[0]) and isinstance(node.elts[0], ast.Constant):
                lines.append(node.lineno)
    return lines


def test_no_module_but_the_door_starts_git() -> None:
    found = {
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path != DOOR
        for line in spawns_git(path.read_text(encoding="utf-8"))
    }
    assert not found, "git started outside bumper/git/runner.py: " + ", ".join(sorted(found))
    assert spawns_git(DOOR.read_text(encoding="utf-8")), "the door itself is seen starting git"


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run(['git', 'log'])\n",
        "from subprocess import Popen\nPopen(['/usr/bin/git', 'log'])\n",
        "import subprocess\nARGV = ('git',)\ndef f(a):\n    return subprocess.run([*ARGV, *a])\n",
        "import os\nos.system('git log')\n",
        "import os\nos.execvp('git', ['git', 'log'])\n",
        "import git\n",
        "from git import Repo\n",
    ],
)
def test_the_scan_sees_git_started_by_hand(source: str) -> None:
    assert spawns_git(source)


def test_the_scan_leaves_other_programs_and_words_alone() -> None:
    source = (
        "import subprocess\nimport click\n"
        "subprocess.run(['grep', '-rl', 'git'])\n"
        "CHOICE = click.Choice(['api', 'git'])\n"
        "MESSAGE = 'the git layer'\n"
    )
    assert spawns_git(source) == []


# Run as `python -m bumper` would, recording every process start and whether the door made it.
PROBE = """
import atexit, json, os, subprocess, sys, traceback
out = sys.argv[1]
sys.argv = ["bumper", *sys.argv[2:]]
seen = []
real = subprocess.Popen.__init__
def spy(self, args, *a, **kw):
    argv = [args] if isinstance(args, (str, bytes)) else list(args)
    if os.path.basename(os.fsdecode(argv[0])).split()[0] == "git":
        frames = [(f.filename, f.name) for f in traceback.extract_stack()]
        runner = os.path.join("bumper", "git", "runner.py")
        door = any(f.endswith(runner) and n in ("execute", "start") for f, n in frames)
        seen.append({"argv": [os.fsdecode(x) for x in argv[:2]], "door": door})
    real(self, args, *a, **kw)
subprocess.Popen.__init__ = spy
atexit.register(lambda: open(out, "w").write(json.dumps(seen)))
from bumper.launch import main
main()
"""


def _git_starts(tmp_path: Path, cwd: Path, *args: str) -> list[dict[str, object]]:
    env = {**repos.git_env(), "NO_COLOR": "1", "BUMPER_PROVIDER": "none"}
    starts: list[dict[str, object]] = json.loads(run_probed(PROBE, tmp_path / "starts.json", args, cwd, env))
    return starts


def test_every_git_process_of_a_run_comes_through_the_door(tmp_path: Path) -> None:
    bare = repos.make_bare_repo(tmp_path / "origin.git", EXAMPLES)
    clone = tmp_path / "clone"
    repos.git("clone", "-q", str(bare), str(clone))
    image = "ghcr.io/acme/app"
    runs = [
        ("history", image, "--dir", str(clone)),
        ("bump", f"{image}:v9.9.9", "--repo", str(bare), "--provider", "none"),
        ("promote", image, "--from", "apps/web", "--to", "overlays/prod", "--dir", str(clone), "--dry-run"),
    ]
    starts = [start for args in runs for start in _git_starts(tmp_path, tmp_path, *args)]
    assert any(s["argv"] == ["git", "clone"] for s in starts), starts  # the probe saw the --repo run
    assert any(s["argv"] == ["git", "cat-file"] for s in starts), starts  # and history's reads
    assert [s for s in starts if not s["door"]] == []

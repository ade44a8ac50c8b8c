"""Run action.yml's composite steps the way the GitHub runner does, for tests and benchmarks.

Each `run:` step becomes a bash script run with the step's `env:` (expressions resolved), the
runner's variables (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, `GITHUB_ACTION_PATH`)
and `bash --noprofile --norc -eo pipefail`, as the runner invokes `shell: bash`. The setup-python
step is not run: a given interpreter stands in for the one it provides.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# How this machine reaches the package index (its CA bundle, a proxy): a runner has its own.
INDEX_ACCESS = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "PIP_CERT",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
)


def load_action(action_path: Path = ROOT) -> dict[str, Any]:
    data = yaml.safe_load((action_path / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def action_step(step_id: str, action_path: Path = ROOT) -> dict[str, Any]:
    """The step of action.yml with this `id`."""
    return next(step for step in load_action(action_path)["runs"]["steps"] if step.get("id") == step_id)


def checkout_copy(dest: Path, root: Path = ROOT) -> Path:
    """Copy what a checkout of the action holds (tracked and new, unignored files) into `dest`."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, names):
        source = root / os.fsdecode(name)
        if source.is_file():  # a file deleted but not yet staged is still listed
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def index_access_env() -> dict[str, str]:
    """The variables that let an install step reach the package index from this machine."""
    return {name: os.environ[name] for name in INDEX_ACCESS if name in os.environ}


def parse_github_output(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file as the runner does (`k=v` lines and `k<<DELIM` heredocs)."""
    out: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delim:
                    break
                value.append(body)
            else:
                raise AssertionError(f"unterminated heredoc for {name!r}")
            out[name] = "\n".join(value)
        else:
            name, _, out[name] = line.partition("=")
    return out


WORKFLOW_COMMAND = re.compile(r"::([A-Za-z-]+)(?: [^:]*)?::(.*)")


def workflow_commands(log: str) -> list[tuple[str, str]]:
    """The workflow commands (`::name params::value`) the runner would act on in a step's log: a
    line is one when it starts with `::` after leading whitespace, unless `::stop-commands::TOKEN`
    is in force, which only `::TOKEN::` ends (GitHub's "Stopping and starting workflow commands").
    Returns (name, value) pairs, stop-commands and its end included."""
    found: list[tuple[str, str]] = []
    stopped: str | None = None
    for line in log.splitlines():
        text = line.lstrip()
        if stopped is not None:
            if text == f"::{stopped}::":
                found.append((stopped, ""))
                stopped = None
            continue
        match = WORKFLOW_COMMAND.fullmatch(text)
        if match is None:
            continue
        found.append((match.group(1), match.group(2)))
        if match.group(1) == "stop-commands":
            stopped = match.group(2)
    return found


@dataclass
class Context:
    """The expression contexts the runner offers; only what action.yml may use is modelled."""

    inputs: dict[str, str]
    github: dict[str, str]
    steps: dict[str, dict[str, str]] = field(default_factory=dict)

    def evaluate(self, text: str) -> str:
        """Resolve `${{ inputs.x }}`, `${{ github.x }}` and `${{ steps.id.outputs.x }}`."""

        def one(match: re.Match[str]) -> str:
            parts = match.group(1).split(".")
            if len(parts) == 2 and parts[0] == "inputs":
                assert parts[1] in self.inputs, f"undeclared input {parts[1]!r}"
                return self.inputs[parts[1]]
            if len(parts) == 2 and parts[0] == "github":
                return self.github[parts[1]]
            if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
                return self.steps.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"the test runner does not model {match.group(0)!r}")

        return EXPRESSION.sub(one, text)


@dataclass
class ActionRun:
    returncode: int
    outputs: dict[str, str]
    summary: str
    log: str
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step run, by id


def run_action(
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    temp: Path,
    action_path: Path = ROOT,
    python: str = sys.executable,
    extra_env: Mapping[str, str] | None = None,
    given_outputs: Mapping[str, dict[str, str]] | None = None,
    scripts: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> ActionRun:
    """Run action.yml's steps as the runner would, with `inputs` as the `with:` map.

    A step whose id is in `given_outputs` is not run; those are its outputs. `scripts` replaces the
    `run:` text of steps by id (a benchmark runs an older install step that way).
    """
    action = load_action(action_path)
    ctx = _context(action["inputs"], inputs, action_path, workspace)
    base_env = _runner_env(workspace, temp, action_path, extra_env)
    log: list[str] = []
    summary: list[str] = []
    seconds: dict[str, float] = {}
    for index, step in enumerate(action["runs"]["steps"]):
        assert "if" not in step, "the test runner does not model `if:`"
        step_id = step.get("id", f"__{index}")
        if "uses" in step:
            assert re.fullmatch(r"actions/setup-python@[0-9a-f]{40}", step["uses"]), step["uses"]
            assert str(step["with"]["update-environment"]).lower() == "false"
            ctx.steps[step_id] = {"python-path": python}
            continue
        assert step["shell"] == "bash"
        if given_outputs and step_id in given_outputs:
            ctx.steps[step_id] = dict(given_outputs[step_id])
            continue
        output_file = temp / f"output-{index}"
        summary_file = temp / f"summary-{index}"
        output_file.write_text("")
        summary_file.write_text("")
        env = dict(base_env, GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file))
        env.update({key: ctx.evaluate(str(value)) for key, value in step.get("env", {}).items()})
        script = temp / f"step-{index}.sh"
        script.write_text((scripts or {}).get(step_id, step["run"]))
        start = time.perf_counter()
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one log in the order written, as the runner shows it
            text=True,
            timeout=timeout,
        )
        seconds[step_id] = time.perf_counter() - start
        log.append(proc.stdout)
        ctx.steps[step_id] = parse_github_output(output_file.read_text())
        summary.append(summary_file.read_text())
        if proc.returncode != 0:
            return ActionRun(proc.returncode, {}, "".join(summary), "".join(log), seconds)
    outputs = {name: ctx.evaluate(spec["value"]) for name, spec in action["outputs"].items()}
    return ActionRun(0, outputs, "".join(summary), "".join(log), seconds)


def _context(
    declared: Mapping[str, Any], inputs: Mapping[str, str], action_path: Path, workspace: Path
) -> Context:
    """The expression context of a run: each declared input, given or its default."""
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    github = {"action_path": str(action_path), "token": "ghs-job-token", "workspace": str(workspace)}
    ctx = Context(inputs={}, github=github)
    for name, spec in declared.items():
        if name in inputs:
            ctx.inputs[name] = inputs[name]
        else:
            assert not spec.get("required"), f"required input {name!r} missing"
            ctx.inputs[name] = ctx.evaluate(str(spec.get("default", "")))
    return ctx


def _runner_env(
    workspace: Path, temp: Path, action_path: Path, extra_env: Mapping[str, str] | None
) -> dict[str, str]:
    """The environment every step starts from, as a GitHub-hosted runner sets it."""
    home = temp / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(temp),
        **(extra_env or {}),
    }

"""The CI recipes in examples/ci/ (Jenkins, CircleCI, Tekton, Bitbucket, Azure, Forgejo): what docs/ci.md
shows, valid for their CI system, the token only in the environment, the build named in the PR."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from bumper.ci.env import Build, current_build, known_systems, variables
from bumper.cli import main
from bumper.providers import registry
from testing.ci_schemas import load_yaml, schema_errors

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "examples" / "ci"
DOCS = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
IMAGE = "ghcr.io/OWNER/bumper:0.1.0"
LANG = {"Jenkinsfile": "groovy"}
# Which CI system each recipe runs on, and its file's JSON schema when check-jsonschema has one.
SYSTEM = {
    "Jenkinsfile": ("jenkins", None),
    "circleci-config.yml": ("circleci", "circle-ci.json"),
    "tekton-task.yaml": ("tekton", None),
    "bitbucket-pipelines.yml": ("bitbucket-pipelines", "bitbucket-pipelines.json"),
    "azure-pipelines.yml": ("azure-pipelines", "azure-pipelines.json"),
    # Forgejo/Gitea Actions read GitHub's workflow syntax: GitHub's schema checks the file.
    "forgejo-workflow.yml": ("forgejo-actions", "github-workflows.json"),
}
TOKEN_IN_TEXT = re.compile(
    r"\$\{?(?:BUMPER_TOKEN|BITBUCKET_TOKEN|SYSTEM_ACCESSTOKEN)|(?:BUMPER_TOKEN|BITBUCKET_TOKEN|SYSTEM_ACCESSTOKEN)="
    r"|\$\{\{|\$\((?!params\.|context\.)"
)
# The token variable each recipe hands bumper: the host's own where the manifests live on it.
TOKEN_VARIABLE = {"bitbucket-pipelines.yml": "BITBUCKET_TOKEN", "azure-pipelines.yml": "SYSTEM_ACCESSTOKEN"}
# The manifests repository each recipe bumps: GitHub, or the CI system's own Git host.
REPOS = {
    "bitbucket-pipelines.yml": "https://bitbucket.org/acme/manifests.git",
    "azure-pipelines.yml": "https://dev.azure.com/acme/platform/_git/manifests",
    "forgejo-workflow.yml": "https://codeberg.org/acme/manifests.git",
}


def recipe(name: str) -> str:
    return (RECIPES / name).read_text(encoding="utf-8")


def test_every_recipe_is_in_the_docs_verbatim() -> None:
    assert sorted(p.name for p in RECIPES.iterdir()) == sorted(SYSTEM)
    for name in SYSTEM:
        fence = f"```{LANG.get(name, 'yaml')}\n{recipe(name)}```\n"
        assert fence in DOCS, f"docs/ci.md does not show examples/ci/{name} as it is"


# -- the commands each recipe runs ---------------------------------------------------------------


def shell_commands(name: str) -> list[str]:
    """The shell scripts a recipe runs (Tekton runs no shell: its step is an argv)."""
    text = recipe(name)
    if name == "Jenkinsfile":
        return re.findall(r"\bsh\s+'''(.*?)'''", text, re.S)
    doc = load_yaml(text)
    if name == "circleci-config.yml":
        return [s["run"]["command"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
    if name == "bitbucket-pipelines.yml":
        steps = [item["step"] for items in doc["pipelines"]["tags"].values() for item in items]
        return [line for step in steps for line in step["script"]]
    if name == "azure-pipelines.yml":
        return [step["script"] for step in doc["steps"] if "script" in step]
    if name == "forgejo-workflow.yml":
        return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]
    return []


def bumper_argv(name: str) -> tuple[list[str], list[str]]:
    """(`docker run` options before the image, bumper's arguments) of the recipe's one bump."""
    if name == "tekton-task.yaml":
        [step] = load_yaml(recipe(name))["spec"]["steps"]
        return [], [*step["command"][1:], *step["args"]]
    [script] = [s for s in shell_commands(name) if "bump" in s]
    argv = shlex.split(script.replace("\\\n", " "))
    if argv[0] == "bumper":
        return [], argv[1:]
    assert argv[:3] == ["docker", "run", "--rm"], argv
    at = argv.index(IMAGE)
    return argv[3:at], argv[at + 1 :]


@pytest.mark.parametrize("name", SYSTEM)
def test_the_token_never_enters_a_command_line(name: str) -> None:
    docker, args = bumper_argv(name)
    for command in [*shell_commands(name), " ".join(args)]:
        assert not TOKEN_IN_TEXT.search(command), command
    if docker:  # the name alone: docker copies the value from its own environment
        token = TOKEN_VARIABLE.get(name, "BUMPER_TOKEN")
        assert [docker[i + 1] for i, a in enumerate(docker) if a == "-e"].count(token) == 1
        assert all("=" not in a for a in docker), docker


@pytest.mark.parametrize("name", SYSTEM)
def test_bumper_parses_the_arguments_the_recipe_gives(name: str) -> None:
    _, args = bumper_argv(name)
    assert args[0] == "bump"
    values = [re.sub(r"\$\{?[A-Z_]+\}?", "v1.2.3", a) for a in args[1:]]
    command = main.commands["bump"]
    # Under the group's context, as the CLI parses it: click caches the help option a command
    # first makes, and one made without the group's `-h` would break later in-process tests.
    with (
        click.Context(main, info_name="bumper", **main.context_settings) as group,
        command.make_context("bump", values, parent=group) as ctx,
    ):
        assert ctx.params["repo"] in (None, REPOS.get(name, "https://github.com/acme/manifests.git"))
    known = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}
    assert {a for a in values if a.startswith("--")} <= known


@pytest.mark.parametrize(
    "name,provider", [("bitbucket-pipelines.yml", "bitbucket"), ("azure-pipelines.yml", "azure-devops")]
)
def test_a_recipe_for_a_hosts_own_ci_uses_that_hosts_provider(name: str, provider: str) -> None:
    _, args = bumper_argv(name)
    repo = args[args.index("--repo") + 1]
    assert registry.resolve("auto", repo, None, {}) == provider
    assert TOKEN_VARIABLE[name] in registry.token_variables(provider)


def system_env(system: str) -> dict[str, str]:
    """Every variable bumper reads from `system`, set as that system would set it."""
    [row] = [s for s in known_systems() if s.name == system]
    env = {}
    for name in variables((row,)):
        if name.startswith("BUMPER_"):
            continue
        if name in row.commits:
            env[name] = "0123456789abcdef0123456789abcdef01234567"
        elif name.endswith(("URL", "URI", "LINK", "ORIGIN")):
            env[name] = f"https://ci.example/{name.lower()}/"
        else:
            env[name] = "7"
    present, _, expected = row.present.partition("=")
    if expected:  # `VAR=value`: what the system sets it to (FORGEJO_ACTIONS=true)
        env[present] = expected
    return env


def env_inside(name: str) -> dict[str, str]:
    """What bumper sees where the recipe runs it: the variables passed into the container, or the
    job's own when the job runs in the image, or what the Tekton Task sets from its params."""
    if name == "tekton-task.yaml":
        [step] = load_yaml(recipe(name))["spec"]["steps"]
        sample = {"params.source-url": "https://tekton.example/run/1", "params.source-commit": "c0ffee1"}
        sample["context.taskRun.name"] = "bump-x7k2p"
        return {
            e["name"]: re.sub(r"\$\(([^)]+)\)", lambda m: sample.get(m.group(1), "x"), e["value"])
            for e in step["env"]
            if "value" in e and e["name"].startswith("BUMPER_SOURCE_")
        }
    own = system_env(SYSTEM[name][0])
    docker, _ = bumper_argv(name)
    if not docker:
        return own
    passed = {docker[i + 1] for i, a in enumerate(docker) if a == "-e"}
    return {k: v for k, v in own.items() if k in passed}


@pytest.mark.parametrize("name", SYSTEM)
def test_the_recipe_lets_bumper_name_the_build(name: str) -> None:
    build = current_build(env_inside(name))
    assert isinstance(build, Build), f"{name}: bumper sees no CI build inside the container"
    assert build.system == SYSTEM[name][0]
    assert build.url and build.run_id and build.commit, build


# -- each system's own rules -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n, (_, schema) in SYSTEM.items() if schema])
def test_yaml_matches_the_systems_published_schema(name: str) -> None:
    _, schema = SYSTEM[name]
    assert schema is not None
    assert schema_errors(load_yaml(recipe(name)), schema) == []


def test_the_schemas_reject_a_broken_recipe() -> None:
    circle = load_yaml(recipe("circleci-config.yml"))
    broken = copy.deepcopy(circle)
    del broken["jobs"]["bump-manifests"]["steps"]
    assert schema_errors(broken, "circle-ci.json")
    azure: dict[str, Any] = load_yaml(recipe("azure-pipelines.yml"))
    assert schema_errors(dict(azure, stepz=azure["steps"]), "azure-pipelines.json")
    bitbucket = load_yaml(recipe("bitbucket-pipelines.yml"))
    bitbucket["pipelines"]["tags"]["v*"][0]["step"]["clone"]["enabled"] = "no"
    assert schema_errors(bitbucket, "bitbucket-pipelines.json")


def test_bitbucket_step_runs_a_script_with_the_docker_service() -> None:
    for items in load_yaml(recipe("bitbucket-pipelines.yml"))["pipelines"]["tags"].values():
        for item in items:
            assert item["step"]["script"] and "docker" in item["step"]["services"]


def test_tekton_task_has_the_structure_tekton_requires() -> None:
    task = load_yaml(recipe("tekton-task.yaml"))
    assert (task["apiVersion"], task["kind"]) == ("tekton.dev/v1", "Task")
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", task["metadata"]["name"])
    declared = [p["name"] for p in task["spec"]["params"]]
    assert len(declared) == len(set(declared))
    assert all(p.get("type", "string") in ("string", "array", "object") for p in task["spec"]["params"])
    [step] = task["spec"]["steps"]
    assert step["name"] and step["image"] == IMAGE and isinstance(step["command"], list)
    used = set(re.findall(r"\$\(params\.([a-z0-9-]+)\)", recipe("tekton-task.yaml")))
    assert used == set(declared), "every param is used, and only declared params are"
    assert all("script" not in s for s in task["spec"]["steps"]), "params never become shell text"
    [token] = [e for e in step["env"] if e["name"] == "BUMPER_TOKEN"]
    assert set(token) == {"name", "valueFrom"} and set(token["valueFrom"]["secretKeyRef"]) == {"name", "key"}


# -- Jenkinsfile: declarative syntax, by a structural check ----------------------------------------

_GROOVY = re.compile(
    r"(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\")"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[{}()\[\],:])|(?P<space>\s+)|(?P<other>.)",
    re.S,
)


def groovy_blocks(text: str) -> dict[str, Any]:
    """The nesting of `name { … }` / `name(…) { … }` blocks; raises on unbalanced braces."""
    root: dict[str, Any] = {"name": "", "children": [], "words": []}
    stack, last_word, depth_parens = [root], "", 0
    for m in _GROOVY.finditer(text):
        kind, token = m.lastgroup, m.group()
        if kind == "word":
            stack[-1]["words"].append(token)
            if depth_parens == 0:
                last_word = token
        elif token == "(":
            depth_parens += 1
        elif token == ")":
            depth_parens -= 1
            assert depth_parens >= 0, "unbalanced parentheses"
        elif token == "{":
            block: dict[str, Any] = {"name": last_word, "children": [], "words": []}
            stack[-1]["children"].append(block)
            stack.append(block)
        elif token == "}":
            stack.pop()
            assert stack, "unbalanced braces: a } closes nothing"
    assert len(stack) == 1 and depth_parens == 0, "unbalanced braces or parentheses"
    return root


def child(block: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in block["children"] if c["name"] == name]
    assert found, f"no {name} {{ … }} inside {block['name'] or 'the file'}"
    return found[0]


def test_jenkinsfile_is_a_declarative_pipeline() -> None:
    root = groovy_blocks(recipe("Jenkinsfile"))
    [pipeline] = root["children"]
    assert pipeline["name"] == "pipeline"
    assert pipeline["words"][:2] == ["agent", "any"] or "agent" in [c["name"] for c in pipeline["children"]]
    stages = child(pipeline, "stages")
    assert stages["children"] and all(s["name"] == "stage" for s in stages["children"])
    for stage in stages["children"]:
        steps = child(stage, "steps")
        credentials = child(steps, "withCredentials")
        assert "sh" in credentials["words"], "the bump runs inside withCredentials"


def test_jenkinsfile_never_interpolates_the_secret_in_groovy() -> None:
    text = recipe("Jenkinsfile")
    assert re.search(
        r"withCredentials\(\[string\(credentialsId: '[^']+', variable: 'BUMPER_TOKEN'\)\]\)", text
    )
    assert not re.search(r'\bsh\s+"', text), "a double-quoted sh script lets Groovy interpolate secrets"


@pytest.mark.parametrize(
    "broken",
    [
        "pipeline { agent any stages { stage('x') { steps { sh 'true' } } }",
        "pipeline { agent any stages { stage('x') { steps { sh 'true' } } } } }",
        "pipeline { agent any stages { stage('x') { sh 'true' } } }",
        "node { stage('x') { sh 'true' } }",
    ],
)
def test_the_structural_check_rejects_what_is_not_declarative(broken: str) -> None:
    with pytest.raises(AssertionError):
        root = groovy_blocks(broken)
        [pipeline] = root["children"]
        assert pipeline["name"] == "pipeline"
        for stage in child(pipeline, "stages")["children"]:
            child(stage, "steps")

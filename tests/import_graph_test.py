"""bumper's modules import each other without a cycle, counting imports inside functions and
`if TYPE_CHECKING:` blocks too (a type is a dependency as well): each module can be read knowing
only what it imports. Its packages (plan, shapes, git, providers, …, each top-level module on its
own) do too: a package can be understood, and moved, knowing only the packages below it."""

from __future__ import annotations

import ast
from pathlib import Path

from bumper.plan import PUBLIC

PACKAGE = Path(__file__).resolve().parents[1] / "bumper"
PACKAGES = (
    "plan",
    "shapes",
    "git",
    "providers",
    "delivery",
    "history",
    "registry",
    "verify",
    "ci",
    "commands",
)


def _module(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the bumper modules it imports (a package import counts as its __init__)."""
    modules = {_module(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                edges.add(node.module)
                edges |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {e for e in edges if e in modules and e != name and not name.startswith(e + ".")}
    return graph


def package_graph(graph: dict[str, set[str]], package: Path = PACKAGE) -> dict[str, set[str]]:
    """Package -> the packages it imports: a module of a sub-package counts as that package, a
    top-level module as itself."""
    packages = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}

    def unit(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 and parts[1] in packages else module

    units: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = units.setdefault(unit(module), set())
        edges |= {unit(t) for t in targets} - {unit(module)}
    return units


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert "bumper.cli" in graph and graph["bumper.cli"], "the graph was read"
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_packages_import_each_other_without_a_cycle() -> None:
    units = package_graph(import_graph())
    assert {f"bumper.{name}" for name in PACKAGES} <= set(units), "every package was read"
    cycle = _cycle(units)
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def test_a_package_cycle_of_acyclic_modules_is_found(tmp_path: Path) -> None:
    """`a.x -> b.y -> a.z` has no module cycle, yet package a needs b and b needs a."""
    root = tmp_path / "pkg"
    for folder in (root, root / "a", root / "b"):
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    (root / "a" / "x.py").write_text("from pkg.b import y\n")
    (root / "b" / "y.py").write_text("from pkg.a import z\n")
    (root / "a" / "z.py").write_text("")
    (root / "top.py").write_text("from pkg.a import x\n")
    graph = import_graph(root)
    assert _cycle(graph) is None
    units = package_graph(graph, root)
    assert units["pkg.top"] == {"pkg.a"}
    assert _cycle(units) == ["pkg.a", "pkg.b", "pkg.a"]


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_an_import_for_types_only_counts(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    types_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"
    (package / "a.py").write_text(types_only)
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert _cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


def test_other_packages_use_only_the_planners_public_modules() -> None:
    private = {f"bumper.plan.{p.stem}" for p in (PACKAGE / "plan").glob("*.py")} - {
        f"bumper.plan.{name}" for name in (*PUBLIC, "__init__")
    }
    assert private, "the planner keeps modules of its own"
    reaching_in = {
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if not module.startswith("bumper.plan")
        for target in targets & private
    }
    assert not reaching_in, "only bumper.plan.PUBLIC is imported from outside: " + ", ".join(
        sorted(reaching_in)
    )


def test_secrets_sits_below_git_and_providers() -> None:
    """git/ and providers/ both scrub through secrets.py, so it imports neither (nor anything of
    bumper's): among the three, package by package, the imports make no cycle."""
    three = ("bumper.git", "bumper.providers", "bumper.secrets")

    def package(module: str) -> str | None:
        return next((p for p in three if module == p or module.startswith(p + ".")), None)

    packages: dict[str, set[str]] = {p: set() for p in three}
    for module, targets in import_graph().items():
        if (source := package(module)) is not None:
            packages[source] |= {t for t in map(package, targets) if t is not None and t != source}
    assert packages["bumper.git"] == {"bumper.secrets"} and "bumper.secrets" in packages["bumper.providers"]
    cycle = _cycle(packages)
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])
    assert not import_graph()["bumper.secrets"], "secrets.py imports nothing of bumper's"


# A host's SDK and the one module that may import it (house rule: the SDK's quirks, exceptions
# and logging stay in one place; another module reaches the host through that one).
SDK_MODULES = {"github": "bumper.providers.github", "gitlab": "bumper.providers.gitlab"}


def sdk_importers(package: Path = PACKAGE) -> dict[str, set[str]]:
    """SDK -> the bumper modules that import it, inside functions too."""
    found: dict[str, set[str]] = {sdk: set() for sdk in SDK_MODULES}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in found:
                    found[name.split(".")[0]].add(_module(path, package))
    return found


def test_each_host_sdk_is_imported_by_its_provider_module_alone() -> None:
    assert sdk_importers() == {sdk: {module} for sdk, module in SDK_MODULES.items()}


def test_the_sdk_rule_sees_a_second_importer(tmp_path: Path) -> None:
    package = tmp_path / "bumper"
    (package / "providers").mkdir(parents=True)
    (package / "providers" / "github.py").write_text("from github import Github\n")
    (package / "providers" / "gitlab.py").write_text("import gitlab\n")
    (package / "providers" / "app.py").write_text("def f():\n    from github.Auth import AppAuth\n")
    assert sdk_importers(package)["github"] == {"bumper.providers.github", "bumper.providers.app"}

"""docs/reference.md's generated blocks, rendered from the click definitions and bumper's enums."""

from __future__ import annotations

import re
from pathlib import Path

import click

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)", re.S
)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(ctx: click.Context, param: click.Parameter) -> str:
    default = param.get_default(ctx, call=False)
    if default in (None, False, ()) or callable(default) or type(default).__name__ == "Sentinel":
        return ""
    return f"`{default}`"


def _usage(ctx: click.Context, param: click.Parameter) -> str:
    if isinstance(param, click.Argument):
        return f"`{param.make_metavar(ctx)}`"
    assert isinstance(param, click.Option)
    names = ", ".join([*param.opts, *param.secondary_opts])
    if param.is_flag or param.count:
        return f"`{names}`"
    return f"`{names} {param.make_metavar(ctx)}`"


def _envvar(param: click.Parameter) -> str:
    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
    return ", ".join(f"`{n}`" for n in names)


def _command(path: str, command: click.Command) -> list[str]:
    ctx = click.Context(command, info_name=path.split()[-1])
    lines = [f"### `{path}`", ""]
    summary = (command.help or "").split("\n\n")[0]
    if summary:
        lines += [_cell(summary.replace("\b", "")), ""]
    params = [p for p in command.params if not getattr(p, "hidden", False) and p.name != "help"]
    if params:
        lines += ["| argument / option | environment | default | meaning |", "|---|---|---|---|"]
        for param in params:
            meaning = getattr(param, "help", None) or ""
            if param.multiple and "repeatable" not in meaning:
                meaning = f"{meaning} (repeatable)".strip()
            lines.append(
                f"| {_usage(ctx, param)} | {_envvar(param)} | {_default(ctx, param)} | {_cell(meaning)} |"
            )
        lines.append("")
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            lines += _command(f"{path} {name}", command.commands[name])
    return lines


def commands_block(group: click.Group) -> str:
    """Every command with its arguments and options: names, variables, defaults, help."""
    return "\n".join(_command("bumper", group)).rstrip("\n") + "\n"


def token_variables_block() -> str:
    from bumper.providers.registry import GENERIC_TOKEN, providers

    lines = [f"| `{GENERIC_TOKEN}` | any provider, read first |"]
    for name, spec in sorted(providers().items()):
        lines.append(f"| {', '.join(f'`{v}`' for v in spec.token_variables)} | `{name}` |")
    return "\n".join(lines) + "\n"


def placeholders_block() -> str:
    from bumper.changes import template_values

    names = template_values(["ghcr.io/acme/app:v1"], [], "bumper/x", "main", {})
    return ", ".join(f"`{{{name}}}`" for name in names) + "\n"


def ci_systems_block() -> str:
    """One row per CI system bumper recognises: how, and where it reads the build from."""
    from bumper.ci.env import known_systems, variables

    def names(values: tuple[str, ...]) -> str:
        return " or ".join(f"`{v}`" for v in values)

    lines = [
        "| detected by | `Bumper-CI` | build link | run id | source commit | compare link |",
        "|---|---|---|---|---|---|",
    ]
    for s in known_systems():
        links = " or ".join(f"`{_cell(link)}`" for link in s.links)
        compares = " or ".join(f"`{_cell(link)}`" for link in s.compares) or "none"
        compares += f" (when `{s.compare_when}`)" if s.compare_when else ""
        lines.append(
            f"| `{s.present}` | `{s.name}` | {links} | {names(s.run_ids)} | {names(s.commits)} | {compares} |"
        )
    lines += ["", "Every variable read, in that order: " + ", ".join(f"`{v}`" for v in variables()) + "."]
    return "\n".join(lines) + "\n"


def blocks() -> dict[str, str]:
    from bumper.cli import main

    return {
        "ci-systems": ci_systems_block(),
        "commands": commands_block(main),
        "placeholders": placeholders_block(),
        "token-variables": token_variables_block(),
    }


def render(text: str) -> str:
    """`text` with every generated block replaced by what the code says now."""
    fresh = blocks()
    return _BLOCK.sub(lambda m: m.group(1) + fresh[m.group("name")] + m.group(4), text)


def block_names(text: str) -> list[str]:
    return [m.group("name") for m in _BLOCK.finditer(text)]

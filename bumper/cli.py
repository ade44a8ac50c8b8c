"""Command line: the click group, its options, and the single error boundary."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from bumper import __version__
from bumper.errors import BumperError, ExitCode


class _Bumper(click.Group):
    """Turns every failure into one stderr line and the contract's exit code."""

    debug = False

    def main(self, args: Any = None, prog_name: Any = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        self.debug = False  # set by the group's --debug/BUMPER_DEBUG once click has parsed it
        try:
            code = super().main(args, prog_name or "bumper", standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.UsageError as exc:
            hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
            click.echo(f"bumper: error: {exc.format_message().rstrip('.')}{hint}", err=True)
            code = ExitCode.BAD_INPUT
        except (click.Abort, KeyboardInterrupt):
            click.echo("bumper: interrupted", err=True)
            code = ExitCode.INTERRUPTED
        except BumperError as exc:
            click.echo(f"bumper: error: {_one_line(str(exc))}", err=True)
            code = exc.exit_code
        except Exception as exc:  # the boundary: nothing else may escape as a traceback
            if self.debug:
                import traceback

                traceback.print_exc()
            click.echo(
                f"bumper: internal error (please report): {type(exc).__name__}: {_one_line(str(exc))}",
                err=True,
            )
            code = ExitCode.FAILURE
        sys.exit(int(code or 0))


class _ListItem(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """A repeatable option's value; from the environment, one per line when the variable
    spans lines (so `area: deploy` can be one label), else split on whitespace."""

    name = "text"

    def split_envvar_value(self, rv: str) -> list[str]:
        if "\n" in rv.strip():
            return [line.strip() for line in rv.splitlines() if line.strip()]
        return rv.split()


LIST_ITEM = _ListItem()


def _one_line(text: str) -> str:
    from bumper.secrets import redact

    return redact(" ".join(text.split()))


@click.group(cls=_Bumper, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="bumper", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, envvar="BUMPER_DEBUG", help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Rewrite container image references in Kubernetes manifests and open the pull request.

    \b
    Exit codes: 0 changed, up to date or skipped by policy; 1 runtime failure;
    2 bad input; 3 the image is referenced by no file.
    """
    root = ctx.find_root().command
    if isinstance(root, _Bumper):
        root.debug = debug


def _output_option(f: Any) -> Any:
    return click.option(
        "--output",
        type=click.Choice(["text", "json"]),
        default="text",
        envvar="BUMPER_OUTPUT",
        show_default=True,
        help="Text for people, one JSON object for scripts.",
    )(f)


def _path_option(f: Any) -> Any:
    return click.option(
        "--path",
        "paths",
        multiple=True,
        type=LIST_ITEM,
        envvar="BUMPER_PATH",
        metavar="GLOB",
        help="Only these files or folders: a .gitignore pattern relative to the tree ('values.yaml' "
        "at any depth, 'apps/prod/**' from the root, '!' takes back; repeatable). "
        "Default: every *.yaml/*.yml and Kustomization file.",
    )(f)


def _tree_option(help_text: str) -> Callable[[Any], Any]:
    """`--dir` of the commands that read a local tree (scan, check)."""
    return click.option(
        "--dir",
        "directory",
        type=click.Path(exists=True, file_okay=False),
        default=".",
        envvar="BUMPER_DIR",
        show_default=True,
        help=help_text,
    )


@main.command()
@_tree_option("The tree to scan.")
@_path_option
@_output_option
def scan(directory: str, paths: tuple[str, ...], output: str) -> int:
    """List every image reference bump could rewrite, with file:line:column and shape."""
    from bumper.commands.scan import scan as run_scan

    return run_scan(directory, paths, output)


@main.command()
@_tree_option("The manifests tree to check.")
@_path_option
@_output_option
def check(directory: str, paths: tuple[str, ...], output: str) -> int:
    """Check a manifests tree: .bumper.yaml, marker comments, files that mention an image but do
    not parse. One 'file:line: problem' line each; exit 0 when clean, 1 otherwise."""
    from bumper.commands.check import check as run_check

    return run_check(directory, paths, output)


@main.command()
@click.argument("refs", nargs=-1, envvar="BUMPER_IMAGES", metavar="[REF]...")
@click.option("--repo", envvar="BUMPER_REPO", metavar="URL", help="Git URL of the manifests repository.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    envvar="BUMPER_DIR",
    metavar="PATH",
    help="A local tree, rewritten in place.",
)
@click.option(
    "--dry-run", is_flag=True, envvar="BUMPER_DRY_RUN", help="Write, push and open nothing; print the diff."
)
@_path_option
@click.option(
    "--base",
    envvar="BUMPER_BASE",
    metavar="BRANCH",
    help="Base branch. Default: the remote's default branch.",
)
@click.option("--branch", envvar="BUMPER_BRANCH", metavar="NAME", help="Bot branch. Default: bumper/<image>.")
@click.option(
    "--provider",
    default="auto",
    envvar="BUMPER_PROVIDER",
    show_default=True,
    metavar="auto|NAME|none",
    help="Git host API for the pull request: auto-detected, a registered provider "
    "(github, gitlab or one installed as a plugin), or 'none' to only push the branch.",
)
@click.option(
    "--api-url",
    envvar="BUMPER_API_URL",
    metavar="URL",
    help="API URL (GitHub Enterprise, self-managed GitLab).",
)
@click.option("--title", envvar="BUMPER_TITLE", help="PR title template.")
@click.option("--body", envvar="BUMPER_BODY", help="PR body template.")
@click.option("--commit-message", envvar="BUMPER_COMMIT_MESSAGE", help="Commit message template.")
@click.option(
    "--label", "labels", multiple=True, type=LIST_ITEM, envvar="BUMPER_LABEL", help="PR label (repeatable)."
)
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    type=LIST_ITEM,
    envvar="BUMPER_REVIEWER",
    help="PR reviewer (repeatable).",
)
@click.option(
    "--assignee",
    "assignees",
    multiple=True,
    type=LIST_ITEM,
    envvar="BUMPER_ASSIGNEE",
    help="PR assignee (repeatable).",
)
@click.option("--draft", is_flag=True, envvar="BUMPER_DRAFT", help="Open the PR as a draft.")
@click.option("--automerge", is_flag=True, envvar="BUMPER_AUTOMERGE", help="Merge when checks pass.")
@click.option("--author", envvar="BUMPER_AUTHOR", metavar='"NAME <EMAIL>"', help="Commit author.")
@click.option(
    "--allow-downgrade", is_flag=True, envvar="BUMPER_ALLOW_DOWNGRADE", help="Apply lower versions too."
)
@click.option(
    "--image-policy",
    "image_policies",
    multiple=True,
    type=LIST_ITEM,
    envvar="BUMPER_IMAGE_POLICIES",
    metavar="NAMESPACE:NAME=REF",
    help="A Flux ImagePolicy's latest image: rewrite only the fields marked "
    '{"$imagepolicy": "NAMESPACE:NAME[:tag|:name|:digest]"} (repeatable; REFs may then be omitted).',
)
@click.option(
    "--mode",
    type=click.Choice(["pr", "commit"]),
    default=None,
    envvar="BUMPER_MODE",
    help="Where no .bumper.yaml rule sets a mode: 'pr' (default) opens a pull request from the bot "
    "branch, 'commit' pushes one commit straight to the base. 'pr' also overrides a rule's 'commit'.",
)
@_output_option
@click.option(
    "-v", "--verbose", is_flag=True, envvar="BUMPER_VERBOSE", help="Explain skipped references and files."
)
def bump(**options: Any) -> int:
    """Rewrite every reference to each REF's repository to the REF's tag/digest.

    REF is a full image reference with a tag and/or digest, e.g. ghcr.io/acme/app:v1.2.3.
    Several REFs are applied together: one branch, one commit, one PR. Every option can also
    be set by an environment variable BUMPER_<OPTION>; REFs by BUMPER_IMAGES. The token comes
    from BUMPER_TOKEN, else GITHUB_TOKEN/GH_TOKEN or GITLAB_TOKEN, never from a flag.
    """
    from bumper.commands.bump import bump as run_bump
    from bumper.options import BumpOptions

    return run_bump(BumpOptions.from_cli(options), os.environ)  # the one read of the environment


@main.command()
@click.argument("image", metavar="IMAGE")
@click.option("--repo", envvar="BUMPER_REPO", metavar="URL", help="Git URL of the manifests repository.")
@click.option(
    "--dir",
    "directory",
    envvar="BUMPER_DIR",
    metavar="PATH",
    help="A local clone (its checked-out branch is read).",
)
@_path_option
@_output_option
def history(image: str, repo: str | None, directory: str | None, paths: tuple[str, ...], output: str) -> int:
    """List every change of IMAGE's references in the git history, newest first.

    For each commit of the branch's first-parent line that changed them: the date, the commit,
    its author, old -> new per file, and the pull/merge request and build link where the
    commits name them. Bumps made by hand count too. IMAGE is a repository, e.g.
    ghcr.io/acme/app (a tag is ignored).
    """
    from bumper.commands.history import history as run_history

    return run_history(image, repo, directory, paths, output, os.environ)

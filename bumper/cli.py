"""Command line: the click group, its options, and the single error boundary."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from bumper import __version__, report
from bumper.errors import BumperError, ExitCode
from bumper.termination import Terminated, sigterm_unwinds

_F = TypeVar("_F", bound=Callable[..., Any])


class _Bumper(click.Group):
    """Turns every failure into one stderr line (and, with --output json, one JSON object on
    stdout) and the contract's exit code."""

    debug = False

    def main(self, args: Any = None, prog_name: Any = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        self.debug = False  # set by the group's --debug/BUMPER_DEBUG once click has parsed it
        env: Mapping[str, str] = os.environ  # the one read of the environment; commands get it as obj
        argv = list(sys.argv[1:] if args is None else args)
        report.reset(json=self._asks_for_json(argv, env), env_color=report.colour_asked(env))
        extra.setdefault("obj", env)
        try:
            with sigterm_unwinds():
                code = super().main(argv, prog_name or "bumper", standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.UsageError as exc:
            hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
            said = f"{exc.format_message().rstrip('.')}{_from_variable(exc, env)}{_json_flag(exc)}"
            message = f"{said}{hint}"
            report.error(message)
            code = _failed(ExitCode.BAD_INPUT, "usage", message)
        except (click.Abort, KeyboardInterrupt) as exc:
            said = _stopped("interrupted", exc)
            sys.stderr.write(f"bumper: {said}\n")
            code = _failed(ExitCode.INTERRUPTED, "interrupted", said, commit=_pushed(exc))
        except Terminated as exc:  # CI cancelled the job: unwound like Ctrl-C
            said = _stopped("terminated (SIGTERM)", exc)
            sys.stderr.write(f"bumper: {said}\n")
            code = _failed(ExitCode.TERMINATED, "terminated", said, commit=_pushed(exc))
        except BumperError as exc:
            report.error(_one_line(str(exc), env))
            code = _failed(
                exc.exit_code, report.error_kind(exc), _one_line(exc.message, env), exc.file, exc.line
            )
        except Exception as exc:  # the boundary: nothing else may escape as a traceback
            if self.debug:
                import traceback

                traceback.print_exc()
            message = _stopped(f"{type(exc).__name__}: {_one_line(str(exc), env)}", exc)
            sys.stderr.write(f"bumper: internal error (please report): {message}\n")
            code = _failed(ExitCode.FAILURE, "internal", message)
        sys.exit(int(code or 0))

    def _asks_for_json(self, argv: Sequence[str], env: Mapping[str, str]) -> bool:
        """Whether --output json is asked, read before click parses anything, so that a usage
        error too answers with JSON (the --output option confirms it once parsed)."""
        words = list(argv[: argv.index("--")] if "--" in argv else argv)
        command = next((self.commands[w] for w in words if w in self.commands), None)
        if command is None or not any(p.name == "output" for p in command.params):
            return False
        for i, word in enumerate(words):
            if word == "--output" and i + 1 < len(words):
                return words[i + 1] == "json"
            if word.startswith("--output="):
                return word == "--output=json"
        return env.get("BUMPER_OUTPUT") == "json"


def _json_flag(exc: click.UsageError) -> str:
    """'; give --output json' for `--json`, the flag other CLIs (kubectl's `-o json` aside) spell
    JSON output with, on a command that has --output."""
    if not isinstance(exc, click.NoSuchOption) or exc.option_name != "--json" or exc.ctx is None:
        return ""
    return "; give --output json" if any(p.name == "output" for p in exc.ctx.command.params) else ""


def _from_variable(exc: click.UsageError, env: Mapping[str, str]) -> str:
    """' (from VARIABLE)' when the refused value came from the environment: a CI job sets the
    variable (an Action input, a GitLab variable), not the flag the message names."""
    param = getattr(exc, "param", None)
    if exc.ctx is None or param is None or param.name is None or not param.envvar:
        return ""
    if exc.ctx.get_parameter_source(param.name) is not ParameterSource.ENVIRONMENT:
        return ""
    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
    return f" (from {next((n for n in names if n in env), names[0])})"


def _failed(
    code: ExitCode,
    kind: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    *,
    commit: dict[str, str] | None = None,
) -> ExitCode:
    error = report.error_object(kind, message, file, line)
    if commit is not None:
        report.emit_failure(int(code), error, commit=commit)
    else:
        report.emit_failure(int(code), error)
    return code


def _pushed(exc: BaseException, what: str = "bumper_pushed_commit") -> dict[str, str] | None:
    """The direct commit (or, `what` "bumper_pushed_branch", the bot branch) a `--repo` run
    pushed before it was stopped (bumper.remote). Ctrl-C comes as click's Abort raised from the
    KeyboardInterrupt that carries it."""
    for stop in (exc, exc.__cause__):
        pushed: dict[str, str] | None = getattr(stop, what, None)
        if pushed is not None:
            return pushed
    return None


def _stopped(what: str, exc: BaseException) -> str:
    """`what`, and what a `--repo` run had pushed before it was stopped: the direct commit, the
    bot branch (bumper.remote)."""
    commit = _pushed(exc)
    branch = _pushed(exc, "bumper_pushed_branch")
    if commit is not None:
        from bumper.remote.direct import pushed_note

        what = f"{what}; {pushed_note(commit)}"
    if branch is not None:
        from bumper.remote.push import pushed_branch_note

        what = f"{what}; {pushed_branch_note(branch)}"
    return what


class _ListItem(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """A repeatable option's value; from the environment, one per line when the variable
    spans lines (so `area: deploy` can be one label), else split on whitespace."""

    name = "text"

    def split_envvar_value(self, rv: str) -> list[str]:
        if "\n" in rv.strip():
            return [line.strip() for line in rv.splitlines() if line.strip()]
        return rv.split()


LIST_ITEM = _ListItem()


def _one_line(text: str, env: Mapping[str, str]) -> str:
    from bumper.secrets import redact

    return redact(" ".join(text.split()), env=env)


def _epilog(*blocks: str) -> str:
    """Help text kept as written (click re-wraps paragraphs unless they start with \\b)."""
    return "\n\n".join("\b\n" + block.strip("\n") for block in blocks)


class _Command(click.Command):
    """A command whose help epilog is written when help is shown: the placeholders' table comes
    from bumper.changes, which no run but `--help` needs (tests/import_budget_test.py)."""

    def __init__(self, *args: Any, later_epilog: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.later_epilog = later_epilog

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.later_epilog is not None:
            self.epilog, self.later_epilog = self.later_epilog(), None
        super().format_epilog(ctx, formatter)


def _placeholders() -> str:
    from bumper.changes import PLACEHOLDERS

    width = max(len(name) for name in PLACEHOLDERS) + 2
    rows = "\n".join(f"  {'{' + name + '}':<{width + 1}} {what}" for name, what in PLACEHOLDERS.items())
    head = "Placeholders of --title, --body and --commit-message ({{ and }} are braces):"
    return f"{head}\n{rows}"


_EXIT_CODES = """
Exit codes: 0 changed, up to date or skipped by policy; 1 runtime failure;
2 bad input; 3 the image is referenced by no file (or --path matches none);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM, a cancelled CI job).
"""

_BUMP_EXAMPLES = """
Examples:
  # what would change in a local checkout (writes nothing)
  bumper bump ghcr.io/acme/app:v1.2.3 --dir . --dry-run
  # clone, commit, push and open (or update) a labelled pull request
  export BUMPER_TOKEN=...       # or GITHUB_TOKEN / GITLAB_TOKEN
  bumper bump ghcr.io/acme/app:v1.2.3 --label deps \\
      --repo https://github.com/acme/manifests.git
  # one JSON object on stdout for scripts, failures included
  bumper bump ghcr.io/acme/app:v1.2.3 --dir . --output json
"""

_SCAN_EXAMPLES = """
Examples:
  bumper scan --dir .
  # also the files considered and the ones left alone, with the reason
  bumper scan --dir . --path 'apps/**' -v
  bumper scan --dir . --output json
"""

_CHECK_EXAMPLES = """
Examples:
  bumper check --dir .
  # only some files or folders
  bumper check --dir . --path 'apps/**'
  bumper check --dir . --output json
"""

_CHECK_EXIT_CODES = """
Exit codes: 0 no problem; 1 a problem (one line each) or a runtime failure;
2 bad input; 3 no --path matches a file; 130 interrupted (Ctrl-C); 143
terminated (SIGTERM).
"""

_HISTORY_EXAMPLES = """
Examples:
  bumper history ghcr.io/acme/app --dir .
  # only the changes to or from one tag, read from the host
  bumper history ghcr.io/acme/app:v1.3.0 --repo https://github.com/acme/manifests.git
  bumper history ghcr.io/acme/app --dir . --path 'apps/prod/**' --output json
"""

_HISTORY_EXIT_CODES = """
Exit codes: 0 listed (an empty list for a tag or digest never seen); 1 runtime
failure; 2 bad input; 3 no file references IMAGE (or --path matches none);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

_COMPLETION_EXAMPLES = """
Examples:
  bumper completion bash > ~/.local/share/bash-completion/completions/bumper
  bumper completion zsh > ~/.zfunc/_bumper    # fpath+=(~/.zfunc) in ~/.zshrc
  bumper completion fish > ~/.config/fish/completions/bumper.fish
  eval "$(bumper completion bash)"            # this shell only
"""

_MAIN_EXAMPLES = """
Examples:
  bumper bump ghcr.io/acme/app:v1.2.3 --dir . --dry-run
  bumper scan --dir .
  bumper completion bash > ~/.local/share/bash-completion/completions/bumper
"""


@click.group(
    cls=_Bumper,
    invoke_without_command=True,
    epilog=_epilog(_MAIN_EXAMPLES, _EXIT_CODES),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="bumper", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, envvar="BUMPER_DEBUG", help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Rewrite container image references in Kubernetes manifests and open the pull request."""
    root = ctx.find_root().command
    if isinstance(root, _Bumper):
        root.debug = debug
    if ctx.invoked_subcommand is None:  # `bumper` alone: the help, and success
        click.echo(ctx.get_help())


def _choice(flag: str, choices: str, default: str | None, help: str, **extra: Any) -> Callable[[_F], _F]:
    """An option taking one of `choices` (space-separated), also read from BUMPER_<FLAG>."""
    return click.option(
        flag,
        type=click.Choice(choices.split()),
        default=default,
        envvar="BUMPER_" + flag.lstrip("-").replace("-", "_").upper(),
        show_default=default is not None,
        help=help,
        **extra,
    )


def _output_option(f: Any) -> Any:
    text = "Text for people, or one JSON object on stdout for scripts (also when it fails)."
    return _choice("--output", "text json", "text", text, callback=_output)(f)


def _level(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-q / -v: the one given on the command line wins over BUMPER_QUIET / BUMPER_VERBOSE."""
    if not value:
        return
    source = ctx.get_parameter_source(param.name or "")
    other = ctx.meta.get("bumper.level")
    if other is not None and other[0] != param.name:
        if source == other[1]:
            raise click.UsageError("-q and -v contradict each other; give one of them", ctx)
        if source != ParameterSource.COMMANDLINE:
            return
    ctx.meta["bumper.level"] = (param.name, source)
    report.DISPLAY.level = report.QUIET if param.name == "quiet" else report.VERBOSE


def _colour(ctx: click.Context, param: click.Parameter, value: str) -> None:
    report.DISPLAY.color = value


def _output(ctx: click.Context, param: click.Parameter, value: str) -> str:
    report.DISPLAY.json = value == "json"
    return value


def _display_options(f: Any) -> Any:
    """-q, -v and --color for every command that prints; they set bumper.report's display."""
    for option in (
        _choice(
            "--color",
            "auto always never",
            "auto",
            "Colour the diff and messages. auto: on a terminal, unless NO_COLOR is set; "
            "FORCE_COLOR forces it.",
            expose_value=False,
            callback=_colour,
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            envvar="BUMPER_VERBOSE",
            expose_value=False,
            callback=_level,
            help="Also list every file considered and every file left alone, with the reason.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            envvar="BUMPER_QUIET",
            expose_value=False,
            callback=_level,
            help="Print errors only on stderr (stdout keeps the diff, the changes or the JSON).",
        ),
    ):
        f = option(f)
    return f


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


@main.command(short_help="List every image reference, with file:line:column.", epilog=_epilog(_SCAN_EXAMPLES))
@_tree_option("The tree to scan.")
@_path_option
@_output_option
@_display_options
def scan(directory: str, paths: tuple[str, ...], output: str) -> int:
    """List every image reference bump could rewrite, with file:line:column and shape."""
    from bumper.commands.scan import scan as run_scan

    return run_scan(directory, paths, output)


@main.command(epilog=_epilog(_CHECK_EXAMPLES, _CHECK_EXIT_CODES))
@_tree_option("The manifests tree to check.")
@_path_option
@_output_option
@_display_options
def check(directory: str, paths: tuple[str, ...], output: str) -> int:
    """Check a manifests tree: .bumper.yaml, marker comments, files that mention an image but do
    not parse. One 'file:line: problem' line each; exit 0 when clean, 1 otherwise."""
    from bumper.commands.check import check as run_check

    return run_check(directory, paths, output)


def _run_options(f: Any) -> Any:
    """The options `bump` and `promote` share: where to write, how to deliver, what to print."""
    for option in reversed(_RUN_OPTIONS):  # as if stacked as decorators, top one outermost
        f = option(f)
    return f


_RUN_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--repo", envvar="BUMPER_REPO", metavar="URL", help="Git URL of the manifests repository."),
    click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False),
        envvar="BUMPER_DIR",
        metavar="PATH",
        help="A local tree, rewritten in place.",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        envvar="BUMPER_DRY_RUN",
        help="Write, push and open nothing; print the diff.",
    ),
    click.option(
        "--base",
        envvar="BUMPER_BASE",
        metavar="BRANCH",
        help="Base branch. Default: the remote's default branch.",
    ),
    click.option(
        "--branch",
        envvar="BUMPER_BRANCH",
        metavar="NAME",
        help="Bot branch, by its own name (refs/... is refused). Default: bumper/<image>.",
    ),
    click.option(
        "--provider",
        default="auto",
        envvar="BUMPER_PROVIDER",
        show_default=True,
        metavar="auto|NAME|none",
        help="Git host API for the pull request: auto-detected, a registered provider "
        "(github, gitlab, gitea, bitbucket, bitbucket-server, azure-devops, or one installed as a "
        "plugin), "
        "or 'none' to only push the branch.",
    ),
    click.option(
        "--api-url",
        envvar="BUMPER_API_URL",
        metavar="URL",
        help="API URL (GitHub Enterprise, self-managed GitLab).",
    ),
    click.option("--title", envvar="BUMPER_TITLE", help="PR title template."),
    click.option("--body", envvar="BUMPER_BODY", help="PR body template."),
    click.option("--commit-message", envvar="BUMPER_COMMIT_MESSAGE", help="Commit message template."),
    click.option(
        "--label",
        "labels",
        multiple=True,
        type=LIST_ITEM,
        envvar="BUMPER_LABEL",
        help="PR label (repeatable).",
    ),
    click.option(
        "--reviewer",
        "reviewers",
        multiple=True,
        type=LIST_ITEM,
        envvar="BUMPER_REVIEWER",
        help="PR reviewer (repeatable).",
    ),
    click.option(
        "--assignee",
        "assignees",
        multiple=True,
        type=LIST_ITEM,
        envvar="BUMPER_ASSIGNEE",
        help="PR assignee (repeatable).",
    ),
    click.option("--draft", is_flag=True, envvar="BUMPER_DRAFT", help="Open the PR as a draft."),
    click.option("--automerge", is_flag=True, envvar="BUMPER_AUTOMERGE", help="Merge when checks pass."),
    click.option("--author", envvar="BUMPER_AUTHOR", metavar='"NAME <EMAIL>"', help="Commit author."),
    click.option(
        "--allow-downgrade", is_flag=True, envvar="BUMPER_ALLOW_DOWNGRADE", help="Apply lower versions too."
    ),
    _choice(
        "--mode",
        "pr commit",
        None,
        "Where no .bumper.yaml rule sets a mode: 'pr' (default) opens a pull request from the bot "
        "branch, 'commit' pushes one commit straight to the base. 'pr' also overrides a rule's 'commit'.",
    ),
    _choice(
        "--commit-via",
        "git api",
        "git",
        "'git' pushes the commit (signed with BUMPER_SIGNING_KEY if set); 'api' has the host make "
        "it (GitHub createCommitOnBranch, GitLab commits API), so the host signs it: Verified.",
    ),
    _choice(
        "--verify",
        "off render warn auto",
        "off",
        "Render each kustomization root that includes a changed file before and after the edit "
        "(kustomize build, else kubectl kustomize) and fail when it would still deploy the old image or "
        "anything else changed. warn: report only; auto: render when a renderer is on PATH.",
    ),
    _choice(
        "--registry",
        "off check resolve",
        "off",
        "Ask each REF's registry before writing anything. check: its tag (and digest) must exist; "
        "resolve: also pin the tag's digest (the multi-platform index's) where a reference is pinned "
        "by digest. off: no registry request.",
    ),
    _choice(
        "--wait",
        "merged",
        None,
        "After opening or updating the pull request, wait until it is merged (exit 0) or closed "
        "(exit 1), at most --wait-timeout.",
    ),
    click.option(
        "--wait-timeout",
        envvar="BUMPER_WAIT_TIMEOUT",
        metavar="DURATION",
        default="30m",
        show_default=True,
        help="How long --wait merged waits: 90s, 10m, 1h.",
    ),
]


@main.command(
    cls=_Command,
    short_help="Bump image references in a local tree or through a pull request.",
    later_epilog=lambda: _epilog(_BUMP_EXAMPLES, _placeholders(), _EXIT_CODES),
)
@click.argument("refs", nargs=-1, envvar="BUMPER_IMAGES", metavar="[REF]...")
@_run_options
@_path_option
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
@_output_option
@_display_options
@click.pass_obj
def bump(env: Mapping[str, str], /, **options: Any) -> int:
    """Rewrite every reference to each REF's repository to the REF's tag/digest.

    REF is a full image reference with a tag and/or digest, e.g. ghcr.io/acme/app:v1.2.3,
    or a Helm chart version: oci://REGISTRY/PATH/CHART:VERSION, https://REPO_URL/CHART:VERSION.
    Several REFs are applied together: one branch, one commit, one PR. Every option can also
    be set by an environment variable BUMPER_<OPTION>; REFs by BUMPER_IMAGES. The token comes
    from BUMPER_TOKEN, else the host's own variable (GITHUB_TOKEN/GH_TOKEN, GITLAB_TOKEN,
    GITEA_TOKEN, BITBUCKET_TOKEN, AZURE_DEVOPS_TOKEN: docs/reference.md), never from a flag.
    """
    from bumper.commands import hints
    from bumper.commands.bump import bump as run_bump
    from bumper.commands.bump import options_from_cli

    ctx = click.get_current_context()
    from_env = {
        name: variable
        for name, variable in (
            ("refs", "BUMPER_IMAGES"),
            ("repo", "BUMPER_REPO"),
            ("directory", "BUMPER_DIR"),
        )
        if ctx.get_parameter_source(name) is ParameterSource.ENVIRONMENT
    }
    hints.check_refs(options["refs"], from_env.pop("refs", None))
    hints.check_target(options["repo"], options["directory"], from_env)
    return run_bump(options_from_cli(options), env)


_PROMOTE_EXAMPLES = """
Examples:
  # prod gets exactly the tag@digest staging runs, through a pull request
  bumper promote ghcr.io/acme/app --from clusters/staging \\
      --to clusters/prod --repo https://github.com/acme/manifests.git
  # environments on branches: read the staging branch, bump main
  bumper promote ghcr.io/acme/app --from-branch staging --from apps \\
      --to apps --base main --repo https://github.com/acme/manifests.git
  # what it would change in a local checkout
  bumper promote ghcr.io/acme/app --from clusters/staging \\
      --to clusters/prod --dir . --dry-run
"""


@main.command(
    cls=_Command,
    short_help="Bump one environment to exactly the version another one runs.",
    later_epilog=lambda: _epilog(_PROMOTE_EXAMPLES, _placeholders(), _EXIT_CODES),
)
@click.argument("image", metavar="IMAGE", envvar="BUMPER_IMAGES")
@click.option(
    "--from",
    "from_paths",
    multiple=True,
    required=True,
    type=LIST_ITEM,
    envvar="BUMPER_PROMOTE_FROM",
    metavar="GLOB",
    help="Where to read IMAGE's version: a .gitignore pattern like --path (repeatable). "
    "Every reference there must agree on one tag@digest.",
)
@click.option(
    "--to",
    "to_paths",
    multiple=True,
    required=True,
    type=LIST_ITEM,
    envvar="BUMPER_PROMOTE_TO",
    metavar="GLOB",
    help="Where to write it: the only files bumped (repeatable).",
)
@click.option(
    "--from-branch",
    envvar="BUMPER_PROMOTE_FROM_BRANCH",
    metavar="BRANCH",
    help="Read --from on this branch of the same repository (environments on branches). "
    "Default: the branch being bumped.",
)
@_run_options
@_output_option
@_display_options
@click.pass_obj
def promote(env: Mapping[str, str], /, **options: Any) -> int:
    """Bump IMAGE under --to to exactly the tag and digest it has under --from.

    IMAGE is a repository without a tag, e.g. ghcr.io/acme/app. The version is read from the
    files under --from (on --from-branch if given); every reference there must agree on one
    tag@digest. Then only the files under --to are bumped, through the same flow as `bump`:
    rules, holds, no downgrade, pull request or direct commit. A rerun changes nothing.
    """
    from bumper.commands.promote import promote as run_promote

    image = options.pop("image")
    from_paths, to_paths = options.pop("from_paths"), options.pop("to_paths")
    from_branch = options.pop("from_branch")
    return run_promote(image, from_paths, to_paths, from_branch, options, env)


@main.command(epilog=_epilog(_HISTORY_EXAMPLES, _HISTORY_EXIT_CODES))
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
@_display_options
@click.pass_obj
def history(
    env: Mapping[str, str],
    image: str,
    repo: str | None,
    directory: str | None,
    paths: tuple[str, ...],
    output: str,
) -> int:
    """List every change of IMAGE's references in the git history, newest first.

    For each commit of the branch's first-parent line that changed them: the date, the commit,
    its author, old -> new per file, and the pull/merge request and build link where the
    commits name them. Bumps made by hand count too, and a renamed file is followed back.
    IMAGE is a repository, e.g. ghcr.io/acme/app; with a tag (ghcr.io/acme/app:v1.2.3) or a
    digest (ghcr.io/acme/app@sha256:...), only the changes to or from it are listed. A
    shallow clone is said to be one: what happened before its first commit is not listed.
    """
    from bumper.commands.history import history as run_history

    return run_history(image, repo, directory, paths, output, env)


@main.command(short_help="Print a shell completion script.", epilog=_epilog(_COMPLETION_EXAMPLES))
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the script that completes bumper's commands and options in SHELL."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # the three choices are click's built-in shells
    click.echo(completer(main, {}, "bumper", "_BUMPER_COMPLETE").source())

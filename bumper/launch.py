"""The `bumper` console script: start a `bump --dir` run's grep before the CLI's modules load.

Importing click and bumper's command line takes about as long as grep needs to search a
10,000-file tree, so a `--dir` run starts grep first and imports meanwhile. Which tree and
which needles is a guess from argv made without click; NeedleSearch.start takes the search over
only when click's own parse asks for the very same search, so a wrong guess costs one grep,
stopped when the run ends, and never changes what bumper does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

# The options of `bump` that take a value (tests/launch_test.py checks this against click).
VALUE_OPTIONS = frozenset(
    "--api-url --assignee --author --base --body --branch --color --commit-message --commit-via "
    "--dir --image-policy --label --mode --output --path --provider --repo --reviewer --title "
    "--registry --verify --wait --wait-timeout".split()
)
FLAGS = frozenset("--allow-downgrade --automerge --draft --dry-run --quiet --verbose -q -v -h --help".split())


def main() -> None:
    """Run the CLI, a `--dir` run's search already under way."""
    search = guess_search(sys.argv[1:], os.environ)
    if search is None:
        from bumper.cli import main as cli

        cli()
        return
    from bumper.plan.search import started_early

    with started_early(*search):
        from bumper.cli import main as cli

        cli()


def guess_search(
    argv: Sequence[str], env: Mapping[str, str]
) -> tuple[str, tuple[bytes, ...], tuple[str, ...]] | None:
    """(tree, needles, file name globs) that `bump --dir` will search, or None when the command
    line is anything else or anything this reading does not know."""
    words = list(argv)
    if words[:1] == ["--debug"]:
        words = words[1:]
    if words[:1] != ["bump"]:
        return None
    options: dict[str, str] = {}
    positional: list[str] = []
    rest = iter(words[1:])
    for word in rest:
        if word == "--":
            positional += rest
        elif word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            if name not in VALUE_OPTIONS:
                return None
            options[name] = value
        elif word in VALUE_OPTIONS:
            options[word] = next(rest, "")
        elif word.startswith("-"):
            if word not in FLAGS:
                return None
        else:
            positional.append(word)
    directory = options.get("--dir", env.get("BUMPER_DIR"))
    refs = positional or env.get("BUMPER_IMAGES", "").split()
    if not directory or "--repo" in options:
        return None
    from bumper.errors import BumperError
    from bumper.image_ref import ImageRef
    from bumper.plan.needles import MANIFEST_NAME_GLOBS, needles

    policies = "--image-policy" in options or bool(env.get("BUMPER_IMAGE_POLICIES", "").strip())
    try:
        parsed = [ImageRef.parse(ref) for ref in refs]
    except BumperError:
        return None
    return directory, needles(parsed, policies), MANIFEST_NAME_GLOBS

"""Hints for the command-line mistakes people make most, raised before any work starts."""

from __future__ import annotations

import re

from bumper.errors import ConfigError

# A bare version: what `bumper bump v1.2.3` means when the image name was forgotten.
_TAG_ONLY = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]*)?")


def check_refs(refs: tuple[str, ...], variable: str | None = None) -> None:
    """Refuse a REF that is only a tag, or several REFs joined by commas, saying what to type;
    `variable` names the environment variable the REFs came from, if they did."""
    origin = f" (from {variable})" if variable else ""
    for text in refs:
        if "," in text:
            parts = " ".join(p.strip() for p in text.split(",") if p.strip())
            fix = (
                f"separate them with spaces or newlines in {variable}"
                if variable
                else f"separate them with spaces: bumper bump {parts} ..."
            )
            raise ConfigError(f"REF {text!r}{origin} joins several images with commas; {fix}")
        if _TAG_ONLY.fullmatch(text):
            raise ConfigError(
                f"{text!r}{origin} is a tag, not an image reference; "
                f"give the whole reference, e.g. ghcr.io/acme/app:{text}"
            )


def check_target(repo: str | None, directory: str | None, variables: dict[str, str]) -> None:
    """--repo and --dir together: name the environment variable that set one of them.

    `variables` maps 'repo'/'directory' to the variable that gave its value, if one did.
    """
    if not (repo and directory) or not variables:
        return
    if len(variables) == 2:
        raise ConfigError(
            "BUMPER_REPO and BUMPER_DIR are both set in the environment; give exactly one "
            "of --repo URL or --dir PATH: unset one of them"
        )
    [(name, variable)] = variables.items()
    flag = "--dir" if name == "repo" else "--repo"
    raise ConfigError(
        f"{variable} is set in the environment and {flag} is given; give exactly one of "
        f"--repo URL or --dir PATH: unset {variable} or drop {flag}"
    )

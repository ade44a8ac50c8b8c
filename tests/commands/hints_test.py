"""The command-line mistakes people make most are refused before any work, saying what to type."""

from __future__ import annotations

import pytest

from bumper.commands.hints import check_refs, check_target
from bumper.errors import ConfigError


@pytest.mark.parametrize("tag", ["v1.2.3", "1.2", "2.0.0-rc.1"])
def test_a_tag_alone_is_refused_with_the_whole_reference_to_type(tag: str) -> None:
    with pytest.raises(ConfigError, match=f"give the whole reference, e.g. ghcr.io/acme/app:{tag}"):
        check_refs((tag,))


def test_refs_joined_by_commas_are_refused_naming_where_they_came_from() -> None:
    with pytest.raises(ConfigError, match="separate them with spaces: bumper bump a:1 b:2"):
        check_refs(("a:1,b:2",))
    with pytest.raises(ConfigError, match=r"\(from BUMPER_IMAGES\).*newlines in BUMPER_IMAGES"):
        check_refs(("a:1,b:2",), "BUMPER_IMAGES")
    check_refs(("ghcr.io/acme/app:v1", "nginx@sha256:" + "a" * 64))


def test_repo_and_dir_together_name_the_variable_that_set_one() -> None:
    check_target("https://h/o/r", "tree", {})  # no variable involved: options.py says so itself
    with pytest.raises(ConfigError, match="unset BUMPER_DIR or drop --repo"):
        check_target("https://h/o/r", "tree", {"directory": "BUMPER_DIR"})
    with pytest.raises(ConfigError, match="BUMPER_REPO and BUMPER_DIR are both set"):
        check_target("https://h/o/r", "tree", {"repo": "BUMPER_REPO", "directory": "BUMPER_DIR"})

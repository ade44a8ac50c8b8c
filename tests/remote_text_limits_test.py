"""End to end: a PR title and body cut to the host's limit as that host counts it.

Azure DevOps (.NET) and Bitbucket Data Center (Java) measure a title or description in UTF-16
code units, so an emoji counts two. bumper cut the text to 400/4,000 (255/32,768) Python
characters: a template with one emoji in a long body, or a title of emoji, came out above the
limit as the host reads it, the host refused the create after the branch was pushed, and every
rerun failed the same way. The fakes count as the hosts do (testing.fake_provider.java_length).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.fake_provider import java_length
from testing.runs import bump_json
from testing.world import EXAMPLE_IMAGE, make_world

LIMITS = {"azure-devops": (400, 4_000), "bitbucket-server": (255, 32_768)}


@pytest.mark.parametrize("provider", sorted(LIMITS))
@pytest.mark.parametrize("filler", ["🚀", "x🚀"])
def test_emoji_in_a_long_title_and_body_are_cut_to_fit_the_host(
    tmp_path: Path, provider: str, filler: str
) -> None:
    title_limit, body_limit = LIMITS[provider]
    with make_world(tmp_path, provider) as world:
        title = "🚀 " + filler * 400
        # above the limit in UTF-16 units, not in characters (and within what a test can pass)
        body = "🚀 Deploy\n\n{table}\n\n" + filler * (body_limit // java_length(filler) + 10)
        result = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3", "--title", title, "--body", body)
        assert result["status"] == "opened", result
        [pull] = world.open_pulls()
        assert title_limit - 2 <= java_length(pull.title) <= title_limit and pull.title.endswith("…")
        assert body_limit - 2 <= java_length(pull.body) <= body_limit
        assert "<!-- bumper:managed" in pull.body and "| … and 4 more |" in pull.body


@pytest.mark.parametrize("provider", ["azure-devops", "bitbucket-server"])
def test_a_table_of_emoji_file_names_is_cut_by_rows_to_fit(tmp_path: Path, provider: str) -> None:
    """Many files whose names hold emoji: the table shows the rows that fit as the host counts."""
    body_limit = LIMITS[provider][1]
    deployment = b"image: ghcr.io/acme/app:v1.2.0\n"
    rockets = "\U0001f680" * 41
    tree = {f"apps/{rockets}-{n:04}.yaml": deployment for n in range(900)}
    with make_world(tmp_path, provider, tree=tree) as world:
        result = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert result["status"] == "opened" and len(result["changes"]) == 900
        [pull] = world.open_pulls()
        assert java_length(pull.body) <= body_limit and "more" in pull.body

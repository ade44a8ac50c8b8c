"""Templates and PR text: placeholders are data, never code."""

from __future__ import annotations

import pytest

from bumper.changes import Change, pr_text, render_template, template_values
from bumper.errors import ConfigError

CHANGES = [Change("apps/web.yaml", 7, "container", "ghcr.io/acme/app:v1", "ghcr.io/acme/app:v2")]
VALUES = template_values(["ghcr.io/acme/app:v2"], CHANGES, "bumper/x", "main", {})


def test_placeholders_are_filled_and_values_are_not_expanded_again() -> None:
    values = {**VALUES, "images": "{base}"}
    assert render_template("Bump {images} on {base}", values, "--title") == "Bump {base} on main"


def test_double_braces_are_literal_braces() -> None:
    assert render_template("{{images}} is {images}", VALUES, "--title") == "{images} is ghcr.io/acme/app:v2"


@pytest.mark.parametrize("template", ["{0.__class__}", "{images.__class__}", "${{ secrets.X }}", "$(id)"])
def test_format_syntax_stays_literal(template: str) -> None:
    assert render_template(template, VALUES, "--title") == template.replace("{{", "{").replace("}}", "}")


def test_unknown_placeholder_is_a_usage_error_naming_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown placeholder \{__class__\} in --title; available: .*\{images\}"
    ):
        render_template("{__class__}", VALUES, "--title")


def test_default_pr_text_has_the_table_the_source_and_the_marker() -> None:
    values = template_values(
        ["ghcr.io/acme/app:v2"],
        CHANGES,
        "bumper/x",
        "main",
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_RUN_ID": "42",
        },
    )
    title, body = pr_text(None, None, values, CHANGES)
    assert title == "Bump ghcr.io/acme/app:v2"
    assert "| `apps/web.yaml` | 7 | `ghcr.io/acme/app:v1` | `ghcr.io/acme/app:v2` |" in body
    assert "https://github.com/acme/app/actions/runs/42" in body
    assert body.rstrip().endswith("-->") and "<!-- bumper:managed" in body


@pytest.mark.parametrize("template", [None, "chore: {images}", "chore: {images}\n\nSigned-off-by: A <a@x>"])
def test_git_reads_the_trailers_of_every_commit_message(template: str | None) -> None:
    import subprocess

    from bumper.changes import commit_message

    trailers = [("Bumper-Image", "ghcr.io/acme/app:v1 -> ghcr.io/acme/app:v2"), ("Bumper-Run-Id", "42")]
    message = commit_message(template, VALUES, CHANGES, trailers)
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True, check=True
    ).stdout
    own = "Bumper-Image: ghcr.io/acme/app:v1 -> ghcr.io/acme/app:v2\nBumper-Run-Id: 42\n"
    assert parsed == ("Signed-off-by: A <a@x>\n" + own if template and "Signed" in template else own)
    assert message.startswith(
        "Bump ghcr.io/acme/app:v2\n\n- apps/web.yaml:7:" if template is None else "chore:"
    )


@pytest.mark.parametrize("utf16", [False, True])
def test_a_marker_longer_than_the_body_limit_still_ends(utf16: bool) -> None:
    """Many images make a marker that alone exceeds a small body limit: the text is cut to
    nothing before it (the host then refuses the body, as it would any), never loops."""
    refs = [f"ghcr.io/acme/app{n}:v2" for n in range(300)]
    values = template_values(refs, CHANGES, "bumper/x", "main", {})
    _, body = pr_text(None, "🚀 {table}" * 50, values, CHANGES, (400, 4_000), utf16=utf16)
    assert body.startswith("\n\n…\n\n<!-- bumper:managed")

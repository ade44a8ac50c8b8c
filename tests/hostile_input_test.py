"""Hostile input through `bumper bump --repo` on the loopback world (tests/hostile_yaml_test.py
covers the same ground for `--dir`).

Every case is a clear error with the contract's exit code (2 bad input, 1 runtime failure,
3 not referenced) and ONE stderr line, with nothing pushed and no API write; or, where the
input is legitimate but nasty (templates, an alias bomb, repo-supplied filters and hooks),
a normal run in which the nasty part stays literal text and no command ever runs. Every case
also runs the canary scan (testing/canary.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import repos, summaries
from testing.canary import assert_no_canary
from testing.invariants import assert_bot_branch_sane
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, make_world

IMAGE = EXAMPLE_IMAGE
REF = f"{IMAGE}:v1.2.3"
BRANCH = EXAMPLE_BRANCH
EXPECTED_LINES = EXAMPLE_LINES


def tried(*cases: str) -> None:
    """Count hostile cases for the module's summary (testing/summaries.py)."""
    for case in cases:
        summaries.record("hostile_input", case)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the cases refused before anything is written (each checks that)."""
    with make_world(tmp_path_factory.mktemp("hostile"), "github") as world:
        yield world


def _refs(world: World) -> str:
    return repos.git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.bare).decode()


def assert_refused(
    world: World,
    proc: subprocess.CompletedProcess[str],
    code: int,
    *,
    before: str,
    api_mark: int,
    git_mark: int,
    mentions: str = "",
) -> None:
    """Exit `code`, one `bumper: error:` line, no push, no API write, refs unchanged, no canary."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == code, f"exit {proc.returncode}: {proc.stderr}"
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert mentions.lower() in lines[0].lower(), lines[0]
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []
    assert _refs(world) == before
    assert_no_canary(world, proc)


def _refused(world: World, code: int, *args: str, mentions: str = "", **env: str) -> None:
    before, api_mark, git_mark = _refs(world), world.host.mark(), len(world.git.requests)
    proc = world.run("bump", *args, **env)
    assert_refused(world, proc, code, before=before, api_mark=api_mark, git_mark=git_mark, mentions=mentions)


# -- REFs -------------------------------------------------------------------------------------

BAD_REFS = {
    "semicolon": f"{IMAGE}:v1;touch /tmp/bumper-pwned",
    "command-substitution": f"{IMAGE}:$(touch /tmp/bumper-pwned)",
    "backticks": f"{IMAGE}:`id`",
    "pipe": f"{IMAGE}:v1|cat",
    "ampersand": f"{IMAGE}:v1&&id",
    "newline": f"{IMAGE}:v1\nmalicious: true",
    "carriage-return": f"{IMAGE}:v1\rX",
    "nul-free-control": f"{IMAGE}:v1\x1b[31m",
    "space": f"{IMAGE}:v1 {IMAGE}:v2",
    "over-long-tag": f"{IMAGE}:" + "v" * 200,
    "over-long-path": "ghcr.io/" + "/".join(["a" * 60] * 6) + ":v1",
    "uppercase-path": "ghcr.io/Acme/App:v1",
    "no-tag-no-digest": IMAGE,
    "short-digest": f"{IMAGE}@sha256:abc",
    "path-traversal": "../../etc/passwd:v1",
    "empty": "",
    "yaml-injection": f"{IMAGE}:v1\n  command: [sh]",
}


@pytest.mark.parametrize("case", sorted(BAD_REFS))
def test_malformed_ref_is_exit_2(shared: World, case: str) -> None:
    _refused(shared, 2, BAD_REFS[case])
    assert not Path("/tmp/bumper-pwned").exists()
    tried(f"ref:{case}")


def test_ref_looking_like_an_option_is_a_usage_error(shared: World) -> None:
    _refused(shared, 2, "--upload-pack=touch /tmp/bumper-pwned")
    tried("ref:option-like")


# -- option values that would become refs, labels, idents -----------------------------------

BAD_OPTIONS = {
    "branch-dotdot": ("--branch", "bumper/a..b"),
    "branch-leading-dash": ("--branch", "-delete"),
    "branch-space": ("--branch", "bumper/a b"),
    "branch-reflog": ("--branch", "bumper/x@{1}"),
    "branch-control": ("--branch", "bumper/\x01x"),
    "branch-escape": ("--branch", "bumper/\x1b[31mred"),
    "branch-lock": ("--branch", "bumper/x.lock"),
    "branch-colon": ("--branch", "refs:heads"),
    "branch-tilde": ("--branch", "x~1"),
    "branch-HEAD": ("--branch", "HEAD"),
    "branch-empty": ("--branch", ""),
    "branch-newline": ("--branch", "bumper/x\nmain"),
    "base-dotdot": ("--base", "main..x"),
    "base-leading-dash": ("--base", "-main"),
    "base-space": ("--base", "main branch"),
    "base-reflog": ("--base", "@{-1}"),
    "base-control": ("--base", "main\x7f"),
    "label-newline": ("--label", "deps\nSigned-off-by: evil"),
    "reviewer-newline": ("--reviewer", "alice\nbob"),
    "assignee-carriage-return": ("--assignee", "alice\rbob"),
    "author-no-email": ("--author", "Just A Name"),
    "author-newline": ("--author", "Name <a@example.com>\nX-Evil: 1"),
    "author-nested-brackets": ("--author", "Name <evil> <x@example.com>"),
    "author-empty-email": ("--author", "Name <>"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_option_value_is_exit_2(shared: World, case: str) -> None:
    option, value = BAD_OPTIONS[case]
    _refused(shared, 2, REF, option, value)
    tried(f"option:{case}")


@pytest.mark.parametrize("field", ["user-password", "token-as-user"])
def test_repo_url_with_credentials_is_refused_and_never_echoed(shared: World, field: str) -> None:
    userinfo = f"x:{CANARY}" if field == "user-password" else CANARY
    url = shared.repo_url.replace("http://", f"http://{userinfo}@")
    _refused(shared, 2, REF, "--repo", url, mentions="credentials")
    tried(f"url:{field}")


@pytest.mark.parametrize("where", ["?private_token=", "?x=1&token=", "#"])
def test_repo_url_with_a_token_in_its_query_is_refused_and_never_echoed(shared: World, where: str) -> None:
    """git appends its own path to the URL, so a query or fragment never clones; git's error
    printed the whole URL, so a token pasted there reached the CI log."""
    _refused(shared, 2, REF, "--repo", shared.repo_url + where + CANARY, mentions="query or fragment")
    tried(f"url:query{where[0]}")


@pytest.mark.parametrize(
    "url", ["ext::sh -c touch% /tmp/bumper-pwned", "--upload-pack=touch /tmp/bumper-pwned", "fd::3"]
)
def test_repo_url_that_would_run_a_command_is_refused(shared: World, url: str) -> None:
    _refused(shared, 2, REF, "--repo", url)
    assert not Path("/tmp/bumper-pwned").exists()
    tried(f"url:{url.split(':')[0]}")


# -- templates: literal text or exit 2, never evaluated ------------------------------------------

UNKNOWN_PLACEHOLDERS = {
    "dunder-class": ("--title", "{__class__}"),
    "dunder-init": ("--body", "{__init__}"),
    "dunder-in-commit": ("--commit-message", "{__globals__}"),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN_PLACEHOLDERS))
def test_template_naming_an_unknown_placeholder_is_exit_2(shared: World, case: str) -> None:
    option, value = UNKNOWN_PLACEHOLDERS[case]
    _refused(shared, 2, REF, option, value, mentions="placeholder")
    tried(f"template:{case}")


LITERAL_TEMPLATES = [
    "{0.__globals__}",
    "{images.__class__.__mro__}",
    "{images!r:>99}",
    "${{ secrets.GITHUB_TOKEN }}",
    "$(touch /tmp/bumper-pwned)",
    "`touch /tmp/bumper-pwned`",
    "%(images)s %s {{ images }}",
    "$BUMPER_TOKEN ${BUMPER_TOKEN}",
]


def _unescape(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_template_injection_stays_literal_text(tmp_path: Path, provider: str) -> None:
    """Title, body and commit message made of injection attempts: written as literal text."""
    title = " ".join(LITERAL_TEMPLATES[:4]) + " {images}"
    body = "\n".join(LITERAL_TEMPLATES)
    message = " ".join(LITERAL_TEMPLATES[4:]) + " {new}"
    with make_world(tmp_path, provider) as world:
        proc = world.run("bump", REF, "--title", title, "--body", body, "--commit-message", message)
        assert proc.returncode == 0, proc.stderr
        [pr] = world.open_pulls()
        # `{{`/`}}` are the templates' escape for literal braces; nothing else is interpreted.
        assert pr.title == _unescape(" ".join(" ".join(LITERAL_TEMPLATES[:4]).split())) + f" {REF}"
        assert pr.body.startswith(_unescape(body))
        info = repos.commit_info(world.bare, f"refs/heads/{BRANCH}")
        assert info["message"].split("\nBumper-Branch: ")[0] == _unescape(
            " ".join(LITERAL_TEMPLATES[4:])
        ) + f" {REF}\n\n" + (
            f"Bumper-Image: ghcr.io/acme/app:v1.2.0 -> {REF}\nBumper-Images: ghcr.io/acme/app"
        )
        assert not Path("/tmp/bumper-pwned").exists()
        assert CANARY not in pr.title + pr.body + info["message"]
        assert_bot_branch_sane(world, BRANCH, expected_lines=EXPECTED_LINES, tags={"v1.2.3"})
        assert_no_canary(world, proc)
    tried(*(f"template-literal:{provider}:{t}" for t in LITERAL_TEMPLATES))


# -- hostile repository content ---------------------------------------------------------------


def _hostile_world(tmp_path: Path, files: dict[str, Any]) -> Iterator[World]:
    """A world whose repo holds only `files` (str/bytes, or (mode, bytes) for special entries)."""
    plain = {
        k: (v.encode() if isinstance(v, str) else v) for k, v in files.items() if not isinstance(v, tuple)
    }
    plain.setdefault("README.md", b"manifests\n")
    with make_world(tmp_path, "github", plain) as world:
        special = {k: v for k, v in files.items() if isinstance(v, tuple)}
        if special:
            repos.add_special_commit(world.bare, special)
        yield world


def _run_content_case(tmp_path: Path, files: dict[str, Any], code: int, mentions: str = "") -> World:
    gen = _hostile_world(tmp_path, files)
    world = next(gen)
    try:
        _refused(world, code, REF, mentions=mentions)
    finally:
        gen.close()
    return world


DEPTH = 10_000
UNPARSEABLE = {
    "deep-flow-nesting": f"image: {IMAGE}:v1\nx: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "deep-block-nesting": "- " * DEPTH + f"image: {IMAGE}:v1\n",
    "duplicate-key": (f"spec:\n  containers:\n  - name: a\n    image: {IMAGE}:v1\n    image: {IMAGE}:v1.1\n"),
    "tab-indentation": f"spec:\n\timage: {IMAGE}:v1\n",
    "python-tag-on-image": (
        f"image: !!python/object/apply:os.system ['touch /tmp/bumper-pwned']\nx: {IMAGE}:v1\n"
    ),
}


@pytest.mark.parametrize("case", sorted(UNPARSEABLE))
def test_unparseable_manifest_mentioning_the_image_fails_and_pushes_nothing(
    tmp_path: Path, case: str
) -> None:
    files = {"bad.yaml": UNPARSEABLE[case], "ok.yaml": f"image: {IMAGE}:v1\n"}
    gen = _hostile_world(tmp_path, files)
    world = next(gen)
    try:
        before, api_mark, git_mark = _refs(world), world.host.mark(), len(world.git.requests)
        proc = world.run("bump", REF)
        assert not Path("/tmp/bumper-pwned").exists()
        if proc.returncode == 0:  # the tag made it no reference: then only ok.yaml may change
            assert world.read(BRANCH, "bad.yaml") == UNPARSEABLE[case].encode()
            assert case == "python-tag-on-image", proc.stderr
        else:
            assert_refused(
                world, proc, 1, before=before, api_mark=api_mark, git_mark=git_mark, mentions="bad.yaml:"
            )
    finally:
        gen.close()
    tried(f"content:{case}")


def test_alias_bomb_is_edited_once_at_the_anchor(tmp_path: Path) -> None:
    text = f"base: &a {{name: app, image: {IMAGE}:v1.0.0}}\n"
    text += "l0: &l0 [" + ", ".join(["*a"] * 10) + "]\n"
    for i in range(1, 12):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    gen = _hostile_world(tmp_path, {"bomb.yaml": text})
    world = next(gen)
    try:
        proc = world.run("bump", REF, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert world.read(BRANCH, "bomb.yaml") == text.replace(f"{IMAGE}:v1.0.0", REF, 1).encode()
        assert len(world.open_pulls()) == 1
        assert_no_canary(world, proc)
    finally:
        gen.close()
    tried("content:alias-bomb")


def test_files_that_must_not_be_touched_leave_nothing_to_do(tmp_path: Path) -> None:
    """Huge, binary, non-UTF-8, chart template and `.git`-like files mentioning the image, and
    symlinks to files outside the clone that do: exit 3, nothing read outside, nothing pushed."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"image: {IMAGE}:v1.0.0\n")
    huge = (f"image: {IMAGE}:v1.0.0\n" + "# padding padding padding padding\n" * 700_000).encode()
    files: dict[str, Any] = {
        "huge.yaml": huge,
        "binary.yaml": b"\x00\x01\x02" + f"image: {IMAGE}:v1.0.0\n".encode() + b"\xff\xfe\x00",
        "latin1.yaml": f"# caf\xe9\nimage: {IMAGE}:v1.0.0\n".encode("latin-1"),
        "charts/x/Chart.yaml": "name: x\nversion: 0.1.0\n",
        "charts/x/templates/deploy.yaml": f"image: {IMAGE}:v1.0.0\n",
        "link-out.yaml": ("120000", str(outside).encode()),
        "link-up.yaml": ("120000", b"../../../../../../etc/passwd"),
        "link-dir": ("120000", str(tmp_path).encode()),
    }
    before = outside.read_bytes()
    _run_content_case(tmp_path / "w", files, 3)
    assert outside.read_bytes() == before
    tried(*(f"content:{name}" for name in files))


def test_repo_filters_hooks_and_runner_config_never_run_a_command(tmp_path: Path) -> None:
    """The repo's .gitattributes asks for a filter that the runner's git config defines, the
    runner's config also sets hooks and an fsmonitor, and the repo ships a hooks folder and a
    submodule with an ext:: URL: the run succeeds, no command runs, the bytes stay exact."""
    marker = tmp_path / "pwned"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    names = ("pre-commit", "post-checkout", "pre-push", "post-commit", "reference-transaction", "commit-msg")
    for name in names:
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> {marker}\n")
        hook.chmod(0o755)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(
        f'[filter "evil"]\n\tclean = "sh -c \'echo clean >> {marker}; cat\'"\n'
        f"\tsmudge = \"sh -c 'echo smudge >> {marker}; cat'\"\n\trequired = true\n"
        f"[core]\n\thooksPath = {hooks}\n\tfsmonitor = {hooks}/pre-commit\n"
        f'[diff "evil"]\n\ttextconv = "sh -c \'echo textconv >> {marker}; cat\'"\n'
    )
    deployment = f"kind: Deployment\nspec:\n  containers:\n  - image: {IMAGE}:v1.0.0\r\n"
    files: dict[str, Any] = {
        ".gitattributes": "* filter=evil diff=evil\n*.yaml text eol=crlf ident\n",
        ".githooks/pre-commit": f"#!/bin/sh\necho repo-hook >> {marker}\n",
        ".gitmodules": '[submodule "x"]\n\tpath = x\n\turl = ext::sh -c touch% /tmp/bumper-pwned\n',
        "deploy.yaml": deployment,
    }
    gen = _hostile_world(tmp_path / "w", files)
    world = next(gen)
    try:
        # Control: a plain clone with that config does run the smudge filter and the hook.
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(
            ["git", "clone", "-q", str(world.bare), str(tmp_path / "control")],
            env=env,
            capture_output=True,
            check=False,
        )
        assert {"smudge", "post-checkout"} <= set(marker.read_text().split()), "control did not fire"
        marker.unlink()

        proc = world.run("bump", REF, GIT_CONFIG_GLOBAL=str(gitconfig))
        assert proc.returncode == 0, proc.stderr
        assert not marker.exists(), marker.read_text()
        assert not Path("/tmp/bumper-pwned").exists()
        assert world.read(BRANCH, "deploy.yaml") == deployment.replace("v1.0.0", "v1.2.3").encode()
        assert repos.changed_paths(world.bare, BRANCH) == ["deploy.yaml"]
        assert_no_canary(world, proc)
    finally:
        gen.close()
    tried(
        *[
            "content:gitattributes-filter",
            "content:runner-hooks",
            "content:repo-hooks",
            "content:fsmonitor",
            "content:ext-submodule",
        ]
    )

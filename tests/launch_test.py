"""The console script guesses a `bump --dir` run's search from argv, before click loads, and the
run takes that very search over: one grep per run, and a wrong guess changes nothing."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
import pytest

from bumper import launch
from bumper.cli import bump
from bumper.launch import FLAGS, VALUE_OPTIONS, guess_search
from bumper.plan import search as needle_search
from bumper.plan.needles import API_NEEDLE, MANIFEST_NAME_GLOBS, MARKER_NEEDLE
from bumper.plan.search import NeedleSearch
from testing import forkserver

REF = "ghcr.io/acme/app:v1.2.3"
FLUX = (MARKER_NEEDLE, API_NEEDLE)
APP, NGINX = b"acme/app", b"nginx"


def test_the_options_it_knows_are_bumps_own() -> None:
    options = [p for p in bump.params if isinstance(p, click.Option)]
    assert VALUE_OPTIONS == {o for p in options if not p.is_flag for o in p.opts + p.secondary_opts}
    assert FLAGS == {o for p in options if p.is_flag for o in p.opts + p.secondary_opts} | {"-h", "--help"}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["bump", REF, "--dir", "tree"], {}, ("tree", (APP, *FLUX))),
        (
            ["--debug", "bump", "--dir=tree", "--dry-run", REF, "nginx:1.27"],
            {},
            ("tree", (APP, NGINX, *FLUX)),
        ),
        (["bump", "--path", "apps/**", "--dir", "./tree/", "-v", REF], {}, ("tree", (APP, *FLUX))),
        (["bump", "--dir", "tree", "--", "-odd"], {}, None),  # not a REF: no guess
        (["bump", REF], {"BUMPER_DIR": "env-tree"}, ("env-tree", (APP, *FLUX))),
        (
            ["bump", "--dir", "tree"],
            {"BUMPER_IMAGES": f"{REF}  nginx:1"},
            ("tree", (APP, NGINX, *FLUX)),
        ),
        (
            ["bump", REF, "--dir", "t", "--image-policy", f"a:b={REF}"],
            {},
            ("t", (APP, MARKER_NEEDLE)),
        ),
        (["bump", "--dir", "t"], {"BUMPER_IMAGE_POLICIES": f"a:b={REF}"}, ("t", (MARKER_NEEDLE,))),
        (["bump", REF, "--repo", "https://example.com/x.git", "--dir", "t"], {}, None),
        (["bump", REF], {}, None),  # no tree: the remote flow
        (["scan", "--dir", "tree"], {}, None),
        (["bump", REF, "--dir", "tree", "--no-such-flag"], {}, None),
        (["bump", REF, "--dir", "tree", "-x"], {}, None),
        (["bump", "Not A Ref", "--dir", "tree"], {}, None),
        ([], {}, None),
    ],
)
def test_the_guess(
    argv: list[str], env: dict[str, str], expected: tuple[str, tuple[bytes, ...]] | None
) -> None:
    guess = guess_search(argv, env)
    if expected is None:
        assert guess is None
    else:
        # The same search as the one bump_dir asks for with click's Path(directory):
        assert needle_search._key(*guess) == needle_search._key(
            Path(expected[0]), expected[1], MANIFEST_NAME_GLOBS
        )


def _counting_grep(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with a grep that logs each start, then runs the real one."""
    log = tmp_path / "greps.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = shutil.which("grep")
    (bin_dir / "grep").write_text(f'#!/bin/sh\necho started >> "{log}"\nexec "{real}" "$@"\n')
    (bin_dir / "grep").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "apps").mkdir(parents=True)
    (tree / "apps" / "deploy.yaml").write_text("image: ghcr.io/acme/app:v1.0.0\n")
    (tree / "apps" / "other.yaml").write_text("image: nginx:1.25\n")
    return tree


@pytest.mark.parametrize(
    "args",
    [
        ["bump", REF, "--dir", "tree", "--dry-run"],  # the guess is right: taken over
        ["bump", REF, "--dir", "./tree", "--dry-run", "--output", "json"],  # spelled otherwise
    ],
)
def test_a_console_run_greps_once_and_rewrites_as_asked(tmp_path: Path, args: list[str]) -> None:
    _tree(tmp_path)
    env, log = _counting_grep(tmp_path)
    run = forkserver.run(args, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert log.read_text().count("started") == 1
    assert "ghcr.io/acme/app:v1.2.3" in run.stdout
    assert "nginx" not in run.stdout


def test_a_wrong_guess_costs_one_grep_and_changes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    grep_spawns: list[NeedleSearch],
) -> None:
    tree = _tree(tmp_path)
    wrong = (tree, (b"acme/other", *FLUX), MANIFEST_NAME_GLOBS)
    monkeypatch.setattr(launch, "guess_search", lambda argv, env: wrong)
    monkeypatch.setattr(sys, "argv", ["bumper", "bump", REF, "--dir", str(tree), "--dry-run"])
    with pytest.raises(SystemExit) as exit:
        launch.main()
    assert exit.value.code == 0
    assert "+image: ghcr.io/acme/app:v1.2.3" in capsys.readouterr().out
    assert len(grep_spawns) == 2  # the guessed one, stopped at exit, and the run's own
    assert all(s._done for s in grep_spawns)
    assert not needle_search._EARLY

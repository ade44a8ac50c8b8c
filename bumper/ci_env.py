"""Which CI system is running bumper, and what it says about the build: link, run id, source commit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

_FIELD = re.compile(r"\{([A-Z0-9_]+)\}")
# A value that becomes part of a commit trailer or a link: one line, no control characters.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\u0085\u2028\u2029]")


class CiSystem(NamedTuple):
    """How one CI system names its build; add a row to SYSTEMS to support another one."""

    name: str
    present: str  # a variable only that system sets
    links: tuple[str, ...]  # URL templates over variables; the first one whose variables are all set wins
    run_id: str  # the variable naming the run / pipeline
    commit: str  # the variable naming the source commit being built


SYSTEMS: tuple[CiSystem, ...] = (
    CiSystem(
        "github-actions",
        present="GITHUB_ACTIONS",
        links=(
            "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}",
            "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/commit/{GITHUB_SHA}",
        ),
        run_id="GITHUB_RUN_ID",
        commit="GITHUB_SHA",
    ),
    CiSystem(
        "gitlab-ci",
        present="GITLAB_CI",
        links=("{CI_PIPELINE_URL}", "{CI_PROJECT_URL}/-/commit/{CI_COMMIT_SHA}"),
        run_id="CI_PIPELINE_ID",
        commit="CI_COMMIT_SHA",
    ),
)


class Build(NamedTuple):
    """What the CI environment says about the build that is running; fields are None when unknown."""

    system: str
    url: str | None
    run_id: str | None
    commit: str | None


def current_build(env: Mapping[str, str], systems: tuple[CiSystem, ...] = SYSTEMS) -> Build | None:
    """The running build, or None outside a CI system bumper knows."""
    for system in systems:
        if not _value(env, system.present):
            continue
        url = next((link for link in (_fill(t, env) for t in system.links) if link), None)
        return Build(system.name, url, _value(env, system.run_id), _value(env, system.commit))
    return None


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value if value and not _UNSAFE.search(value) else None


def _fill(template: str, env: Mapping[str, str]) -> str | None:
    values = {name: _value(env, name) for name in _FIELD.findall(template)}
    if not all(values.values()):
        return None
    url = _FIELD.sub(lambda m: values[m.group(1)] or "", template)
    return url if url.startswith(("https://", "http://")) else None

"""Which CI system is running bumper, and what it says about the build: link, run id, source commit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from bumper.errors import ConfigError

# `{NAME}` inserts a variable as it is; `{NAME|quote}` percent-encodes it (a name with spaces).
_FIELD = re.compile(r"\{([A-Z0-9_]+)(\|quote)?\}")
# A value that becomes part of a commit trailer or a link: one line, no control characters...
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
# ...and, unless it is percent-encoded first, no spaces either.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\u0085\u2028\u2029]")
_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")
_COMPARED = ("OLD_COMMIT", "NEW_COMMIT")  # filled by compare_link, not read from the CI
_SYSTEM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")

# Set by hand (e.g. from a Tekton Task's params); each one wins over what the CI system says.
OVERRIDES = ("BUMPER_SOURCE_URL", "BUMPER_SOURCE_COMMIT", "BUMPER_SOURCE_RUN", "BUMPER_SOURCE_CI")
SOURCE_URL, SOURCE_COMMIT, SOURCE_RUN, SOURCE_CI = OVERRIDES


class CiSystem(NamedTuple):
    """How one CI system names its build: an entry of systems.yaml."""

    name: str
    present: str  # `VAR` (set, non-empty) or `VAR=value`: what only that system sets
    links: tuple[str, ...]  # URL templates over variables; the first one whose variables are all set wins
    run_ids: tuple[str, ...]  # variables naming the run / pipeline; the first one set wins
    commits: tuple[str, ...]  # variables naming the source commit being built; the first one set wins
    compares: tuple[str, ...] = ()  # compare-view URL templates over variables, {OLD_COMMIT}, {NEW_COMMIT}
    compare_when: str = ""  # `VAR=value`: the compare link only when the source repository is the host's


SYSTEMS_FILE = Path(__file__).resolve().parent / "systems.yaml"


@cache
def known_systems() -> tuple[CiSystem, ...]:
    """The table of systems.yaml, in its order."""
    import yaml

    # libyaml's loader where PyYAML has it: the pure-Python one took ~10 ms of every remote run.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rows = yaml.load(SYSTEMS_FILE.read_bytes(), Loader=loader)  # noqa: S506 - a safe loader, in C
    return tuple(
        CiSystem(
            row["name"],
            row["present"],
            links=tuple(row["links"]),
            run_ids=tuple(row["run_ids"]),
            commits=tuple(row["commits"]),
            compares=tuple(row.get("compare", ())),
            compare_when=str(row.get("compare_when", "")),
        )
        for row in rows
    )


class Build(NamedTuple):
    """What the CI environment says about the build that is running; fields are None when unknown."""

    system: str
    url: str | None
    run_id: str | None
    commit: str | None


def current_build(env: Mapping[str, str], systems: tuple[CiSystem, ...] | None = None) -> Build | None:
    """The running build, or None outside a CI system bumper knows and without an override.

    Raises ConfigError (exit 2) for an override (BUMPER_SOURCE_URL, ...) that is not what it must be: the user
    set it, so dropping it would hide a mistake (a value the CI system sets is dropped instead).
    """
    rows = known_systems() if systems is None else systems
    build = next((_detected(system, env) for system in rows if _present(system.present, env)), None)
    url, commit, run_id, system = (_override(env, name) for name in OVERRIDES)
    if build is None and not (url or commit or run_id or system):
        return None
    base = build or Build("other", None, None, None)
    return Build(
        system or base.system,
        url or base.url,
        run_id or base.run_id,
        commit.lower() if commit else base.commit,
    )


def compare_link(env: Mapping[str, str], old: str, new: str) -> str | None:
    """The running CI system's compare view of the source repository from commit `old` to `new`
    (GitHub `/compare/OLD...NEW`, GitLab `/-/compare/OLD...NEW`), or None where it names none."""
    if not (_COMMIT.fullmatch(old) and _COMMIT.fullmatch(new)):
        return None
    system = next((s for s in known_systems() if _present(s.present, env)), None)
    if system is None or (system.compare_when and not _present(system.compare_when, env)):
        return None
    commits = {"OLD_COMMIT": old.lower(), "NEW_COMMIT": new.lower()}
    links = (_fill(template, {**env, **commits}) for template in system.compares)
    return next((link for link in links if link), None)


def variables(systems: tuple[CiSystem, ...] | None = None) -> list[str]:
    """Every variable current_build may read, in table order (for the reference docs)."""
    names: list[str] = []
    for system in known_systems() if systems is None else systems:
        names.append(system.present.split("=")[0])
        names += [m.group(1) for link in system.links for m in _FIELD.finditer(link)]
        names += [*system.run_ids, *system.commits]
        names += [m.group(1) for link in system.compares for m in _FIELD.finditer(link)]
        names += [system.compare_when.split("=")[0]] if system.compare_when else []
    return [n for n in dict.fromkeys([*names, *OVERRIDES]) if n not in _COMPARED]


def _present(condition: str, env: Mapping[str, str]) -> bool:
    """`VAR` is set (non-empty), or `VAR=value` holds."""
    name, _, expected = condition.partition("=")
    value = env.get(name, "").strip()
    return value == expected if expected else bool(value)


def _detected(system: CiSystem, env: Mapping[str, str]) -> Build:
    url = next((link for link in (_fill(t, env) for t in system.links) if link), None)
    run_id = next((v for v in (_value(env, n) for n in system.run_ids) if v), None)
    commits = (_value(env, n) for n in system.commits)
    commit = next((c.lower() for c in commits if c and _COMMIT.fullmatch(c)), None)
    return Build(system.name, url, run_id, commit)


def _value(env: Mapping[str, str], name: str, *, spaces: bool = False) -> str | None:
    value = env.get(name, "").strip()
    return value if value and not (_CONTROL if spaces else _UNSAFE).search(value) else None


def _fill(template: str, env: Mapping[str, str]) -> str | None:
    parts: list[str] = []
    end = 0
    for match in _FIELD.finditer(template):
        encoded = bool(match.group(2))
        value = _value(env, match.group(1), spaces=encoded)
        if value is None:
            return None
        if template.startswith("/", match.end()):
            value = value.rstrip("/")  # Azure's collection URI ends with one; the template adds it
        parts += [template[end : match.start()], quote(value, safe="") if encoded else value]
        end = match.end()
    url = "".join([*parts, template[end:]])
    return url if _is_link(url) else None


def _is_link(url: str) -> bool:
    """An http(s) link with a host and no user or password in it (a PR is no place for those)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and bool(parts.hostname) and "@" not in parts.netloc
    except ValueError:
        return False


def _override(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "")
    value = raw.strip()
    if not value:
        return None
    if _UNSAFE.search(value):
        raise ConfigError(f"{name} must be one line without spaces or control characters")
    if name == SOURCE_URL and not _is_link(value):
        raise ConfigError(
            f"{name} must be an http(s) URL without user or password, e.g. https://ci.example/run/42"
        )
    if name == SOURCE_COMMIT and not _COMMIT.fullmatch(value):
        raise ConfigError(f"{name} must be a commit id of 4 to 64 hex digits")
    if name == SOURCE_CI and not _SYSTEM_NAME.fullmatch(value):
        raise ConfigError(f"{name} must be a short lower-case name like tekton")
    if len(value) > 200:
        raise ConfigError(f"{name} is longer than 200 characters")
    return value

"""What a host's 2xx answer about pull requests must hold before bumper reads it: a list where a
list was asked, a PR with its number, URL, state and branches, the PR that was asked for. A
proxy's `{}`, an HTML page sent as JSON or another PR's answer is then one line, not a KeyError."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

_MAX_SHOWN = 60  # characters of an unexpected answer quoted in the error


class NotAnAnswer(Exception):  # noqa: N818 - a signal out of an HTTP client, mapped by ApiFailures
    """A 2xx answer that is not what the API gives for the request (failures.ApiFailures says so)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PullShape(NamedTuple):
    """Where one host's PR JSON keeps what bumper reads: dotted paths (a digit is a list index)."""

    # The URL path of the repository's PR collection (`/repos/O/R/pulls`), as a regex: a request
    # there, or below it by number, is about PRs; nothing further below (comments, merge) is.
    route: str
    number: str  # "number", "iid", "id", "pullRequestId"
    state: str
    head: str
    base: str
    url: str | None = None  # None: the provider builds the URL itself (Azure DevOps)
    page: str | None = None  # a list answer's key for its items ("values"); None: a bare list
    # Where a PR names the repositories of its head and its base (`source_project_id`,
    # `target_project_id`): a head in another repository than the base is a fork's branch.
    head_repo: str | None = None
    base_repo: str | None = None
    fork: str | None = None  # a field only a fork's PR has (Azure's `forkSource`)


def check(shape: PullShape, method: str, path: str, status: int, read: Callable[[], Any]) -> None:
    """Raise NotAnAnswer when a 2xx answer to a request about pull requests (`path`, without
    the query) is not what the host's API gives: a page of PRs for a GET of the collection, a
    PR for a create, the PR of that number for a read or an edit of it. `read` gives the
    answer's JSON; it is called only for such an answer (no other body is decoded here)."""
    route = re.search(shape.route + r"(?:/(\d+))?/?$", path, re.IGNORECASE)
    if route is None or not 200 <= status < 300 or method.upper() == "DELETE":
        return
    number = route.group(1)
    if number is None and method.upper() == "GET":
        items(shape, read())
    elif number is not None or method.upper() == "POST":
        pull(shape, read(), int(number) if number else None)


def items(shape: PullShape, data: Any) -> list[dict[str, Any]]:
    """The PRs of a list answer, each one checked."""
    found = (data.get(shape.page) if isinstance(data, dict) else None) if shape.page else data
    if not isinstance(found, list):
        where = f"an object with a list {shape.page!r}" if shape.page else "a list"
        raise NotAnAnswer(f"answered {describe(data)} where its API gives {where} of pull requests")
    return [pull(shape, pr) for pr in found]


def pull(shape: PullShape, data: Any, number: int | None = None) -> dict[str, Any]:
    """`data` when it is a PR (of `number`, when given); NotAnAnswer otherwise."""
    if not isinstance(data, dict) or not data:
        raise NotAnAnswer(f"answered {describe(data)}, not a pull request")
    value = _at(data, shape.number)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise NotAnAnswer(
            f"answered an object without a pull request number ({shape.number}): {_shown(data)}"
        )
    if number is not None and value != number:
        raise NotAnAnswer(f"answered pull request #{value} when asked about #{number}")
    for field in (shape.state, shape.head, shape.base, shape.url):
        if field is not None and not (isinstance(_at(data, field), str) and _at(data, field)):
            raise NotAnAnswer(f"answered pull request #{value} without its {field}")
    return data


def from_branches(
    shape: PullShape, prs: Iterable[dict[str, Any]], head: str, base: str
) -> list[dict[str, Any]]:
    """The PRs going from this repository's `head` into `base`: a host (or a proxy) that ignored
    the list's filter must not have bumper take another branch's PR for its own, nor a fork's PR
    from a branch of the same name (the hosts list those among the repository's own)."""
    return [
        pr
        for pr in prs
        if (_branch(pr, shape.head), _branch(pr, shape.base)) == (head, base) and not from_fork(shape, pr)
    ]


def from_head(shape: PullShape, prs: Iterable[dict[str, Any]], head: str, base: str) -> list[dict[str, Any]]:
    """The PRs going from this repository's `head` into any branch, those into `base` first (in
    the host's order otherwise): a PR a person retargeted to another base is still the branch's
    (bumper.providers.api.Provider.find_pull_request)."""
    mine = [pr for pr in prs if _branch(pr, shape.head) == head and not from_fork(shape, pr)]
    return sorted(mine, key=lambda pr: _branch(pr, shape.base) != base)


def ranked(shape: PullShape, prs: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """`prs` (open, from one head branch) in the order find_pull_request picks from: those into
    `base` first, the lowest number first within each, whatever order the host lists them in."""
    return sorted(prs, key=lambda pr: (_branch(pr, shape.base) != base, _number(pr, shape)))


def others(shape: PullShape, prs: list[dict[str, Any]]) -> tuple[tuple[int, str], ...]:
    """(number, base branch) of each PR of `from_head`'s answer after the first: what
    `PullRequest.also` names."""
    return tuple((_number(pr, shape), _branch(pr, shape.base)) for pr in prs[1:])


def _number(pr: dict[str, Any], shape: PullShape) -> int:
    value = _at(pr, shape.number)
    return value if isinstance(value, int) else 0


def from_fork(shape: PullShape, pr: dict[str, Any]) -> bool:
    """Whether `pr` comes from a branch of another repository (a fork): never bumper's own PR.
    A host that does not say where the head lives is taken to mean this repository."""
    if shape.fork is not None and _at(pr, shape.fork) is not None:
        return True
    if shape.head_repo is None or shape.base_repo is None:
        return False
    head, base = _at(pr, shape.head_repo), _at(pr, shape.base_repo)
    return head is not None and base is not None and str(head).lower() != str(base).lower()


def describe(data: Any) -> str:
    """What an answer was, in a few words, for an error line."""
    if data is None:
        return "no JSON (an empty or non-JSON body)"
    if isinstance(data, dict):
        return "an empty object" if not data else f"an object {_shown(data)}"
    if isinstance(data, list):
        return "an empty list" if not data else f"a list of {len(data)}"
    return f"a JSON {type(data).__name__} {_shown(data)}"


def _branch(pr: dict[str, Any], field: str) -> str:
    return str(_at(pr, field) or "").removeprefix("refs/heads/")


def _at(data: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict):
            data = data.get(key)
        else:
            return None
    return data


def decoded(text: bytes) -> Any:
    """A body's JSON, None when it is empty or not JSON."""
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _shown(data: Any) -> str:
    """`data` as JSON, cut short before a string it cannot show whole: a host echoing the
    request's `Authorization` back must not have a token's first characters quoted, which the
    scrubber (bumper.secrets.redact), matching whole tokens, would not mask."""
    text = json.dumps(data, ensure_ascii=True, default=str)
    if len(text) <= _MAX_SHOWN:
        return text
    cut = _MAX_SHOWN - 1
    inside = _open_string(text, cut)
    return text[: cut if inside is None else inside] + "…"


def _open_string(text: str, end: int) -> int | None:
    """Where the JSON string that `text[:end]` leaves open starts, or None when none is open."""
    start, index = None, 0
    while index < end:
        char = text[index]
        if char == "\\" and start is not None:
            index += 2
            continue
        if char == '"':
            start = index if start is None else None
        index += 1
    return start

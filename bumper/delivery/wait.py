"""`--wait merged`: follow the pull request a run opened or updated until it is merged (exit 0),
closed unmerged (exit 1) or --wait-timeout runs out (exit 1), so a pipeline can go on after it.

Polls with a growing interval (5 s, then ×1.5 up to 60 s, scaled by BUMPER_API_BACKOFF), one
request each, well within every host's rate limits; the SDKs retry 429s and 5xx as for any call,
and a poll that still fails is asked again at the next one (an outage is not a closed PR).
Ctrl-C and SIGTERM interrupt the sleep like any other step of a run (cli.py ends it cleanly).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from bumper.errors import ProviderError, WaitTimeout
from bumper.options import BumpResult, Status
from bumper.providers.api import FollowsPullRequests, PullRequestState
from bumper.report import info, warn

FIRST_INTERVAL = 5.0
LONGEST_INTERVAL = 60.0
_OUTAGES = ("other", "rate-limited")  # ProviderError kinds a later poll may get past


def follow(
    provider: FollowsPullRequests,
    result: BumpResult,
    timeout: float,
    *,
    scale: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> BumpResult:
    """`result` once its PR is merged (status `merged`, the merge commit) or closed (status
    `closed`); WaitTimeout when `timeout` seconds pass first. A run without a PR returns at once."""
    pr = result.pull_request
    if pr is None or result.status in (Status.DRY_RUN, Status.BLOCKED):
        return result
    number, url = int(pr["number"]), str(pr["url"])
    deadline = clock() + timeout
    interval = FIRST_INTERVAL
    info(f"bumper: waiting for {url} to be merged (up to {_duration(timeout)})")
    while True:
        state = _poll(provider, number, deadline - clock())
        if state is not None and state.state != "open":
            return _ended(result, state)
        left = deadline - clock()
        if left <= 0:
            timed_out = WaitTimeout(
                f"{url} is still open after {_duration(timeout)}; it was not merged in time: "
                "merge or close it, or give a longer --wait-timeout"
            )
            timed_out.result = result
            raise timed_out
        sleep(min(max(interval * scale, 0.05), left))
        interval = min(interval * 1.5, LONGEST_INTERVAL)


def _poll(provider: FollowsPullRequests, number: int, left: float) -> PullRequestState | None:
    """The PR's state, or None when the host is out (5xx, 429, no answer: after the SDK's own
    retries) and time is left to ask again; a refused token or a lost PR raises at once."""
    try:
        return provider.pull_request_state(number)
    except ProviderError as exc:
        if exc.kind not in _OUTAGES or left <= 0:
            raise
        warn(f"{exc}; asking again at the next poll")
        return None


def _ended(result: BumpResult, state: PullRequestState) -> BumpResult:
    """Merged into the run's base: `merged`. Closed, or merged into another branch a person
    retargeted it to while bumper waited (the base never got the change): `closed`."""
    elsewhere = state.base_branch and result.base and state.base_branch != result.base
    if state.state == "merged" and not elsewhere:
        return dataclasses.replace(result, status=Status.MERGED, merge_commit=state.merge_commit)
    into = state.base_branch if state.state == "merged" else None
    return dataclasses.replace(result, status=Status.CLOSED, merged_into=into)


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"

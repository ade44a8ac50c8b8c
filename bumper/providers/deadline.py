"""How long one HTTP answer may take as a whole (BUMPER_REQUEST_DEADLINE), and the error when a
host or a proxy takes longer: a socket's read timeout alone restarts at every byte, so an answer
trickled one byte every few seconds would hold a run for ever (timed_http.py enforces it)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bumper.errors import BumperError, ConfigError

VARIABLE = "BUMPER_REQUEST_DEADLINE"
# A healthy host answers an API request in well under this: GitHub ends REST and GraphQL requests
# it cannot serve in 10 s, GitLab's workers in 60 s, and the largest answer bumper reads (a page
# of 50-100 PRs, an image index) is a few hundred kilobytes. 90 s leaves a slow link and a busy
# GitLab room; an answer still coming in after that is a hung host or proxy.
DEFAULT_SECONDS = 90.0
LONGEST = 3600.0  # a value above this is a typo, not a deadline
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?")


def request_deadline(env: Mapping[str, str]) -> float:
    """The seconds each HTTP request (its answer's headers and body) may take: BUMPER_REQUEST_DEADLINE
    as a duration (`90s`, `2m`, or a number of seconds); a bad value is exit 2 naming it."""
    text = env.get(VARIABLE, "").strip()
    if not text:
        return DEFAULT_SECONDS
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        raise ConfigError(
            f"invalid {VARIABLE} {text!r}; give a duration such as 90s or 3m, or a number of seconds"
        )
    hours, minutes, seconds = (float(g or 0) for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not 0 < total <= LONGEST:
        raise ConfigError(f"invalid {VARIABLE} {text!r}; give a duration above 0s and at most 1h")
    return total


class AnswerTooSlow(BumperError):
    """A request whose whole answer did not arrive within the deadline. Raised from inside the
    HTTP stack (an Exception, not an OSError: urllib3 and requests neither retry it nor wrap it;
    the connection it came on is closed, not reused). A provider adds what it was doing."""

    def __init__(self, host: str, method: str, path: str, seconds: float) -> None:
        self.detail = f"{method} {path} on {host} did not finish answering within {seconds:g} s ({VARIABLE})"
        self.hint = (
            "; the host or a proxy in front of it answers too slowly: rerun later, or raise "
            f"{VARIABLE} (a duration such as 3m)"
        )
        super().__init__(self.detail + self.hint)

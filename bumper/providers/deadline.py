"""How long one HTTP answer may take as a whole (BUMPER_REQUEST_DEADLINE), and the error when a
host or a proxy takes longer: a socket's read timeout alone restarts at every byte, so an answer
trickled one byte every few seconds would hold a run for ever (timed_http.py enforces it)."""

from __future__ import annotations

from collections.abc import Mapping

from bumper.duration import parse_duration  # the one duration grammar, --wait-timeout's too
from bumper.errors import BumperError

VARIABLE = "BUMPER_REQUEST_DEADLINE"
# A healthy host answers an API request in well under this: GitHub ends REST and GraphQL requests
# it cannot serve in 10 s, GitLab's workers in 60 s, and the largest answer bumper reads (a page
# of 50-100 PRs, an image index) is a few hundred kilobytes. 90 s leaves a slow link and a busy
# GitLab room; an answer still coming in after that is a hung host or proxy.
DEFAULT_SECONDS = 90.0
LONGEST = 3600.0  # a value above this is a typo, not a deadline


def request_deadline(env: Mapping[str, str]) -> float:
    """The seconds each HTTP request (its answer's headers and body) may take: BUMPER_REQUEST_DEADLINE
    as a duration (`90s`, `2m`, or a number of seconds); a bad value is exit 2 naming it."""
    text = env.get(VARIABLE, "").strip()
    return parse_duration(text, VARIABLE, longest=LONGEST) if text else DEFAULT_SECONDS


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

"""Durations as users write them (`90s`, `10m`, `1h30m`, a number of seconds): the one grammar
of --wait-timeout and BUMPER_REQUEST_DEADLINE. A leaf module: the providers read it too."""

from __future__ import annotations

import re

from bumper.errors import ConfigError

_DURATION_RE = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?")
WEEK = 7 * 24 * 3600.0


def parse_duration(text: str, option: str, longest: float = WEEK) -> float:
    """Seconds of a duration such as `90s`, `10m`, `1h`, `1h30m` or a plain number of seconds,
    above 0 and at most `longest`; anything else is exit 2 naming `option`."""
    match = _DURATION_RE.fullmatch(text.strip())
    if not text.strip() or match is None or not any(match.groups()):
        raise ConfigError(
            f"invalid {option} {text!r}; give a duration such as 90s, 10m or 1h, or a number of seconds"
        )
    hours, minutes, seconds = (float(g or 0) for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not 0 < total <= longest:
        most = f"{longest / 3600:g}h"
        raise ConfigError(f"invalid {option} {text!r}; give a duration above 0s and at most {most}")
    return total

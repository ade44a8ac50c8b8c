"""BUMPER_REQUEST_DEADLINE as a user writes it: the durations taken, and a bad one named in one line."""

from __future__ import annotations

import pytest

from bumper.errors import ConfigError
from bumper.providers.deadline import DEFAULT_SECONDS, AnswerTooSlow, request_deadline


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("", DEFAULT_SECONDS),
        ("  ", DEFAULT_SECONDS),
        ("90s", 90),
        ("2m", 120),
        ("1m30s", 90),
        ("1h", 3600),
        ("1.5", 1.5),
        (" 45 ", 45),
    ],
)
def test_a_duration_or_a_number_of_seconds(text: str, seconds: float) -> None:
    assert request_deadline({"BUMPER_REQUEST_DEADLINE": text}) == seconds


@pytest.mark.parametrize("text", ["0", "0s", "2h", "61m", "soon", "-5", "5 s", "1e3", "90ms"])
def test_a_bad_value_names_the_variable_and_what_to_write(text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        request_deadline({"BUMPER_REQUEST_DEADLINE": text})
    assert raised.value.message.startswith(f"invalid BUMPER_REQUEST_DEADLINE {text!r}; give a duration")


def test_unset_is_the_default() -> None:
    assert request_deadline({}) == DEFAULT_SECONDS == 90


def test_the_error_names_the_request_and_what_to_do() -> None:
    error = AnswerTooSlow("api.github.com", "GET", "/repos/acme/app/pulls", 90)
    assert error.message == (
        "GET /repos/acme/app/pulls on api.github.com did not finish answering within 90 s "
        "(BUMPER_REQUEST_DEADLINE); the host or a proxy in front of it answers too slowly: rerun "
        "later, or raise BUMPER_REQUEST_DEADLINE (a duration such as 3m)"
    )

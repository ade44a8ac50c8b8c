"""The failure plumbing github and gitlab share: one kind per status, one line, no token."""

from __future__ import annotations

import pytest

from bumper.errors import ProviderError
from bumper.providers.failures import kind_for_status, raise_api_error


@pytest.mark.parametrize(
    "status,kind",
    [(401, "auth"), (403, "auth"), (404, "not-found"), (429, "rate-limited"), (409, "conflict"),
     (422, "conflict"), (405, "conflict"), (500, "other"), (None, "other")],
)  # fmt: skip
def test_kind_for_status(status: int | None, kind: str) -> None:
    assert kind_for_status(status) == kind


def test_the_error_is_one_line_with_the_hosts_hint_and_no_token() -> None:
    with pytest.raises(ProviderError) as info:
        raise_api_error(
            "GitLab", "project", "g/p", "opening a merge request", "404 Not\nFound tok3n-xyz", "not-found",
            token="tok3n-xyz", hints={}, cause=RuntimeError(),
        )  # fmt: skip
    assert str(info.value) == (
        "GitLab API (g/p) opening a merge request: 404 Not Found ***; "
        "check the repository URL, --api-url and that the token can see the project"
    )
    assert info.value.kind == "not-found"

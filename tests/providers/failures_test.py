"""The failure plumbing github and gitlab share: one kind per status, one line, no token."""

from __future__ import annotations

import pytest

from bumper.errors import ProviderError
from bumper.providers.api import ProviderSettings
from bumper.providers.failures import (
    AUTH_OR_RATE,
    ApiFailures,
    Failure,
    FailureStyle,
    NotTheApi,
    kind_for_status,
    refuse_non_api_answer,
    warn_instead,
)

API = "https://git.example/gitlab/api/v4"


@pytest.mark.parametrize(
    "status,kind",
    [(401, "auth"), (403, "auth"), (404, "not-found"), (429, "rate-limited"), (409, "conflict"),
     (422, "conflict"), (405, "conflict"), (500, "other"), (None, "other")],
)  # fmt: skip
def test_kind_for_status(status: int | None, kind: str) -> None:
    assert kind_for_status(status) == kind


def test_the_error_is_one_line_with_the_hosts_hint_and_no_token() -> None:
    style = FailureStyle(
        "GitLab", "project", KeyError, lambda exc: Failure("not-found", f"404 Not\nFound {exc.args[0]}")
    )
    # The run's environment (not the process's) names another token to mask.
    settings = ProviderSettings(
        "https://gitlab.example/g/p.git", None, "tok3n-xyz", env={"GITLAB_TOKEN": "j0b-t0ken"}
    )
    failures = ApiFailures(style, "g/p", API, settings)
    with pytest.raises(ProviderError) as info, failures.translating("opening a merge request"):
        raise KeyError("tok3n-xyz j0b-t0ken")
    assert str(info.value) == (
        "GitLab API (g/p) opening a merge request: 404 Not Found *** ***; "
        "check the repository URL, --api-url and that the token can see the project"
    )
    assert info.value.kind == "not-found"


@pytest.mark.parametrize(
    "status,headers,says",
    [
        (200, {"Content-Type": "text/html; charset=utf-8"}, "projects answered an HTML page (HTTP 200)"),
        (403, {"content-type": "text/html"}, "answered an HTML page (HTTP 403), not JSON"),
        (None, {"Content-Type": "text/html"}, f"{API}/projects answered an HTML page, not JSON"),
        (302, {"Location": "https://sso.example/in?state=s3cret"}, "to https://sso.example/in (HTTP 302)"),
        (301, {"Location": "http://git.example/gitlab/api/v4/projects"}, "redirected to http://git.example/"),
        (302, {"Location": "/users/sign_in"}, "redirected to https://git.example/users/sign_in"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_the_apis_names_the_url_and_the_likely_cause(
    status: int | None, headers: dict[str, str], says: str
) -> None:
    with pytest.raises(NotTheApi) as info:
        refuse_non_api_answer(API, f"{API}/projects?private=1", status, headers)
    assert says in info.value.detail
    assert "single sign-on proxy" in info.value.detail and "--api-url" in info.value.detail
    assert "s3cret" not in info.value.detail and "private=1" not in info.value.detail


@pytest.mark.parametrize(
    "status,headers",
    [
        (200, {"Content-Type": "application/json"}),
        (201, {"Location": f"{API}/projects/1/merge_requests/2"}),  # a create names what it made
        (301, {"Location": "https://git.example:443/gitlab/api/v4/projects/7"}),  # renamed, same API
        (502, {"Content-Type": "text/html"}),  # an outage: the SDK retries it
        (429, {"Content-Type": "text/html"}),
    ],
)
def test_the_apis_own_answers_pass(status: int, headers: dict[str, str]) -> None:
    refuse_non_api_answer(API, f"{API}/projects", status, headers)


def test_a_refusal_after_the_pr_exists_is_a_warning_unless_its_kind_is_fatal() -> None:
    warnings: list[str] = []
    with warn_instead(warnings, " (auto-merge not enabled)", fatal=AUTH_OR_RATE):
        raise ProviderError("GitLab API: 405 Method Not Allowed", kind="conflict")
    with warn_instead(warnings):
        raise ProviderError("reviewers refused", kind="auth")  # no fatal kinds: a warning too
    assert warnings == ["GitLab API: 405 Method Not Allowed (auto-merge not enabled)", "reviewers refused"]
    for kind in AUTH_OR_RATE:
        with pytest.raises(ProviderError), warn_instead(warnings, fatal=AUTH_OR_RATE):
            raise ProviderError("stop", kind=kind)
    with pytest.raises(ValueError), warn_instead(warnings):
        raise ValueError("not a provider's refusal")  # a bug is never a warning
    assert len(warnings) == 2

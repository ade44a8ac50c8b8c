"""bumper.delivery.pull_request: the bot branch's PR as a reviewer sees it after a run, on the
in-memory host every provider's contract test also runs against."""

from __future__ import annotations

import pytest

from bumper.delivery.pull_request import put_back_text, sync_pull_request
from bumper.errors import ProviderError
from bumper.git.errors import PushRejected
from bumper.plan.rules import RepoPolicy, Rule, RunRules
from bumper.providers.api import ProviderSettings, PullRequestSpec
from testing.fake_provider import FakeHost, FakeProvider, PullRecord

REPO = "https://git.test/acme/manifests"
BODY = "Bumps app.\n\n<!-- bumper:managed run-2 -->"
WANTED = PullRequestSpec("bumper/app", "main", "Bump app to v2", BODY, labels=("cli",))
RULES = RunRules(RepoPolicy())


def _host(*pulls: PullRecord) -> tuple[FakeHost, FakeProvider]:
    host = FakeHost()
    host.pulls.extend(pulls)
    return host, host.provider(ProviderSettings(REPO, None, "fake-token", throttle=False))


def _open(title: str, body: str, state: str = "open") -> PullRecord:
    return PullRecord(REPO, 1, title, body, "bumper/app", "main", state=state)


def _sync(
    provider: FakeProvider, pushed: bool, governing: list[Rule | None] | None = None
) -> tuple[str, object]:
    existing = provider.find_pull_request("bumper/app", "main")
    return sync_pull_request(
        provider, WANTED, existing, pushed=pushed, rules=RULES, governing=governing or [None]
    )


def test_no_pr_opens_one_with_the_labels_of_the_cli_and_of_the_governing_rules() -> None:
    host, provider = _host()
    rule = Rule(index=0, line=3, labels=("production",))
    status, _ = _sync(provider, pushed=True, governing=[rule, None])
    [pr] = host.pulls
    assert status == "opened"
    assert (pr.title, pr.body, pr.labels) == ("Bump app to v2", BODY, ["cli", "production"])


def test_a_persons_edit_of_this_runs_text_is_kept_when_nothing_was_pushed() -> None:
    edited = BODY.replace("Bumps app.", "Bumps app. Rolled out to staging first, please wait.")
    host, provider = _host(_open("Bump app to v2 (hold until Monday)", edited))
    status, _ = _sync(provider, pushed=False)
    assert status == "up-to-date" and "update" not in host.calls
    assert (host.pulls[0].title, host.pulls[0].body) == ("Bump app to v2 (hold until Monday)", edited)


@pytest.mark.parametrize("pushed", [False, True])
def test_an_earlier_runs_text_or_a_push_brings_the_text_up_to_date(pushed: bool) -> None:
    earlier = "Bumps app.\n\n<!-- bumper:managed run-1 -->"
    host, provider = _host(_open("Bump app to v1", earlier if not pushed else BODY.replace("app.", "app!")))
    status, _ = _sync(provider, pushed=pushed)
    assert status == "updated"
    assert (host.pulls[0].title, host.pulls[0].body) == ("Bump app to v2", BODY)


def test_an_update_refused_for_a_pr_closed_since_the_lookup_restarts_the_attempt() -> None:
    host, provider = _host(_open("Bump app to v1", "old"))
    existing = provider.find_pull_request("bumper/app", "main")
    host.pulls[0].state = "closed"
    host.fault = lambda op: ProviderError("fake: pull request is closed (422)") if op == "update" else None
    with pytest.raises(PushRejected, match="#1 was closed"):
        sync_pull_request(provider, WANTED, existing, pushed=True, rules=RULES, governing=[None])


def test_an_update_refused_for_an_open_pr_is_the_runs_error() -> None:
    host, provider = _host(_open("Bump app to v1", "old"))
    host.fault = lambda op: ProviderError("fake: forbidden (403)", kind="auth") if op == "update" else None
    with pytest.raises(ProviderError, match="forbidden"):
        _sync(provider, pushed=True)


def test_putting_back_a_closed_prs_text_never_ends_the_run() -> None:
    """The run's update landed on a PR closed meanwhile: its text goes back to what the lookup
    read; a host refusing that is left as it is, without an error."""
    host, provider = _host(_open("Bump app to v2", BODY))
    before = provider.find_pull_request("bumper/app", "main")
    assert before is not None
    host.pulls[0].title, host.pulls[0].state = "Bump app to v3", "closed"
    put_back_text(provider, before, before)
    assert host.pulls[0].title == "Bump app to v2"
    host.pulls[0].title = "Bump app to v3"
    host.fault = lambda op: ProviderError("fake: no such PR (404)")
    put_back_text(provider, before, before)
    assert host.pulls[0].title == "Bump app to v3"

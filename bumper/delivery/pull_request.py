"""The bot branch's pull request on its host: open it, or bring an open one's title and body up
to date (a person's edits to this run's text kept), and give a PR closed meanwhile its text back.
The remote flow (bumper/remote/) decides when; this module speaks to the provider."""

from __future__ import annotations

from bumper.changes import MARKER
from bumper.errors import BumperError
from bumper.git.errors import PushRejected
from bumper.plan.rules import Rule, RunRules
from bumper.providers.api import FollowsPullRequests, Provider, PullRequest, PullRequestSpec


def put_back_text(provider: Provider, closed: PullRequest, before: PullRequest) -> None:
    """A PR closed or merged between the lookup and the update of its text: its title and body
    as the person who closed it saw them. Best effort: the run starts again either way, and a
    host refusing to edit a merged PR leaves it as it is. The host's answer is not used, so
    one that is no PR at all (`{}`, `[]` from a proxy) is no reason to end the run either."""
    try:
        provider.update_pull_request(closed, before.title, before.body)
    except Exception:  # noqa: BLE001, S110 - best effort; Ctrl-C and SIGTERM still end the run
        pass


def sync_pull_request(
    provider: Provider,
    wanted: PullRequestSpec,
    existing: PullRequest | None,
    *,
    pushed: bool,
    rules: RunRules,
    governing: list[Rule | None],
) -> tuple[str, PullRequest]:
    """Open the PR `wanted` (with what the rules `governing` its changes add), or bring an open
    one's title and body up to date; say which.

    When nothing was pushed, a PR whose body still carries this run's marker describes the
    branch already: a person's edits to its title or body are kept (no write at all).
    """
    title, body = wanted.title, wanted.body
    if existing is None:
        return "opened", provider.open_pull_request(rules.pull_request(governing, wanted))
    if rewrites_text(existing, title, body, pushed=pushed):
        return "updated", update_text(provider, existing, title, body, wanted.head_branch)
    return ("updated" if pushed else "up-to-date"), existing


def shared_head_note(pr: PullRequest) -> str | None:
    """What a push to `pr`'s head branch does to the other open PRs from it (`pr.also`: a person
    opened one by hand into another base, or retargeted one): they show the push too, and
    bumper edits none of them. None when there are none."""
    if not pr.also:
        return None
    shown = ", ".join(f"#{number} into {base}" for number, base in pr.also)
    many = len(pr.also) > 1
    return (
        f"branch {pr.head_branch} is also the head of pull request{'s' if many else ''} {shown}, "
        f"which bumper leaves as {'they are' if many else 'it is'}: this push shows there too; "
        f"bumper updates only pull request #{pr.number} into {pr.base_branch} (to keep "
        f"{'them' if many else 'it'} apart, open {'them' if many else 'it'} from a branch of "
        "their own)"
    )


def rewrites_text(existing: PullRequest, title: str, body: str, *, pushed: bool) -> bool:
    """Whether an open PR's title and body are written: after a push, or when they are an
    earlier run's text (a person's edits to this run's text are kept), and only if they differ."""
    marker = body.rstrip().splitlines()[-1]
    older_text = MARKER in existing.body and marker not in existing.body  # an earlier run's text
    return (pushed or older_text) and (existing.title, existing.body.strip()) != (title, body.strip())


def update_text(provider: Provider, existing: PullRequest, title: str, body: str, branch: str) -> PullRequest:
    """The PR's new title and body. A host that refuses to edit a PR closed or merged since the
    lookup (a host may refuse any edit of a PR that is not open) is answered as one that edits
    it and says closed: the attempt starts again, and opens a PR for the commit. Any other
    refusal (a revoked token, a PR still open) is the run's error, as it was."""
    try:
        return provider.update_pull_request(existing, title, body)
    except BumperError as refused:
        if not isinstance(provider, FollowsPullRequests):
            raise
        try:
            state = provider.pull_request_state(existing.number).state
        except BumperError:
            raise refused from None
        if state == "open":
            raise
    raise PushRejected(f"pull request #{existing.number} was closed while bumper pushed to {branch}")

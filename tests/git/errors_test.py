"""git's stderr and push output become one line with a stable kind, never showing a secret."""

from __future__ import annotations

import pytest

from bumper.git.errors import (
    MAX_REASON,
    GitError,
    PushRejected,
    is_network,
    map_error,
    parse_push,
    remote_reason,
)

URL = "https://git.example/acme/m.git"
TOKEN = "tok-errors-1a2b3c4d"  # noqa: S105 - distinctive, so a leak is easy to grep for


def mapped(
    stderr: str, *, token: str | None = TOKEN, branch: str | None = None, env: dict[str, str] | None = None
) -> GitError:
    return map_error(stderr, action="clone", url=URL, token=token, branch=branch, env=env or {})


def pushed(stdout: str, stderr: str = "") -> GitError | None:
    return parse_push(stdout, stderr, branch="b", url=URL, token=TOKEN, env={})


@pytest.mark.parametrize(
    "stderr,kind,start",
    [
        (
            "fatal: could not read Username for 'https://git.example': terminal prompts disabled",
            "auth",
            f"authentication failed for {URL}; check that the token",
        ),
        (
            "fatal: unable to access 'https://git.example/acme/m.git/': "
            "The requested URL returned error: 403",
            "auth",
            f"permission denied for git clone to {URL}; ",
        ),
        (
            "warning: Could not find remote branch nope to clone.\n"
            "fatal: Remote branch nope not found in upstream origin",
            "branch-not-found",
            f"branch 'nope' not found on {URL}; check --base",
        ),
        (
            "fatal: repository 'https://git.example/acme/m.git/' not found",
            "not-found",
            f"repository not found: {URL}; check --repo",
        ),
        (
            "fatal: no commits selected for shallow requests",
            "shallow-empty",
            f"git clone of {URL}: no commits",
        ),
        (
            "error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503\n"
            "fatal: expected flush after ref listing",
            "network",
            f"network error during git clone of {URL}: RPC failed; HTTP 503",
        ),
        ("fatal: something nobody foresaw", "other", f"git clone failed for {URL}: something nobody foresaw"),
    ],
)
def test_stderr_maps_to_one_line_of_a_stable_kind(stderr: str, kind: str, start: str) -> None:
    error = mapped(stderr, branch="nope")
    assert (error.kind, str(error)[: len(start)]) == (kind, start)
    assert "\n" not in str(error)
    assert is_network(error) == (kind == "network")


def test_auth_failure_without_a_token_says_how_to_give_one() -> None:
    error = mapped("fatal: Authentication failed for 'https://git.example/acme/m.git/'", token=None)
    assert str(error).endswith("no token was given: set BUMPER_TOKEN (or GITHUB_TOKEN/GITLAB_TOKEN)")


def test_a_branch_is_only_missing_when_the_caller_named_one() -> None:
    assert mapped("fatal: couldn't find remote ref refs/heads/x", branch=None).kind != "branch-not-found"
    assert mapped("fatal: couldn't find remote ref refs/heads/x", branch="x").kind == "branch-not-found"


def test_no_token_and_no_userinfo_reach_the_message() -> None:
    other = "glpat-other-token-value"
    stderr = f"fatal: unable to access 'https://u:{TOKEN}@git.example/': {other} error: something odd {TOKEN}"
    text = str(mapped(stderr, env={"GITLAB_TOKEN": other}))
    assert TOKEN not in text and other not in text and "u:" not in text


@pytest.mark.parametrize(
    "summary",
    [
        "[rejected] (stale info)",
        "[rejected] (non-fast-forward)",
        "[rejected] (fetch first)",
        "[remote rejected] (failed to update ref)",
        "[remote rejected] (cannot lock ref 'refs/heads/b': is at 1234 but expected 5678)",
    ],
)
def test_a_push_that_lost_a_race_is_rejected_and_retried(summary: str) -> None:
    error = pushed(f"To {URL}\n!\trefs/heads/b:refs/heads/b\t{summary}\nDone\n")
    assert isinstance(error, PushRejected)
    assert str(error).startswith("push of branch 'b' rejected: the remote branch changed meanwhile (")


def test_a_push_the_server_refused_is_final() -> None:
    error = pushed(f"To {URL}\n!\trefs/heads/b:refs/heads/b\t[remote rejected] (pre-receive hook declined)\n")
    assert error is not None and not isinstance(error, PushRejected)
    assert (error.kind, str(error)) == (
        "refused",
        "push of branch 'b' refused by the remote: pre-receive hook declined; check the repository's "
        "branch protection, push rules and hooks, and the token's permissions",
    )


def test_a_push_without_a_refused_ref_is_no_push_error() -> None:
    assert pushed(f"To {URL}\n=\trefs/heads/b:refs/heads/b\t[up to date]\nDone\n") is None


SSH_URL = "ssh://git@git.example.com:2222/acme/m.git"
REFUSED = "To x\n!\trefs/heads/b:refs/heads/b\t[remote rejected] (pre-receive hook declined)\nDone\n"


def test_remote_reason_keeps_the_servers_words_and_drops_the_rest() -> None:
    stderr = (
        "remote: Resolving deltas: 100% (1/1), completed with 1 local object.        \n"
        "remote: error: GH006: Protected branch update failed for refs/heads/b.        \n"
        "remote: \n"
        "remote: - Changes must be made through a pull request.        \n"
        "remote: ***********************************\n"
        f"remote: \x1b[31mtoken {TOKEN} at https://u:p@h/x\x1b[0m\n"
        "error: failed to push some refs to 'x'\n"
    )
    assert remote_reason(stderr, TOKEN, env={}) == (
        "GH006: Protected branch update failed for refs/heads/b. / "
        "Changes must be made through a pull request. / token *** at https://h/x"
    )


def test_remote_reason_is_bounded() -> None:
    said = remote_reason("remote: " + "x" * 5000 + "\n", None, env={})
    assert len(said) == MAX_REASON and said.endswith("…")


def test_a_refusal_quotes_the_server_and_is_not_retryable() -> None:
    error = pushed(REFUSED, "remote: GitLab: You are not allowed to push code\n")
    assert error is not None and error.kind == "refused"
    assert str(error).startswith("push of branch 'b' refused by the remote: pre-receive hook declined, ")
    assert 'the server said: "GitLab: You are not allowed to push code"' in str(error)


@pytest.mark.parametrize(
    "stderr,blocker",
    [
        (
            "remote: error: cannot lock ref 'refs/heads/b/x': "
            "'refs/heads/b' exists; cannot create 'refs/heads/b/x'",
            "b",
        ),
        (
            "remote: error: cannot lock ref 'refs/heads/b': "
            "'refs/heads/b/x' exists; cannot create 'refs/heads/b'",
            "b/x",
        ),
    ],
)
def test_a_branch_in_the_way_is_its_own_kind(stderr: str, blocker: str) -> None:
    stdout = REFUSED.replace("pre-receive hook declined", "failed to update ref")
    error = pushed(stdout, stderr)
    assert error is not None and error.kind == "branch-conflict"  # not a lost race: never retried
    assert f"the branch '{blocker}' is in the way" in str(error)


SSH_TAIL = (
    "fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\n"
)


@pytest.mark.parametrize(
    "said,kind",
    [
        ("Host key verification failed.", "host-key"),
        ("Host key for git.example.com has changed and you have requested strict checking.", "host-key"),
        ("git@git.example.com: Permission denied (publickey).", "ssh-key"),
        ("ssh: connect to host git.example.com port 2222: Connection refused", "network"),
    ],
)
def test_ssh_failures_are_told_apart(said: str, kind: str) -> None:
    error = map_error(f"{said}\n{SSH_TAIL}", action="clone", url=SSH_URL, token=TOKEN, branch=None, env={})
    assert error.kind == kind
    assert ("token" in str(error)) is False


def test_an_unmatched_failure_quotes_the_server() -> None:
    error = map_error(
        "remote: quota exceeded\nfatal: the remote hung\n",
        action="push",
        url=SSH_URL,
        token=None,
        branch="b",
        env={},
    )
    assert str(error) == (
        "git push failed for ssh://git.example.com:2222/acme/m.git: the remote hung "
        '(the server said: "quota exceeded")'
    )

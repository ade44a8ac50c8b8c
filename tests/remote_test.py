"""remote.push.deliver, the seam where a commit leaves the machine: one commit on the base, leased on
what the run read, left alone when the branch holds it already, fast-forward only onto the base."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bumper.git.clone import Clone, clone
from bumper.git.errors import PushRejected
from bumper.git.read import fetch_branch
from bumper.image_ref import ImageRef
from bumper.options import BumpOptions
from bumper.plan.tree import TreePlan, TreeRequest, plan_tree
from bumper.plan.write import write_all
from bumper.providers.api import ProviderSettings
from bumper.remote.push import deliver
from bumper.remote.run import RemoteRun
from testing import repos
from testing.git_server import GIT_TOKEN, GitServer

FILES = {
    "apps/api.yaml": b"image: ghcr.io/acme/api:1.0.0\n",
    "apps/web.yaml": b"image: ghcr.io/acme/web:2.0.0\n",
}
RUN = RemoteRun(
    BumpOptions(refs=[]), "none", GIT_TOKEN, ProviderSettings("", None, GIT_TOKEN), os.environ, []
)


@pytest.fixture
def origin(git_server: GitServer) -> Path:
    return repos.make_bare_repo(git_server.path_for("m"), FILES)


def fresh_clone(git_server: GitServer, tmp_path: Path) -> Clone:
    dest = tmp_path / f"clone-{len(list(tmp_path.glob('clone-*')))}"
    return clone(git_server.url_for("m"), base=None, token=GIT_TOKEN, env=os.environ, dest=dest)


def planned(cloned: Clone, ref: str) -> TreePlan:
    plan = plan_tree(TreeRequest(cloned.path, [ImageRef.parse(ref)]))
    write_all(plan.edits)
    return plan


def test_a_new_branch_gets_one_commit_on_the_base(
    git_server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = fresh_clone(git_server, tmp_path)
    sha, pushed = deliver(
        cloned, RUN, "bumper/api", planned(cloned, "ghcr.io/acme/api:1.1.0"), "Bump api", lease=None
    )
    assert pushed and repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1
    assert repos.read_file(origin, "bumper/api", "apps/api.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"


def test_a_branch_that_holds_this_content_is_left_as_it_is(
    git_server: GitServer, origin: Path, tmp_path: Path
) -> None:
    first = fresh_clone(git_server, tmp_path)
    tip, _ = deliver(first, RUN, "b", planned(first, "ghcr.io/acme/api:1.1.0"), "first run", lease=None)
    again = fresh_clone(git_server, tmp_path)
    assert fetch_branch(again, "b") == tip  # what the run reads before it delivers
    _, pushed = deliver(again, RUN, "b", planned(again, "ghcr.io/acme/api:1.1.0"), "second run", lease=tip)
    assert not pushed
    assert repos.branch_sha(origin, "b") == tip  # the first run's commit, message and all


def test_a_branch_moved_since_it_was_read_is_not_overwritten(
    git_server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = fresh_clone(git_server, tmp_path)
    read, _ = deliver(cloned, RUN, "b", planned(cloned, "ghcr.io/acme/api:1.1.0"), "ours", lease=None)
    theirs = repos.add_commit(origin, "b", {"human.yaml": b"x: 1\n"})
    with pytest.raises(PushRejected):
        deliver(cloned, RUN, "b", planned(cloned, "ghcr.io/acme/api:1.2.0"), "ours again", lease=read)
    assert repos.branch_sha(origin, "b") == theirs


def test_onto_the_base_is_a_fast_forward_and_a_moved_base_rejects_it(
    git_server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = fresh_clone(git_server, tmp_path)
    base = cloned.base_sha
    sha, pushed = deliver(
        cloned, RUN, "main", planned(cloned, "ghcr.io/acme/web:2.1.0"), "Bump web", lease=base, onto_base=True
    )
    assert pushed and repos.branch_sha(origin, "main") == sha
    assert repos.commit_info(origin, sha)["parents"] == base

    stale = fresh_clone(git_server, tmp_path)
    moved = repos.add_commit(origin, "main", {"other.yaml": b"o: 1\n"})
    with pytest.raises(PushRejected):
        deliver(
            stale,
            RUN,
            "main",
            planned(stale, "ghcr.io/acme/api:1.1.0"),
            "late",
            lease=stale.base_sha,
            onto_base=True,
        )
    assert repos.branch_sha(origin, "main") == moved

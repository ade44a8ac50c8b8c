"""End to end: a GitLab served under a path prefix (`https://host/gitlab/grp/proj.git`) without
--api-url: from the GitLab CI variables, else found by asking the host (docs/providers.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.tls import ServerTls, make_ca
from testing.world import make_world

BRANCH = "bumper/ghcr.io-acme-app"
REF = "ghcr.io/acme/app:v1.2.3"
MRS = "/gitlab/api/v4/projects/acme%2Fmanifests/merge_requests"


@pytest.fixture(scope="module")
def company_ca(tmp_path_factory: pytest.TempPathFactory) -> ServerTls:
    return make_ca(tmp_path_factory.mktemp("ca"))


def test_the_prefix_is_found_by_asking_the_host_once(tmp_path: Path, company_ca: ServerTls) -> None:
    """The API is guessed at https://HOST; its first miss makes bumper ask /gitlab once."""
    with make_world(tmp_path, "gitlab", tls=company_ca, gitlab_prefix="/gitlab", one_origin=True) as world:
        assert world.repo_url.endswith("/gitlab/acme/manifests.git")
        proc = world.run("bump", REF, BUMPER_API_URL="", GIT_SSL_CAINFO=str(company_ca.ca_file))

        assert proc.returncode == 0, proc.stderr
        [mr] = world.open_pulls()
        assert (mr.repo, mr.head) == ("acme/manifests", BRANCH)
        paths = [r.path for r in world.host.requests]
        assert paths[:3] == [
            "/api/v4/projects/gitlab%2Facme%2Fmanifests/merge_requests",  # the guess: not GitLab
            "/gitlab/api/v4/projects/acme%2Fmanifests",  # the one probe
            MRS,
        ]
        assert all(p.startswith("/gitlab/api/v4/") for p in paths[1:])  # two extra requests in all
        assert_no_canary(world, proc)


def test_a_project_found_under_no_prefix_fails_in_one_line_before_the_push(
    tmp_path: Path, company_ca: ServerTls
) -> None:
    with make_world(tmp_path, "gitlab", tls=company_ca, gitlab_prefix="/gitlab", one_origin=True) as world:
        world.host.projects.clear()  # the token cannot see the project anywhere
        proc = world.run("bump", REF, BUMPER_API_URL="", GIT_SSL_CAINFO=str(company_ca.ca_file))

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith(
            "bumper: error: GitLab API (gitlab/acme/manifests) looking for the merge request"
        )
        assert "--api-url" in line
        assert [r.path for r in world.host.requests] == [
            "/api/v4/projects/gitlab%2Facme%2Fmanifests/merge_requests",
            "/gitlab/api/v4/projects/acme%2Fmanifests",
        ]
        assert world.branch_sha(BRANCH) is None and world.pushes() == []


@pytest.mark.parametrize("variable", ["CI_SERVER_URL", "CI_API_V4_URL"])
def test_in_gitlab_ci_the_servers_own_url_names_the_prefix(tmp_path: Path, variable: str) -> None:
    with make_world(tmp_path, "gitlab", gitlab_prefix="/gitlab") as world:
        url = world.host.api_url + ("/api/v4" if variable == "CI_API_V4_URL" else "")
        proc = world.run(
            "bump", REF, BUMPER_API_URL="", GITLAB_CI="true", CI_SERVER_HOST="127.0.0.1", **{variable: url}
        )

        assert proc.returncode == 0, proc.stderr
        assert world.repo_url.split("/")[3] == "gitlab"  # http://127.0.0.1:PORT/gitlab/acme/...
        assert world.host.requests[0].path == MRS  # no guess, no probe
        [mr] = world.open_pulls()
        assert mr.repo == "acme/manifests"
        assert_no_canary(world, proc)

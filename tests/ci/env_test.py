"""CI detection: the build link, run id and source commit each CI system names."""

from __future__ import annotations

import pytest

from bumper.ci.env import Build, CiSystem, current_build, known_systems, variables
from bumper.errors import ConfigError

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/app",
    "GITHUB_RUN_ID": "42",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
}
GITLAB = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/7",
    "CI_PIPELINE_ID": "7",
    "CI_PROJECT_URL": "https://gitlab.example/acme/app",
    "CI_COMMIT_SHA": "fedcba9876543210fedcba9876543210fedcba98",
}


def test_github_actions_names_the_run() -> None:
    assert current_build(GITHUB) == Build(
        "github-actions",
        "https://github.com/acme/app/actions/runs/42",
        "42",
        "0123456789abcdef0123456789abcdef01234567",
    )


def test_gitlab_ci_names_the_pipeline() -> None:
    assert current_build(GITLAB) == Build(
        "gitlab-ci",
        "https://gitlab.example/acme/app/-/pipelines/7",
        "7",
        "fedcba9876543210fedcba9876543210fedcba98",
    )


def test_the_next_link_serves_when_the_first_lacks_a_variable() -> None:
    env = {k: v for k, v in GITLAB.items() if k != "CI_PIPELINE_URL"}
    build = current_build(env)
    assert build is not None
    assert build.url == "https://gitlab.example/acme/app/-/commit/fedcba9876543210fedcba9876543210fedcba98"


def test_outside_ci_there_is_no_build_even_with_stray_variables() -> None:
    assert current_build({"GITHUB_RUN_ID": "42", "CI_COMMIT_SHA": "abc"}) is None


def test_values_that_could_forge_a_trailer_or_a_link_are_dropped() -> None:
    env = dict(GITHUB, GITHUB_RUN_ID="42\nSigned-off-by: mallory", GITHUB_SHA="abc def")
    build = current_build(env)
    assert build is not None
    assert (build.url, build.run_id, build.commit) == (None, None, None)
    gitlab = current_build(dict(GITLAB, CI_PIPELINE_URL="javascript:alert(1)"))
    assert gitlab is not None
    assert gitlab.url == "https://gitlab.example/acme/app/-/commit/fedcba9876543210fedcba9876543210fedcba98"


def test_another_ci_system_is_one_row() -> None:
    teamcity = CiSystem(
        "teamcity",
        present="TEAMCITY_VERSION",
        links=("{SERVER_URL}/viewLog.html?buildId={BUILD_ID}",),
        run_ids=("BUILD_ID",),
        commits=("BUILD_VCS_NUMBER",),
    )
    env = {"TEAMCITY_VERSION": "2024.1", "SERVER_URL": "https://tc.example", "BUILD_ID": "9"}
    assert current_build(env, (teamcity,)) == Build(
        "teamcity", "https://tc.example/viewLog.html?buildId=9", "9", None
    )


SHA = "0123456789abcdef0123456789abcdef01234567"
# One row per CI system: what its build environment sets, and the build bumper reads from it.
CASES = {
    "jenkins": (
        {
            "JENKINS_URL": "https://jenkins.example/",
            "BUILD_URL": "https://jenkins.example/job/app/job/main/153/",
            "BUILD_NUMBER": "153",
            "BUILD_ID": "153",
            "GIT_COMMIT": SHA,
        },
        Build("jenkins", "https://jenkins.example/job/app/job/main/153/", "153", SHA),
    ),
    "circleci": (
        {
            "CI": "true",
            "CIRCLECI": "true",
            "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/app/1234",
            "CIRCLE_BUILD_NUM": "1234",
            "CIRCLE_WORKFLOW_ID": "4f5a0c2e-8c3e-4c59-9f5e-2b1a9d1c7e01",
            "CIRCLE_SHA1": SHA,
        },
        Build(
            "circleci", "https://circleci.com/gh/acme/app/1234", "4f5a0c2e-8c3e-4c59-9f5e-2b1a9d1c7e01", SHA
        ),
    ),
    "bitbucket-pipelines": (
        {
            "CI": "true",
            "BITBUCKET_BUILD_NUMBER": "77",
            "BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/acme/app",
            "BITBUCKET_COMMIT": SHA,
        },
        Build("bitbucket-pipelines", "http://bitbucket.org/acme/app/pipelines/results/77", "77", SHA),
    ),
    "azure-pipelines": (
        {
            "TF_BUILD": "True",
            "SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/",
            "SYSTEM_TEAMPROJECT": "Fabrikam Fiber",
            "BUILD_BUILDID": "3017",
            "BUILD_SOURCEVERSION": SHA,
        },
        Build(
            "azure-pipelines",
            "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=3017",
            "3017",
            SHA,
        ),
    ),
    "buildkite": (
        {
            "CI": "true",
            "BUILDKITE": "true",
            "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/app/builds/88",
            "BUILDKITE_BUILD_ID": "0190c5a4-1f7e-4b8e-9c1a-3d2e4f5a6b7c",
            "BUILDKITE_COMMIT": SHA,
        },
        Build(
            "buildkite",
            "https://buildkite.com/acme/app/builds/88",
            "0190c5a4-1f7e-4b8e-9c1a-3d2e4f5a6b7c",
            SHA,
        ),
    ),
    "drone": (
        {
            "CI": "true",
            "DRONE": "true",
            "DRONE_BUILD_LINK": "https://drone.example/acme/app/42",
            "DRONE_BUILD_NUMBER": "42",
            "DRONE_COMMIT_SHA": SHA,
        },
        Build("drone", "https://drone.example/acme/app/42", "42", SHA),
    ),
    "woodpecker": (
        {
            "CI": "woodpecker",
            "CI_SYSTEM_NAME": "woodpecker",
            "CI_PIPELINE_URL": "https://ci.example/repos/7/pipeline/12",
            "CI_PIPELINE_NUMBER": "12",
            "CI_COMMIT_SHA": SHA,
        },
        Build("woodpecker", "https://ci.example/repos/7/pipeline/12", "12", SHA),
    ),
    "gitea-actions": (  # the runner sets GITHUB_* too; its run page is numbered by the run's index
        {
            "GITEA_ACTIONS": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://gitea.example/",
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_RUN_ID": "90817",
            "GITHUB_RUN_NUMBER": "12",
            "GITHUB_SHA": SHA,
        },
        Build("gitea-actions", "https://gitea.example/acme/app/actions/runs/12", "12", SHA),
    ),
    "forgejo-actions": (
        {
            "FORGEJO_ACTIONS": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://codeberg.org",
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_RUN_ID": "5501",
            "GITHUB_RUN_NUMBER": "3",
            "GITHUB_SHA": SHA,
        },
        Build("forgejo-actions", "https://codeberg.org/acme/app/actions/runs/3", "3", SHA),
    ),
    "tekton (params as BUMPER_SOURCE_*)": (
        {
            "BUMPER_SOURCE_CI": "tekton",
            "BUMPER_SOURCE_URL": "https://tekton.example/#/namespaces/ci/pipelineruns/app-run-x7k2p",
            "BUMPER_SOURCE_RUN": "app-run-x7k2p",
            "BUMPER_SOURCE_COMMIT": SHA.upper(),
        },
        Build(
            "tekton",
            "https://tekton.example/#/namespaces/ci/pipelineruns/app-run-x7k2p",
            "app-run-x7k2p",
            SHA,
        ),
    ),
}


@pytest.mark.parametrize(("env", "expected"), CASES.values(), ids=CASES.keys())
def test_each_ci_system_names_its_build(env: dict[str, str], expected: Build) -> None:
    assert current_build(env) == expected


def test_every_system_has_a_case_and_reads_only_variables_it_lists() -> None:
    assert {s.name for s in known_systems()} - {"github-actions", "gitlab-ci"} <= {
        b.system for _, b in CASES.values()
    }
    for env, _ in CASES.values():
        assert set(env) - {"CI", "CI_SYSTEM_NAME"} <= set(variables()), env


def test_the_fallback_run_id_serves_when_the_first_is_unset() -> None:
    env, _ = CASES["circleci"]
    build = current_build({k: v for k, v in env.items() if k != "CIRCLE_WORKFLOW_ID"})
    assert build is not None and build.run_id == "1234"
    env, _ = CASES["jenkins"]
    build = current_build({k: v for k, v in env.items() if k != "BUILD_NUMBER"})
    assert build is not None and build.run_id == "153"


def test_woodpecker_is_not_taken_for_gitlab_or_drone() -> None:
    env, _ = CASES["woodpecker"]
    assert current_build(dict(env, CI="true")) is None  # CI_* alone is no known system
    build = current_build(dict(env, DRONE="true", DRONE_BUILD_LINK="https://old.example/1"))
    assert build is not None and build.system == "woodpecker"


def test_overrides_win_over_what_the_ci_system_says() -> None:
    env, _ = CASES["jenkins"]
    other = "fedcba9876543210fedcba9876543210fedcba98"
    build = current_build(
        dict(env, BUMPER_SOURCE_URL="https://app.example/builds/1", BUMPER_SOURCE_COMMIT=other)
    )
    assert build == Build("jenkins", "https://app.example/builds/1", "153", other)


def test_an_override_alone_is_a_build_of_an_unnamed_system() -> None:
    assert current_build({"BUMPER_SOURCE_COMMIT": "c0ffee1"}) == Build("other", None, None, "c0ffee1")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BUMPER_SOURCE_URL", "https://ci.example/1\nSigned-off-by: mallory"),
        ("BUMPER_SOURCE_URL", "javascript:alert(1)"),
        ("BUMPER_SOURCE_URL", "ftp://ci.example/1"),
        ("BUMPER_SOURCE_URL", "https://user:s3cret@ci.example/1"),
        ("BUMPER_SOURCE_URL", "https:///no-host"),
        ("BUMPER_SOURCE_COMMIT", "HEAD"),
        ("BUMPER_SOURCE_COMMIT", "v1.2.3"),
        ("BUMPER_SOURCE_COMMIT", "0123 4567"),
        ("BUMPER_SOURCE_CI", "Tekton Pipelines"),
        ("BUMPER_SOURCE_RUN", "x" * 201),
    ],
)
def test_a_bad_override_is_a_usage_error_that_does_not_echo_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        current_build({name: value})
    assert "s3cret" not in str(caught.value) and "mallory" not in str(caught.value)


def test_ci_values_that_are_not_commits_or_links_are_dropped() -> None:
    env, _ = CASES["buildkite"]
    build = current_build(
        dict(env, BUILDKITE_COMMIT="HEAD", BUILDKITE_BUILD_URL="https://u:p@buildkite.com/x")
    )
    assert build == Build("buildkite", None, "0190c5a4-1f7e-4b8e-9c1a-3d2e4f5a6b7c", None)
    env, _ = CASES["azure-pipelines"]
    build = current_build(dict(env, SYSTEM_TEAMPROJECT="a\nb"))
    assert build is not None and build.url is None

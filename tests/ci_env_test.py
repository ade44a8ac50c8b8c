"""CI detection: the build link, run id and source commit each CI system names."""

from __future__ import annotations

from bumper.ci_env import Build, CiSystem, current_build

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
    jenkins = CiSystem(
        "jenkins", present="JENKINS_URL", links=("{BUILD_URL}",), run_id="BUILD_ID", commit="GIT_COMMIT"
    )
    env = {"JENKINS_URL": "https://ci.example/", "BUILD_URL": "https://ci.example/job/x/9/", "BUILD_ID": "9"}
    assert current_build(env, (jenkins,)) == Build("jenkins", "https://ci.example/job/x/9/", "9", None)

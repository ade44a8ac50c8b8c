"""Which CI system runs bumper and what it says about the build (`systems.yaml` is the table).

The outputs bumper hands back stay in bumper/ci_outputs.py: `python -m bumper.ci_outputs` is
what action.yml and the GitLab templates run, a public entry point."""

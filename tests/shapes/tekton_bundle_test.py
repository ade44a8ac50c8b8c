"""Shape `tekton_bundle` on inline YAML: a Tekton taskRef's (pipelineRef's) OCI bundle."""

from __future__ import annotations

from testing.shapes import find

SHA = "a" * 64


def test_the_bundles_resolvers_bundle_param() -> None:
    """`taskRef: {resolver: bundles, params: [{name: bundle, value: REF}]}` in a Pipeline's tasks
    and `finally`, a PipelineRun's `pipelineRef`: the value, with a tag or digest."""
    text = f"""\
        apiVersion: tekton.dev/v1
        kind: PipelineRun
        spec:
          pipelineRef:
            resolver: bundles
            params:
              - {{name: bundle, value: "quay.io/acme/pipelines/build@sha256:{SHA}"}}
              - {{name: name, value: build}}
          pipelineSpec:
            finally:
              - name: notify
                taskRef:
                  resolver: bundles
                  params:
                    - name: name
                      value: notify
                    - name: bundle
                      value: quay.io/konflux-ci/tekton-catalog/task-notify:0.1
        """
    assert find(text, "run.yaml").found == [
        (7, "container", f"quay.io/acme/pipelines/build@sha256:{SHA}"),
        (18, "container", "quay.io/konflux-ci/tekton-catalog/task-notify:0.1"),
    ]


def test_a_steps_step_action_from_a_bundle() -> None:
    """A Task step's `ref: {resolver: bundles, params: […]}` runs a StepAction from a bundle (the
    bundles resolver serves pipelineRef, taskRef and step.ref alike); a `ref` with another
    resolver, or a `bundle:` key under `ref` (no Tekton field), is not read."""
    text = """\
        apiVersion: tekton.dev/v1
        kind: Task
        spec:
          steps:
            - name: clone
              ref:
                resolver: bundles
                params:
                  - {name: bundle, value: "ghcr.io/acme/step-actions/git-clone:0.3"}
                  - {name: name, value: git-clone}
                  - {name: kind, value: stepaction}
            - name: other
              ref:
                resolver: git
                params:
                  - {name: bundle, value: "ghcr.io/acme/step-actions/git-clone:0.3"}
            - name: keyed
              ref: {bundle: "ghcr.io/acme/step-actions/git-clone:0.3"}
        """
    assert find(text, "task.yaml").found == [
        (9, "container", "ghcr.io/acme/step-actions/git-clone:0.3"),
    ]


def test_v1beta1s_bundle_key() -> None:
    """`taskRef: {name: build, bundle: REF}` (Tekton v1beta1's OCI bundles)."""
    text = """\
        spec:
          tasks:
            - name: build
              taskRef:
                name: build
                bundle: gcr.io/tekton-releases/catalog/upstream/buildah:0.1
        """
    assert find(text, "pipeline.yaml").found == [
        (6, "container", "gcr.io/tekton-releases/catalog/upstream/buildah:0.1"),
    ]


def test_a_bundle_elsewhere_is_no_image() -> None:
    """A task's own `params` named `bundle`, another resolver's params, a `bundle:` outside a
    taskRef, a bundle without a tag or digest (listed as `no-tag`) and a placeholder move nothing."""
    text = """\
        spec:
          tasks:
            - name: sign
              params:
                - name: bundle
                  value: quay.io/acme/task-arg:v1
              taskRef:
                resolver: git
                params:
                  - name: url
                    value: https://github.com/tektoncd/catalog.git
                  - name: bundle
                    value: quay.io/acme/git-param:v1
            - name: build
              taskRef:
                resolver: bundles
                params:
                  - name: bundle
                    value: quay.io/acme/untagged
                  - name: kind
                    value: task
            - name: test
              taskRef:
                resolver: bundles
                params:
                  - name: bundle
                    value: quay.io/acme/tasks:$(params.version)
          bundle: quay.io/acme/not-a-ref:v1
        """
    finding = find(text, "pipeline.yaml")
    assert finding.found == []
    assert [(line, reason.split(":")[0]) for line, _, _, reason in finding.left] == [
        (19, "no-tag"),
        (27, "placeholder"),
    ]


def test_a_bundle_reached_through_an_alias_or_a_merge_key() -> None:
    """The resolver's map anchored outside the tasks and used as `taskRef: *bundle` or through
    `taskRef: {<<: *bundle}`: the value is read once, where it is written. Through the merge key
    it was passed over in silence (the map holding `<<` was the Helm shape's)."""
    text = """\
        apiVersion: tekton.dev/v1
        kind: Pipeline
        metadata:
          annotations:
            x-bundle: &bundle
              resolver: bundles
              params:
                - {name: bundle, value: "gcr.io/tekton-releases/catalog/upstream/git-clone:0.9"}
        spec:
          tasks:
            - name: clone
              taskRef: TASKREF
        """
    found = [(8, "container", "gcr.io/tekton-releases/catalog/upstream/git-clone:0.9")]
    assert find(text.replace("TASKREF", "*bundle"), "pipeline.yaml").found == found
    assert find(text.replace("TASKREF", "{<<: *bundle}"), "pipeline.yaml").found == found

"""End to end: a file that does not parse fails a bump only when it may name a REF's image. One
whose only text holding the REF's name is a longer name (`python3` for REF `python`) is none
of the run's files: a bump of python failed on a broken vLLM Deployment that runs `python3`.

From GoogleCloudPlatform/kubernetes-engine-samples@2b5036514162a489145c5e5570bc320efbcb37bf
ai-ml/gke-model-armor/preparing-the-model/vllm-gemma-deployment.yaml (its containers are
indented under nodeAffinity: `did not find expected key`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing import forkserver

BROKEN_VLLM = (
    "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      affinity:\n"
    "        nodeAffinity:\n          required:\n            - key: cloud.google.com/gke-accelerator\n"
    "          containers:\n          -   name: inference-server\n"
    "            image: us-docker.pkg.dev/vertex-ai/pytorch-vllm-serve:20250801_0916_RC01\n"
    '            command: ["python3", "-m", "vllm.entrypoints.api_server"]\n'
)
JOB = "spec:\n  containers:\n    - name: tool\n      image: python:3.12-slim\n"


def _tree(root: Path, broken: str) -> Path:
    (root / "vllm.yaml").write_text(broken)
    (root / "job.yaml").write_text(JOB)
    return root


def _bump(root: Path, ref: str) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(["bump", ref, "--dir", str(root)])
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc


def test_a_broken_file_holding_only_a_longer_name_is_not_the_runs(tmp_path: Path) -> None:
    root = _tree(tmp_path, BROKEN_VLLM)
    proc = _bump(root, "python:3.13-slim")
    assert proc.returncode == 0, proc.stderr
    assert (root / "job.yaml").read_text() == JOB.replace("3.12-slim", "3.13-slim")
    assert (root / "vllm.yaml").read_text() == BROKEN_VLLM


@pytest.mark.parametrize(
    "mention",
    [
        '            command: ["/usr/bin/python", "-c", "print(1)"]\n',  # the name as a word
        "            image: python:3.12-slim\n",
        '            image: "docker.io/library/python"\n',
        '            x: 1  # {"$bumper": "ghcr.io/acme/other"}\n',  # a marker: read as before
    ],
)
def test_a_broken_file_that_may_name_the_image_still_fails(tmp_path: Path, mention: str) -> None:
    root = _tree(tmp_path, BROKEN_VLLM + mention)
    proc = _bump(root, "python:3.13-slim")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("bumper: error: vllm.yaml:12: cannot parse YAML"), proc.stderr
    assert (root / "job.yaml").read_text() == JOB

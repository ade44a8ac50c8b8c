"""End to end: an environment variable listing images a `KEY=IMAGE` line each (Strimzi's
`STRIMZI_KAFKA_IMAGES`) is listed under `ignored` line by line (reason `image-list`) and left
alone: a bump moved the variables naming one image and passed these lines over in silence.

From strimzi/strimzi-kafka-operator@8541da1e336bdcda9647aeacfbc2048e57580a52
packaging/install/cluster-operator/060-Deployment-strimzi-cluster-operator.yaml.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testing import forkserver

KAFKA = "quay.io/strimzi/kafka"
DEPLOYMENT = (
    "spec:\n  template:\n    spec:\n      containers:\n        - name: strimzi-cluster-operator\n"
    "          image: quay.io/strimzi/operator:0.48.0\n          env:\n"
    "            - name: STRIMZI_DEFAULT_CRUISE_CONTROL_IMAGE\n"
    f"              value: {KAFKA}:0.48.0-kafka-4.1.0\n"
    "            - name: STRIMZI_KAFKA_IMAGES\n              value: |\n"
    f"                4.0.0={KAFKA}:0.48.0-kafka-4.0.0\n"
    "\n"
    f"                4.1.0={KAFKA}:0.48.0-kafka-4.1.0\n"
    "            - name: STRIMZI_KAFKA_CONNECT_IMAGES\n"
    f'              value: "4.1.0={KAFKA}:0.48.0-kafka-4.1.0"\n'
)


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run([*args, "--dir", str(root), "--output", "json"])
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc


def test_each_line_of_an_image_list_is_listed_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "operator.yaml").write_text(DEPLOYMENT)
    bump = _run(tmp_path, "bump", f"{KAFKA}:0.49.0-kafka-4.1.0")
    assert bump.returncode == 0, bump.stderr
    result = json.loads(bump.stdout)
    assert [(c["line"], c["new"]) for c in result["changes"]] == [(9, f"{KAFKA}:0.49.0-kafka-4.1.0")]
    listed = [(i["line"], i["value"], i["reason"].partition(":")[0]) for i in result["ignored"]]
    assert listed == [
        (12, f"{KAFKA}:0.48.0-kafka-4.0.0", "image-list"),
        (14, f"{KAFKA}:0.48.0-kafka-4.1.0", "image-list"),
        (16, f"{KAFKA}:0.48.0-kafka-4.1.0", "image-list"),  # a one-line value: the value's line
    ]
    assert (tmp_path / "operator.yaml").read_text() == DEPLOYMENT.replace(
        f"value: {KAFKA}:0.48.0-kafka-4.1.0\n", f"value: {KAFKA}:0.49.0-kafka-4.1.0\n"
    )
    scan = json.loads(_run(tmp_path, "scan").stdout)
    assert [(i["line"], i["reason"].partition(":")[0]) for i in scan["ignored"]] == [
        (12, "image-list"),
        (14, "image-list"),
        (16, "image-list"),
    ]


def test_a_bump_of_another_image_lists_none_of_them(tmp_path: Path) -> None:
    (tmp_path / "operator.yaml").write_text(DEPLOYMENT)
    bump = _run(tmp_path, "bump", "quay.io/strimzi/operator:0.49.0")
    assert bump.returncode == 0, bump.stderr
    result = json.loads(bump.stdout)
    assert [c["line"] for c in result["changes"]] == [6]
    assert result["ignored"] == []

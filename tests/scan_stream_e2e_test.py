"""End to end: `bumper scan` writes each file's references out as it reads them, so its memory
does not grow with the tree, and a scan stopped halfway still prints one JSON object.

The proof of streaming is not timed: the test reads only the first bytes of a scan whose output is
far bigger than a pipe holds, so the scan is stuck writing while it has not yet read the last
file; the test then changes that file. A scan that read every file before writing anything
reports the old content; one that streams reads the file after the change.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FILES, IMAGES = 80, 60  # ~290 KB of text, ~1.5 MB of JSON: many times a pipe's 64 KB


def _tree(root: Path) -> Path:
    for n in range(FILES):
        lines = [f"  - name: c{i}\n    image: ghcr.io/acme/svc-{n:03d}-{i:02d}:v1\n" for i in range(IMAGES)]
        (root / f"a-{n:03d}.yaml").write_text("containers:\n" + "".join(lines))
    (root / "z-last.yaml").write_text("image: ghcr.io/acme/last:v1\n")
    return root


def _start(tree: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bumper", "scan", "--dir", str(tree), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
        start_new_session=True,  # a signal sent to it reaches no one else
    )


def _change_last_file(tree: Path) -> None:
    """Replace z-last.yaml at once (never half written) with a new tag."""
    (tree / "z-last.tmp").write_text("image: ghcr.io/acme/last:v2\n")
    os.replace(tree / "z-last.tmp", tree / "z-last.yaml")


@pytest.mark.parametrize("output", ["text", "json"])
def test_the_first_results_are_out_before_the_last_file_is_read(tmp_path: Path, output: str) -> None:
    tree = _tree(tmp_path)
    proc = _start(tree, "--output", output)
    assert proc.stdout is not None
    first = os.read(
        proc.stdout.fileno(), 4096
    )  # the scan has begun writing (unbuffered: communicate reads on)
    _change_last_file(tree)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    out = (first + rest).decode()
    if output == "json":
        images = json.loads(out)["images"]
        assert len(images) == FILES * IMAGES + 1
        assert (images[-1]["file"], images[-1]["tag"]) == ("z-last.yaml", "v2")
    else:
        assert first.decode().startswith("a-000.yaml:3:12: container: ghcr.io/acme/svc-000-00:v1")
        assert out.splitlines()[-1] == "z-last.yaml:1:8: container: ghcr.io/acme/last:v2"
        assert (
            err.decode().splitlines()[-1]
            == f"bumper: {FILES * IMAGES + 1} reference(s) in {FILES + 1} file(s)"
        )


@pytest.mark.parametrize(
    ("sent", "code", "kind"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_scan_stopped_while_it_writes_json_still_prints_one_object(
    tmp_path: Path, sent: signal.Signals, code: int, kind: str
) -> None:
    proc = _start(_tree(tmp_path), "--output", "json")
    assert proc.stdout is not None
    first = os.read(proc.stdout.fileno(), 4096)  # the scan is under way, stuck writing to the full pipe
    proc.send_signal(sent)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err.decode()
    assert "Traceback" not in err.decode()
    payload = json.loads(first + rest)
    assert (payload["status"], payload["exit_code"], payload["error"]["kind"]) == ("failed", code, kind)
    assert 0 < len(payload["images"]) < FILES * IMAGES  # what was written before it stopped
    assert payload["images"][0]["file"] == "a-000.yaml"


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) to fill stdout")
@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("stdout", ["full", "closed"])
def test_a_scan_whose_stdout_fails_ends_in_one_line(tmp_path: Path, output: str, stdout: str) -> None:
    """stdout on a full disk: the write fails, and so would the JSON object's failure fields;
    the run still ends with one error line and exit 1, never a traceback. stdout closed (`>&-`)
    is the null device (docs/reference.md): the scan ends as it would, exit 0."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bumper", "scan", "--dir", str(_tree(tmp_path)), "--output", output],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=120,
            check=False,
            preexec_fn=_close_stdout if stdout == "closed" else None,  # noqa: PLW1509 - no threads here
        )
    err = proc.stderr.decode()
    if stdout == "closed":
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "error" not in err, err
        return
    assert proc.returncode == 1, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("bumper: internal error (please report): "), err

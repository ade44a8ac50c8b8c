"""Totals of the reliability modules, gathered from every pytest-xdist worker and written once.

A test adds JSON-able records with `record(name, item)` in whichever worker runs it; each worker
hands its records to the controller when it stops, and the controller (or the only process,
without xdist) turns each name's records into `<name>.json` in the base temp directory and in
`$BUMPER_RELIABILITY_DIR` when set, and prints one line per name. docs/reliability.md quotes them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_RECORDS: dict[str, list[Any]] = {}
_WORKER_KEY = "bumper_summaries"


def record(name: str, item: Any) -> None:
    """Add one record to summary `name` (safe from threads: one append under the GIL)."""
    _RECORDS.setdefault(name, []).append(item)


# -- how each summary reads its records -----------------------------------------------------------


def _faults(items: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    by_kind: dict[str, dict[str, int]] = {}
    for o in items:
        row = by_kind.setdefault(
            f"{o['provider']} {o['target']} {o['kind']}",
            {"runs": 0, "injected": 0, "survived": 0, "failed_cleanly": 0, "violations": 0},
        )
        row["runs"] += 1
        row["injected"] += o["injected"]
        clean = not o["problems"]
        row["survived" if o["exit_code"] == 0 else "failed_cleanly"] += 1 if clean else 0
        row["violations"] += 0 if clean else 1
    totals = Counter[str]()
    for row in by_kind.values():
        totals.update(row)

    def of(provider: str) -> dict[str, int]:
        mine = [o for o in items if o["provider"] == provider]
        return {
            "runs": len(mine),
            "injected": sum(o["injected"] for o in mine),
            "survived": sum(1 for o in mine if o["exit_code"] == 0 and not o["problems"]),
            "failed_cleanly": sum(1 for o in mine if o["exit_code"] != 0 and not o["problems"]),
        }

    data = {
        "module": "tests/reliability_faults_test.py",
        # From the first scenario's start to the last one's end, across workers.
        "seconds": round(max(o["ended"] for o in items) - min(o["started"] for o in items), 1),
        "runs": len(items),
        "reruns": sum(o["rerun"] for o in items),
        "injected_faults": sum(o["injected"] for o in items),
        "totals": dict(totals),
        "by_provider": {p: of(p) for p in ("github", "gitlab")},
        "by_kind": by_kind,
    }
    line = (
        f"reliability faults: {data['runs']} runs, {data['injected_faults']} injected faults, "
        f"{totals['survived']} survived, {totals['failed_cleanly']} failed cleanly, "
        f"{totals['violations']} violations, {data['reruns']} converging reruns ({data['seconds']} s)"
    )
    return data, line


def _concurrency(items: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    data: dict[str, Any] = {}
    for item in items:
        data.update(item)
    return data, f"reliability concurrency: {len(data)} concurrent batches"


def _hostile(items: list[str]) -> tuple[dict[str, Any], str]:
    data = {"hostile_inputs_handled": len(items), "cases": sorted(items)}
    return data, f"hostile inputs: {len(items)} handled"


SUMMARIES: dict[str, Callable[[Any], tuple[dict[str, Any], str]]] = {
    "reliability_faults": _faults,
    "reliability_concurrency": _concurrency,
    "hostile_input": _hostile,
}


# -- pytest hooks (tests/conftest.py lists this module in pytest_plugins) -------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes the files
        workeroutput[_WORKER_KEY] = json.dumps(_RECORDS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller collects a stopping worker's records."""
    for name, items in json.loads(getattr(node, "workeroutput", {}).get(_WORKER_KEY, "{}")).items():
        _RECORDS.setdefault(name, []).extend(items)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workeroutput"):
        return
    for name in sorted(_RECORDS):
        data, line = SUMMARIES[name](_RECORDS[name])
        text = json.dumps(data, indent=1, sort_keys=True)
        paths = [Path(config._tmp_path_factory.getbasetemp()) / f"{name}.json"]  # type: ignore[attr-defined]
        if os.environ.get("BUMPER_RELIABILITY_DIR"):
            paths.append(Path(os.environ["BUMPER_RELIABILITY_DIR"]) / f"{name}.json")
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        terminalreporter.write_line(line)

"""BumpResult and Status: the JSON a script reads carries the contract's words only."""

from __future__ import annotations

import json

import pytest

from bumper.options import UNNAMED_PROVIDERS, BumpResult, Status
from bumper.plan.tree import TreePlan
from bumper.providers.registry import AUTO, NO_PROVIDER


def test_a_result_speaks_the_contracts_status_words() -> None:
    for status in Status:
        payload = json.loads(json.dumps(BumpResult(status, TreePlan()).as_json()))
        assert payload["status"] == status.value
        assert f"{status}" == status.value


def test_a_misspelt_status_fails_where_it_is_made() -> None:
    with pytest.raises(ValueError):
        BumpResult("uptodate", TreePlan())
    assert BumpResult("up-to-date", TreePlan()).status is Status.UP_TO_DATE


def test_the_provider_words_checked_without_the_registry_are_the_registrys() -> None:
    assert UNNAMED_PROVIDERS == (AUTO, NO_PROVIDER)

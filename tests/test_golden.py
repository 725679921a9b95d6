"""Golden runs reproduce bit for bit: a refactor changes no result.

When a change of behaviour is intended, regenerate with ``make golden`` and
say in the same commit which behaviour changed and why.
"""

from __future__ import annotations

import json

import pytest
from golden_runs import FINGERPRINTS, NUMERICS, SCENARIOS, SEEDS, fingerprints

from okrsim.provenance import numerics


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, str]]:
    return fingerprints()


def test_golden_runs_cover_three_scenarios_and_two_seeds():
    stored = json.loads(FINGERPRINTS.read_text())
    assert sorted(stored) == sorted(f"{s}/{seed}" for s in SCENARIOS for seed in SEEDS)


@pytest.mark.parametrize("run_id", [f"{s}/{seed}" for s in SCENARIOS for seed in SEEDS])
def test_golden_run_is_reproduced_exactly(current, run_id):
    stored = json.loads(FINGERPRINTS.read_text())
    made_on = json.loads(NUMERICS.read_text())
    here = numerics()
    assert current[run_id] == stored[run_id], (
        f"{run_id} changed; if the behaviour change is intended, run `make golden` "
        "and say in the commit which behaviour changed and why"
        if made_on["fingerprint"] == here["fingerprint"]
        else f"{run_id} differs, and this machine's numerics ({here}) are not those the golden "
        f"runs were made with ({made_on}): its last bits differ, so no run can match here"
    )


def test_the_golden_runs_record_the_numerics_they_were_made_with():
    assert set(json.loads(NUMERICS.read_text())) == set(numerics())

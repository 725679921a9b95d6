"""Golden runs: stable fingerprints of a few runs' full results.

Three scenarios × two seeds are run and every table of each run's results is
reduced to a SHA-256 of its columns' names, dtypes and raw values.  The
fingerprints are stored in ``tests/golden/fingerprints.json``, and the
numerics of the machine that made them (:func:`okrsim.provenance.numerics`)
in ``tests/golden/numerics.json``; a refactor must reproduce them bit for
bit, on a machine with the same numerics.  A deliberate change of behaviour
regenerates them once, with ``make golden``, in a commit that says which
behaviour changed and why.

Run as a script (``python tests/golden_runs.py``) to regenerate.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINTS = ROOT / "tests" / "golden" / "fingerprints.json"
NUMERICS = ROOT / "tests" / "golden" / "numerics.json"
SCENARIOS = ("coupled", "cross_team_dependencies", "decouple_in_year_two")
SEEDS = (1, 20261130)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 over each column's name, dtype and raw bytes, in column order."""
    digest = hashlib.sha256()
    digest.update(str(len(frame)).encode())
    for name in frame.columns:
        values = np.ascontiguousarray(frame[name].to_numpy())
        digest.update(f"|{name}:{values.dtype.str}|".encode())
        if values.dtype == object:
            digest.update(repr(values.tolist()).encode())
        else:
            digest.update(values.tobytes())
    return digest.hexdigest()


def fingerprints() -> dict[str, dict[str, str]]:
    """Every golden run's tables, fingerprinted: ``{"scenario/seed": {table: sha}}``."""
    from okrsim import Scenario, run

    out: dict[str, dict[str, str]] = {}
    for name in SCENARIOS:
        scenario = Scenario.from_toml(ROOT / "scenarios" / f"{name}.toml")
        for seed in SEEDS:
            result = run(scenario, seed)
            out[f"{name}/{seed}"] = {
                table: frame_fingerprint(frame) for table, frame in result.tables().items()
            }
    return out


def main() -> int:
    from okrsim.provenance import numerics

    FINGERPRINTS.parent.mkdir(parents=True, exist_ok=True)
    FINGERPRINTS.write_text(json.dumps(fingerprints(), indent=2, sort_keys=True) + "\n")
    NUMERICS.write_text(json.dumps(numerics(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {FINGERPRINTS.relative_to(ROOT)} and {NUMERICS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

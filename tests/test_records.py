"""Records: kept as arrays through the run, made into tables once, bit for bit as NumPy means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from okrsim import metrics
from okrsim.model import OKRModel, records
from okrsim.model.weekly_records import average, nanmean
from okrsim.params import WEEKS_PER_QUARTER, Scenario

FLOATS = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
VALUES = hnp.arrays(np.float64, st.integers(1, 3000), elements=FLOATS)
WITH_GAPS = hnp.arrays(
    np.float64,
    st.integers(1, 3000),
    elements=st.one_of(FLOATS, st.just(np.nan), st.just(np.inf)),
)


def bits(x: float) -> bytes:
    return np.float64(x).tobytes()


@settings(max_examples=200, deadline=None)
@given(VALUES, st.integers(1, 6))
def test_average_is_numpys_mean_bit_for_bit(values, width):
    """Also over one column of a 2-D array (the weekly effort shares), and of booleans."""
    assert bits(average(values)) == bits(values.mean())
    table = np.resize(values, (values.size, width))
    for j in range(width):
        assert bits(average(table[:, j])) == bits(table[:, j].mean())
    assert bits(average(values > 0)) == bits((values > 0).mean())


@settings(max_examples=200, deadline=None)
@given(WITH_GAPS)
def test_weekly_nanmean_is_the_mean_of_the_finite_entries(values):
    finite = values[np.isfinite(values)]
    expected = finite.mean() if finite.size else np.nan
    assert bits(nanmean(values)) == bits(expected)


@pytest.fixture(scope="module")
def reviewed() -> OKRModel:
    """A small organisation after its first review."""
    s = Scenario().with_overrides({"org.n_teams": 2, "org.team_size": 4, "horizon.quarters": 1})
    model = OKRModel(s, 8)
    model.run()
    return model


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=WITH_GAPS)
def test_quarter_means_are_numpys_nanmean_bit_for_bit(reviewed, values):
    """A quarter's metric averaged over employees leaves out NaNs exactly as np.nanmean does."""
    expected = np.nanmean(values) if np.isfinite(values).any() else np.nan
    employees = reviewed.held.employees[0] | {"sandbagging_index": values}
    row = records.quarter_row(employees, reviewed.weekly, reviewed.tally, krs=1)
    assert bits(row["sandbagging_index"]) == bits(expected)


def test_weekly_frame_is_what_mesas_datacollector_holds_past_the_horizon(small):
    """The per-run array grows when the model is stepped on after its horizon."""
    model = OKRModel(small, 5)
    model.run()
    for _ in range(WEEKS_PER_QUARTER + 2):
        model.step()
    frame = model.weekly_frame()
    assert len(frame) == model.week
    assert frame["week"].tolist() == list(range(1, model.week + 1))
    assert frame["week"].dtype == frame["quarter"].dtype == np.int64
    pd.testing.assert_frame_equal(frame, model.datacollector.get_model_vars_dataframe())
    assert model.week_row == frame.iloc[-1].to_dict()


def test_a_reviews_records_are_its_own_not_the_state_that_follows(small):
    model = OKRModel(small, 6)
    for _ in range(WEEKS_PER_QUARTER):
        model.step()
    kept = {name: values.copy() for name, values in model.held.key_results[0].items()}
    model.run()
    for name, values in kept.items():
        np.testing.assert_array_equal(model.held.key_results[0][name], values)


def test_tables_are_built_from_every_reviews_records(small):
    model = OKRModel(small, 7)
    assert model.employee_frame().empty
    assert model.key_result_frame().empty
    model.run()
    employees, key_results = model.employee_frame(), model.key_result_frame()
    n, k, quarters = small.n_employees, small.okr.krs_per_person, small.horizon.quarters
    assert len(employees) == n * quarters
    assert len(key_results) == n * k * quarters
    assert isinstance(employees.index, pd.RangeIndex)
    for q, record in enumerate(model.held.employees):
        rows = employees.iloc[q * n : (q + 1) * n]
        for name, values in record.items():
            np.testing.assert_array_equal(rows[name].to_numpy(), values)
    for weeks in ("first_blocked_week", "raised_week"):
        column = key_results[weeks]
        assert column.dtype == "Int64"
        never = np.concatenate([r[weeks] for r in model.held.key_results]) == 0
        np.testing.assert_array_equal(column.isna().to_numpy(), never)
    for status in ("reported_status", "true_status"):
        codes = np.concatenate([r[status] for r in model.held.key_results])
        named = [metrics.STATUS_NAMES[code] for code in codes]
        assert key_results[status].tolist() == named

"""Totals over a short last axis equal numpy's reductions bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from okrsim import rows


@pytest.mark.parametrize("width", range(1, 10))
def test_totals_and_means_are_numpys_to_the_bit(width: int) -> None:
    rng = np.random.default_rng(width)
    # magnitudes from 1e-8 to 1e8, so any change in the order of additions shows
    x = rng.normal(size=(4000, width)) * 10 ** rng.uniform(-8, 8, size=(4000, width))
    np.testing.assert_array_equal(rows.total(x), x.sum(axis=-1))
    np.testing.assert_array_equal(rows.mean(x), x.mean(axis=-1))
    three = x.reshape(40, 100, width)
    np.testing.assert_array_equal(rows.total(three), three.sum(axis=-1))


@pytest.mark.parametrize("width", range(1, 10))
def test_counts_any_and_all_match_numpy(width: int) -> None:
    mask = np.random.default_rng(width).random((500, width)) < 0.3
    counts = rows.total(mask)
    np.testing.assert_array_equal(counts, mask.sum(axis=-1))
    assert counts.dtype == mask.sum(axis=-1).dtype
    np.testing.assert_array_equal(rows.any_(mask), mask.any(axis=-1))
    np.testing.assert_array_equal(rows.all_(mask), mask.all(axis=-1))


def test_a_total_does_not_write_into_its_input() -> None:
    x = np.arange(6.0).reshape(2, 3)
    rows.total(x)[:] = -1.0
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))

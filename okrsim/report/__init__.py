"""Reports: charts and self-contained HTML pages built from results.

:mod:`okrsim.report.figures` turns tidy frames into plotly figures (used by the
reports and the dashboard alike); :mod:`okrsim.report.pages` lays them out as
the leadership report of a comparison or a sweep.  Reports read results; they
run nothing.

The names below are imported from :mod:`okrsim.report.pages` on first use, so
that the command line can register ``okrsim report`` without loading plotly,
pandas and the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okrsim.report.pages import (
        COMPARE_FILES,
        Sweep,
        comparison_report,
        is_comparison_dir,
        is_sweep_dir,
        page,
        read_comparison,
        read_sweep,
        sweep_report,
        write,
    )

__all__ = [
    "COMPARE_FILES",
    "Sweep",
    "comparison_report",
    "is_comparison_dir",
    "is_sweep_dir",
    "page",
    "read_comparison",
    "read_sweep",
    "sweep_report",
    "write",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(import_module("okrsim.report.pages"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'okrsim.report' has no attribute {name!r}")

"""Reports: charts and self-contained HTML pages built from results.

:mod:`okrsim.report.figures` turns tidy frames into plotly figures (used by the
reports and the dashboard alike); :mod:`okrsim.report.pages` lays them out as
the leadership report of a comparison or a sweep.  Reports read results; they
run nothing.
"""

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

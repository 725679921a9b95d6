"""The leadership report: one self-contained HTML file, charts embedded.

The report reads results; it runs nothing.  plotly.js is inlined once, so the
file opens offline and makes no network requests.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from okrsim import figures
from okrsim.compare import Comparison
from okrsim.metrics import METRICS

#: Metrics the headline sentences speak about, with the words for "up" and "down".
HEADLINES: dict[str, tuple[str, str]] = {
    "sandbagging_index": (
        "targets were set further below what people expected to deliver",
        "targets came closer to what people expected to deliver",
    ),
    "attainment": ("reported OKR attainment rose", "reported OKR attainment fell"),
    "true_value": ("true value delivered rose", "true value delivered fell"),
    "reporting_bias": (
        "progress reports overstated the truth more",
        "progress reports overstated the truth less",
    ),
    "blocker_latency_weeks": ("blockers stayed hidden longer", "blockers were raised sooner"),
    "help_share": ("people helped colleagues more", "people helped colleagues less"),
    "bau_share": ("more time went to non-OKR work", "less time went to non-OKR work"),
    "exploration_share": ("more time went to exploration", "less time went to exploration"),
    "goodhart_corr": (
        "the OKR score tracked true contribution better",
        "the OKR score tracked true contribution worse",
    ),
    "rating_accuracy": (
        "ratings tracked true contribution better",
        "ratings tracked true contribution worse",
    ),
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; font-size: 17px; line-height: 1.5; }
h1 { font-size: 1.8em; } h2 { margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.note { color: #555; font-size: 0.9em; }
"""


#: Metrics whose change reads best relative to the reference level.
RELATIVE = {
    "true_value",
    "attainment",
    "sandbagging_index",
    "help_share",
    "bau_share",
    "exploration_share",
    "blocker_latency_weeks",
}


def headline_sentences(table: pd.DataFrame) -> list[str]:
    """Plain-language findings, one per headline metric whose 95 % CI excludes zero."""
    out = []
    for _, row in table.iterrows():
        words = HEADLINES.get(row["metric"])
        if words is None or not (row["ci_low"] > 0 or row["ci_high"] < 0):
            continue
        lo, hi = sorted((abs(row["ci_low"]), abs(row["ci_high"])))
        base = abs(row["mean_a"])
        if row["metric"] in RELATIVE and base > 1e-9:
            size = f"{abs(row['diff']) / base:.0%} [{lo / base:.0%}, {hi / base:.0%}]"
        else:
            size = f"{abs(row['diff']):.2g} [{lo:.2g}, {hi:.2g}]"
        up, down = words
        out.append(
            f"Under <b>{html.escape(str(row['scenario_b']))}</b> rather than "
            f"<b>{html.escape(str(row['scenario_a']))}</b>, "
            f"{up if row['diff'] > 0 else down} by {size}."
        )
    return out


def comparison_figures(comparison: Comparison) -> list[go.Figure]:
    """The charts of a comparison report."""
    table = comparison.table
    figs = [
        figures.difference_figure(table, [m for m in HEADLINES if m in set(table["metric"])]),
        figures.progress_figure(comparison.weekly[comparison.weekly["week"] <= 26]),
        figures.effort_figure(comparison.runs),
    ]
    figs += [figures.metric_bars(comparison.runs, m) for m in ("true_value", "sandbagging_index")]
    return figs


def comparison_report(comparison: Comparison, *, question: str | None = None) -> str:
    """The HTML of a comparison report."""
    names = comparison.names
    question = question or (
        f"What changes when the organisation moves from {names[0]} to {' or '.join(names[1:])}?"
    )
    policies = "".join(
        f"<li><b>{html.escape(n)}</b>: coupling {s.comp.coupling:g}, "
        f"bonus curve {s.comp.bonus_curve}, evaluation {s.comp.evaluation}, "
        f"target rule {s.okr.target_rule}, OKRs {'on' if s.okr.enabled else 'off'}</li>"
        for n, s in comparison.scenarios.items()
    )
    findings = "".join(f"<li>{s}</li>" for s in headline_sentences(comparison.table)) or (
        "<li>No headline metric differed with 95 % confidence.</li>"
    )
    table = comparison.table[comparison.table["metric"].isin(list(HEADLINES))]
    method = (
        f"{comparison.reps} paired replications per policy with common random numbers "
        f"(root seed {comparison.seed}): every policy met the same workforce and the same "
        "shocks, so the differences are the policies' effects, not noise. Intervals are "
        "95 % t-intervals over the paired differences; Cohen's d is the paired d_z. "
        "The model, its rules and the sources behind them are described in docs/ODD.md."
    )
    return page(
        "okrsim — policy comparison",
        question,
        sections=[
            ("Policies compared", f"<ul>{policies}</ul>"),
            ("What happened", f"<ul>{findings}</ul>"),
            ("The numbers", _table_html(table)),
        ],
        figs=comparison_figures(comparison),
        method=method,
    )


def page(
    title: str,
    question: str,
    *,
    sections: Sequence[tuple[str, str]],
    figs: Sequence[go.Figure],
    method: str,
) -> str:
    """A complete self-contained HTML page: sections, then charts, then the method note."""
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><b>The question.</b> {html.escape(question)}</p>",
    ]
    body += [f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections]
    body.append("<h2>Charts</h2>")
    for i, fig in enumerate(figs):
        body.append(
            fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        )
    body.append(f"<h2>Method</h2><p class='note'>{html.escape(method)}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def write(html_text: str, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(html_text, encoding="utf-8")
    return p


def _table_html(table: pd.DataFrame) -> str:
    cols = ["metric", "scenario_b", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "cohens_d"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = []
    for _, r in table[cols].iterrows():
        cells = [
            f"<td title='{html.escape(METRICS.get(r['metric'], ''))}'>{r['metric']}</td>",
            f"<td>{html.escape(str(r['scenario_b']))}</td>",
        ]
        cells += [f"<td>{r[c]:.3g}</td>" for c in cols[2:]]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"

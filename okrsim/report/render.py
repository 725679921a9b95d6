"""Every okrsim HTML page, from one set of Jinja2 templates and one style sheet.

A page is self-contained: the style and plotly.js are inlined once in the
head, each chart is a ``<div>`` drawn by it, and nothing is requested from
anywhere.  The header carries okrsim's version, the seed, the date the page
was made (``SOURCE_DATE_EPOCH`` fixes it, for reproducible files) and what the
file weighs, measured on the page itself.

This module depends only on Jinja2, plotly and the standard library, so any
layer that writes a page (the sweep analysis as well as the reports) uses it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
#: plotly chart options: no plotly logo, charts follow the page's width.
CHART_CONFIG = {"displaylogo": False, "responsive": True}


@cache
def environment() -> Environment:
    """The Jinja2 environment of the templates, escaping every value unless marked safe."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def plotly_js() -> str:
    """The plotly.js bundle that ships with the plotly package (inlined once per page)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@cache
def style() -> str:
    return (TEMPLATES / "style.css").read_text(encoding="utf-8")


def megabytes(n_bytes: int) -> str:
    """``4_812_345`` → ``"4.8 MB"`` (decimal megabytes, as file browsers show them)."""
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.0f} kB"


def made_at() -> str:
    """When the page was made, in UTC; ``SOURCE_DATE_EPOCH`` (seconds) fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Meta:
    """What the header says about the page: version, seed, date and weight."""

    version: str
    seed: str
    date: str
    weight: str
    library: str


def chart(fig: go.Figure) -> Markup:
    """One chart's ``<div>`` and the script that draws it (plotly.js is in the head)."""
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, config=CHART_CONFIG))


def render(
    template: str,
    *,
    title: str,
    seed: str,
    figs: Sequence[go.Figure] = (),
    **context: Any,
) -> str:
    """The page of ``template`` with ``context``, its charts and its header filled in.

    The weight in the header is measured on the rendered page; the page is
    rendered again with it (the figure's few characters do not change the
    rounded weight).
    """
    from okrsim import __version__

    library = len(plotly_js().encode())
    fixed = {
        "title": title,
        "style": Markup(style()),
        "plotly_js": Markup(plotly_js()),
        "charts": [chart(f) for f in figs],
        **context,
    }
    meta = Meta(__version__, seed, made_at(), "…", megabytes(library))
    page = environment().get_template(template)
    text = page.render(meta=meta, **fixed)
    for _ in range(2):
        weight = megabytes(len(text.encode()))
        if weight == meta.weight:
            break
        meta = Meta(meta.version, seed, meta.date, weight, meta.library)
        text = page.render(meta=meta, **fixed)
    return text


def page(
    title: str,
    question: str,
    *,
    sections: Sequence[tuple[str, str]],
    figs: Sequence[go.Figure],
    method: str,
    seed: str = "",
) -> str:
    """A page of headed sections (HTML made by okrsim, inserted as it is), then charts.

    For pages whose sections are lists of findings already in HTML (the
    robustness study's); the comparison and sweep reports have templates of
    their own.
    """
    return render(
        "sections.html.j2",
        title=title,
        seed=seed,
        figs=figs,
        question=question,
        sections=[(heading, Markup(content)) for heading, content in sections],
        method=method,
    )


def write(html_text: str, path: str | Path) -> Path:
    """Write a page; its directory is made if missing."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(html_text, encoding="utf-8")
    return p

"""A plotly chart for Solara whose browser code loads once per page, not once per chart.

plotly's ``FigureWidget`` is an anywidget whose front end is one 5 MB module
(plotly.js included) shipped as text with every widget; the browser evaluates
it again for each chart, about a second and a half apiece on a projector
laptop.  :class:`SharedBundleFigureWidget` is the same widget with a one-line
front end that imports that module from a URL instead, so the browser fetches
and evaluates it once and reuses it for every chart.  The module is served
from the installed plotly package under Solara's ``/static/assets/``, so the
page still needs nothing from outside this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
import solara
import solara.server.settings
from traitlets import Unicode, observe

#: plotly's front-end module, as installed with the plotly package.
BUNDLE_DIR = Path(plotly.__file__).resolve().parent / "package_data"
BUNDLE = "widgetbundle.js"

_LOADER = f"""
const root = (window.solara && window.solara.rootPath) || "";
const bundle = await import(new URL(root + "/static/assets/{BUNDLE}", location.origin).href);
export default bundle.default;
"""


def serve_bundle() -> None:
    """Let Solara serve plotly's package data (the front-end module) under /static/assets/."""
    locations = solara.server.settings.assets.extra_locations
    if str(BUNDLE_DIR) not in locations:
        locations.append(str(BUNDLE_DIR))


class SharedBundleFigureWidget(go.FigureWidget):
    """plotly's ``FigureWidget``, loading its browser module by URL (cached by the browser).

    ``export_name`` names the PNG that plotly's camera button (and the page's
    PNG button) saves; the picture is drawn in the browser at twice the
    chart's size, sharp enough for a slide.
    """

    _esm = _LOADER
    export_name = Unicode("okrsim-chart")  # not synced: read into the config once

    def __init__(self, *args: Any, export_name: str = "okrsim-chart", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.export_name = export_name
        # plotly.js reads the config when it first draws the chart
        self._config = {
            **dict(self._config),  # type: ignore[has-type]
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": export_name, "scale": 2},
        }

    # After every update the browser reports the defaults plotly.js filled in (a
    # delta per trace and one for the layout), and plotly's handlers fold them into
    # the Python figure: a deep validation, plus an echo back to the browser, that
    # nothing here reads.  The page's messages are handled one at a time, so during
    # Play those reports queued ahead of the facilitator's clicks and a tab opened
    # seconds late.  These handlers, by the same names, replace plotly's: they only
    # mark the edit as done, for ``on_edits_completed``.
    @observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change: dict[str, Any]) -> None:
        self._trace_edit_in_process = False
        self._edits_done()

    @observe("_js2py_layoutDelta")
    def _handler_js2py_layoutDelta(self, change: dict[str, Any]) -> None:
        self._layout_edit_in_process = False
        self._edits_done()

    def _edits_done(self) -> None:
        if not (self._trace_edit_in_process or self._layout_edit_in_process):
            while self._waiting_edit_callbacks:
                self._waiting_edit_callbacks.pop()()


@solara.component
def FigurePlotly(fig: go.Figure, export_name: str = "okrsim-chart"):
    """Show ``fig``; a new figure updates the chart in place (data and layout).

    Like :func:`solara.FigurePlotly` but with :class:`SharedBundleFigureWidget`.
    Keys a new layout lacks are not removed from the chart's layout, so every
    version of a chart should carry the same annotations and shapes.
    """
    element = SharedBundleFigureWidget.element(export_name=export_name)

    def update() -> None:
        widget: SharedBundleFigureWidget = solara.get_widget(element)
        widget.layout = fig.layout
        before = len(widget.data)
        widget.add_traces(fig.data)
        widget.data = widget.data[before:]

    solara.use_effect(update, [fig])
    return element

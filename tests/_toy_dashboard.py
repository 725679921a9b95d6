"""A throwaway Mesa model and SolaraViz page that prove the browser harness.

Served by ``solara run tests/_toy_dashboard.py`` from ``tests/test_browser_harness.py``.
It has nothing to do with okrsim's model: one counter, one plotly chart, one slider,
just enough of Mesa's SolaraViz to exercise its Play/Pause/Step/Reset controls.

Each browser session gets its own model: ``Page`` is a component, and the model is
created inside it with ``solara.use_memo``, which runs once per session (per Solara
kernel). Passing a module-level model instance to ``SolaraViz`` would instead hand
the *same* object to every session until someone presses Reset.
"""

from __future__ import annotations

import mesa
import plotly.graph_objects as go
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter


class CounterModel(mesa.Model):
    """Adds ``increment`` to ``count`` every step and remembers the history."""

    def __init__(self, increment: int = 1, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.increment = increment
        self.count = 0
        self.history = [0]

    def step(self) -> None:
        self.count += self.increment
        self.history.append(self.count)


@solara.component
def CountChart(model: CounterModel):  # Solara components are capitalised
    """Plotly line of the count per step.

    A ``solara.component`` rather than a plain function: SolaraViz wraps plain
    functions in a new component class on each of its renders, so Reset remounts
    them, closing the plotly widget while its front end still syncs ("no comm
    channel defined" page error). A real component keeps its widget across Reset;
    reading ``update_counter`` re-renders it after every step.
    """
    update_counter.get()  # re-render after every step (Mesa's force_update)
    fig = go.Figure(go.Scatter(y=model.history, mode="lines+markers", name="count"))
    fig.update_layout(
        title="Count per step",
        xaxis_title="step",
        yaxis_title="count",
        # SolaraViz puts each component in a half-width grid cell (about 410 x 390 px
        # at 1280 x 720) and the plotly widget does not fit itself to it: without an
        # explicit width the figure is drawn 700 px wide and clipped.
        width=400,
        height=320,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return solara.FigurePlotly(fig)


model_params = {
    "increment": {
        "type": "SliderInt",
        "value": 1,
        "label": "Increment per step",
        "min": 1,
        "max": 5,
        "step": 1,
    },
}


@solara.component
def Page():  # Solara serves the component named Page
    # use_memo with no dependencies runs once per session, so every browser
    # session (Solara kernel) owns a fresh model.
    model = solara.use_memo(CounterModel, dependencies=[])
    SolaraViz(model, components=[CountChart], model_params=model_params, name="Toy counter")

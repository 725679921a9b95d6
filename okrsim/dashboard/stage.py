"""The room's side of the page: how much screen the charts have, and keyboard shortcuts.

The plotly widget draws at the width and height its layout names; it does not
size itself to its container.  :class:`Stage` is a small anywidget whose
browser code watches the page's chart area (the element with class
:data:`STAGE_CLASS`, whose size the page layout fixes, never its content) and
reports its width and height in CSS pixels whenever they change: at load, on
a window resize, on browser zoom (150 % zoom shrinks a 1280×720 window to
853×480 CSS pixels) and when the control panel opens or closes.  The page
then sizes every chart to fill that area, so nothing is cut off and nothing
is left blank.

The same browser code saves the chart in view as a PNG when the page's PNG
button is pressed (through plotly's own camera button, which draws the
picture in the browser), and gives the page its keyboard shortcuts, the ones NetLogo
and Mesa users reach for: space plays or pauses, → steps, ``r`` resets, ``e``
runs to the end.  A shortcut clicks the page's own button (so it does exactly
what the button does, and nothing when the button is disabled), and is ignored
while the focus is in a control that uses those keys itself (a slider's arrow
keys, a text field).
"""

from __future__ import annotations

import json

import anywidget
import traitlets

#: Class of the element whose size the charts fill.
STAGE_CLASS = "okrsim-stage"
#: Keyboard shortcuts: key (as ``KeyboardEvent.key``) and the button it clicks.
SHORTCUTS: dict[str, tuple[str, ...]] = {
    " ": ("▶", "❚❚"),
    "ArrowRight": ("Step",),
    "r": ("Reset",),
    "e": ("Run to end",),
}

_ESM = """
const SHORTCUTS = %(shortcuts)s;

function inControl(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    if (["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(target.tagName)) return true;
    return Boolean(target.closest('[role="slider"], .v-select, .v-input'));
}

function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const labels = SHORTCUTS[event.key];
    if (!labels || inControl(event.target)) return;
    const button = Array.from(document.querySelectorAll("button")).find(
        (b) => labels.includes(b.textContent.trim()) && !b.disabled
    );
    event.preventDefault();  // space would scroll the page
    if (button) button.click();
}

function onClick(event) {
    const button = event.target.closest && event.target.closest(".okrsim-png");
    if (!button) return;
    // the camera button of plotly's mode bar on each chart in view saves it as PNG
    const shown = Array.from(document.querySelectorAll(".%(stage)s .js-plotly-plot"))
        .filter((el) => el.getBoundingClientRect().width > 0);
    for (const chart of shown) {
        const camera = chart.querySelector('.modebar-btn[data-title^="Download plot"]');
        if (camera) camera.click();
    }
}

function render({ model }) {
    let watched = null;
    const observer = new ResizeObserver((entries) => {
        const box = entries[entries.length - 1].contentRect;
        model.set("width", Math.floor(box.width));
        model.set("height", Math.floor(box.height));
        model.set("window_width", window.innerWidth);
        model.save_changes();
    });
    const watch = () => {
        const stage = document.querySelector(".%(stage)s");
        if (stage && stage !== watched) {
            if (watched) observer.unobserve(watched);
            observer.observe(stage);
            watched = stage;
        }
    };
    watch();
    const timer = setInterval(watch, 250);  // the stage may mount after this widget
    if (!window.okrsimShortcuts) {
        window.okrsimShortcuts = true;
        window.addEventListener("keydown", onKey);
        window.addEventListener("click", onClick);
    }
    return () => {
        clearInterval(timer);
        observer.disconnect();
    };
}

export default { render };
"""


class Stage(anywidget.AnyWidget):
    """The chart area's size in CSS pixels, as the browser lays it out; and the shortcuts."""

    _esm = _ESM % {
        "shortcuts": json.dumps(SHORTCUTS, ensure_ascii=False),
        "stage": STAGE_CLASS,
    }
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    #: The window's width in CSS pixels (a narrow one gets a compact bar).
    window_width = traitlets.Int(0).tag(sync=True)

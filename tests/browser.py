"""Real-browser test support: serve a page from a subprocess, drive Debian's Chromium.

Helpers here; the pytest fixtures are in ``browser_plugin.py``. A test module that
needs a browser says ``pytest_plugins = ["browser_plugin"]`` and imports helpers with
``from browser import ...`` (``tests/`` is on ``sys.path`` under pytest's default
import mode). It then has:

- ``serve(command)`` / ``serve_solara(app)``: context managers that start a server
  command on a free 127.0.0.1 port in its own process group, wait until it answers
  HTTP, yield a :class:`Server` with its ``url``, and always kill the whole group;
- fixture ``chromium``: one headless Debian Chromium (``/usr/bin/chromium``, never a
  Playwright-downloaded build) per test session, with a fresh temporary profile;
- fixture ``open_page``: ``open_page(url)`` opens the URL in a *new browser context*
  (own cookies, so its own Solara session and its own model) and returns a
  :class:`WatchedPage` that records page errors, requests to hosts other than
  loopback, failed requests and HTTP errors; ``assert_clean()`` checks them;
- Mesa SolaraViz helpers: :func:`mesa_button`, :func:`mesa_time`,
  :func:`plotly_traces`, :func:`clipped_charts`, :func:`set_slider`, :func:`wait_for`.

Screenshots and server logs go to ``test-output/`` at the repository root.

Offline Solara, as found for solara 1.64 / solara-assets 1.58 / Mesa 3.5:
the page loads with no outside request only with ``ipyvuetify<3`` (ipyvuetify 3 makes
Solara ask for ``@widgetti/solara-vuetify3-app@5.2.0``, which solara-assets does not
ship), ``anywidget`` installed (plotly >= 6 ``FigureWidget``), and the assets *proxy on*
(``SOLARA_ASSETS_PROXY=True``, the default): Solara then serves ``/_solara/cdn/...`` from
``<venv>/share/solara/cdn``, where solara-assets installs its files. With the proxy off,
the page points the browser at the public CDN instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from okrsim.report.pdf import CHROMIUM_FLAGS

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "test-output"

CHROMIUM_PATH = Path(os.environ.get("OKRSIM_CHROMIUM", "/usr/bin/chromium"))
#: The same flags okrsim report --pdf prints with (one list, in okrsim.report.pdf).
CHROMIUM_ARGS = CHROMIUM_FLAGS
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

#: Environment for a Solara server that never reaches outside this machine.
SOLARA_OFFLINE_ENV: Mapping[str, str] = {
    # Serve front-end assets from the installed solara-assets package (the default;
    # set explicitly because "False" sends the browser to the public CDN).
    "SOLARA_ASSETS_PROXY": "True",
    # An asset missing from solara-assets would make the server fetch it from this
    # base URL: point it at a closed loopback port, so it fails (HTTP 500, seen by
    # WatchedPage) instead of reaching out.
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
}

VIEWPORT = {"width": 1280, "height": 720}
SERVER_START_TIMEOUT_S = 60.0


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server subprocess started by :func:`serve`."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as err:
        return err.code < 500
    except (OSError, ValueError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: TERM, then KILL after a grace period."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    # Also reap anything the server left behind in its group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def dashboard_command(okrsim: Path | None = None) -> list[str]:
    """``okrsim dashboard`` bound to loopback, its ``{port}`` left for :func:`serve`.

    ``okrsim`` is the command's path, by default the one beside this Python.
    """
    program = okrsim if okrsim is not None else Path(sys.executable).with_name("okrsim")
    return [str(program), "dashboard", "--host", "127.0.0.1", "--port", "{port}"]


@contextlib.contextmanager
def serve(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    path: str = "/",
    name: str = "server",
    timeout: float = SERVER_START_TIMEOUT_S,
) -> Iterator[Server]:
    """Run ``command`` on a free loopback port until the ``with`` block ends.

    Every ``{port}`` in ``command`` is replaced by the chosen port. The command must
    bind 127.0.0.1 itself (pass ``--host 127.0.0.1``). ``env`` is added to the current
    environment. Output goes to ``test-output/<name>-<port>.log``.

    The server runs as a user would start it on a fresh machine: without pytest's
    ``PYTEST_CURRENT_TEST`` (Solara skips its call-home check when it sees it) and with
    an empty ``SOLARA_HOME`` (no "already checked" marker from an earlier run).
    """
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT_DIR / f"{name}-{port}.log"
    home = tempfile.TemporaryDirectory(prefix=f"okrsim-{name}-")
    full_env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    full_env = {**full_env, "SOLARA_HOME": home.name, **(env or {})}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, so _stop reaches its children
        )
    server = Server(
        url=f"http://127.0.0.1:{port}{path}", port=port, process=process, log_path=log_path
    )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(server.url):
            if process.poll() is not None:
                raise RuntimeError(
                    f"{argv!r} exited with {process.returncode} before answering:\n"
                    + server.log_tail()
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{argv!r} did not answer {server.url} within {timeout:.0f} s:\n"
                    + server.log_tail()
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)
        home.cleanup()


def solara_command(app: str | Path, *extra: str) -> list[str]:
    """``solara run APP`` on 127.0.0.1:{port}, production mode, nothing fetched at start."""
    solara = Path(sys.executable).with_name("solara")
    return [
        str(solara),
        "run",
        str(app),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--no-open",
        # production: minified assets, no hidden "call home" iframe to solara.dev
        "--production",
        # otherwise `solara run` asks PyPI for its latest version before starting
        "--no-check-version",
        *extra,
    ]


def serve_solara(
    app: str | Path, *extra: str, name: str = "solara"
) -> contextlib.AbstractContextManager[Server]:
    """:func:`serve` a Solara app file or module with :data:`SOLARA_OFFLINE_ENV`."""
    return serve(solara_command(app, *extra), env=SOLARA_OFFLINE_ENV, name=name)


# --- browser -------------------------------------------------------------------------


def _is_outside(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # data:, blob:, about:, chrome-extension: never leave the machine
    return parts.hostname not in LOOPBACK_HOSTS


@dataclass
class WatchedPage:
    """A Playwright page with everything a clean offline page must not do recorded."""

    page: Any  # playwright.sync_api.Page
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    last_ws_frame: float = field(default_factory=time.monotonic)

    def attach(self) -> WatchedPage:
        page = self.page
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("request", self._on_request)
        page.on("websocket", self._on_websocket)
        page.on(
            "requestfailed",
            lambda req: self.failed_requests.append(f"{req.url} ({req.failure})"),
        )
        page.on(
            "response",
            lambda resp: (
                self.failed_requests.append(f"{resp.url} (HTTP {resp.status})")
                if resp.status >= 400
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        return self

    def _on_request(self, request: Any) -> None:
        self._on_url(request.url)

    def _on_websocket(self, ws: Any) -> None:
        self._on_url(ws.url)
        ws.on("framesent", self._on_frame)
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, _payload: Any) -> None:
        self.last_ws_frame = time.monotonic()

    def settle(self, *, quiet_ms: float = 300, timeout_s: float = 10.0) -> None:
        """Wait until the page's websockets have been quiet for ``quiet_ms``.

        A Solara page talks to its kernel over one websocket. ipywidgets throttles a
        widget's state sync (a slider's value) behind the kernel's reply, but sends a
        button click at once, so "move slider, click Reset" can reach the server as
        "Reset, then slider". Settling after changing a control avoids that. Useless
        while the model is playing (frames never stop).
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() - self.last_ws_frame < quiet_ms / 1000:
            if time.monotonic() > deadline:
                raise AssertionError(f"websocket not quiet for {quiet_ms} ms within {timeout_s} s")
            # a Playwright call, not time.sleep: the sync API delivers events
            # (and so frame timestamps) only while inside one of its calls
            self.page.wait_for_timeout(50)

    def _on_url(self, url: str) -> None:
        if _is_outside(url):
            self.outside_requests.append(url)

    def assert_clean(self) -> None:
        """No page errors, no request off loopback, no failed request or HTTP error."""
        problems = {
            "page errors": self.page_errors,
            "requests to outside hosts": self.outside_requests,
            "failed requests": self.failed_requests,
        }
        found = {k: v for k, v in problems.items() if v}
        assert not found, f"page was not clean: {found}"

    def screenshot(self, name: str, *, full_page: bool = False) -> Path:
        """Save ``test-output/<name>.png`` and return its path."""
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUTPUT_DIR / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def wait_for(
    probe: Callable[[], Any],
    predicate: Callable[[Any], bool],
    *,
    timeout_s: float = 10.0,
    what: str = "condition",
) -> Any:
    """Call ``probe`` until ``predicate(result)`` holds; return that result.

    For state the server pushes to the page asynchronously (chart data after a step),
    where Playwright's ``expect`` has no matching assertion.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s} s waiting for {what}; last: {value!r}"
            )
        time.sleep(0.05)


def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium through Playwright's ``chromium.launch``.

    ``launch`` (not ``launch_persistent_context``) gives Chromium a new temporary
    ``--user-data-dir`` that Playwright deletes on close, so no profile state leaks
    between runs.
    """
    if not CHROMIUM_PATH.exists():
        raise FileNotFoundError(
            f"{CHROMIUM_PATH} not found: install Debian's Chromium (apt-get install -y chromium)"
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH), headless=True, args=list(CHROMIUM_ARGS)
    )


# --- Mesa SolaraViz helpers ----------------------------------------------------------

#: Accessible names of SolaraViz's ModelController buttons (Mesa 3.5).
MESA_BUTTONS = {"reset": "Reset", "play": "▶", "pause": "❚❚", "step": "Step"}
MESA_TIME = re.compile(r"^Time: ")


def mesa_button(page: Any, which: str) -> Any:
    """Locator of SolaraViz's Reset / Play (▶) / Pause (❚❚) / Step button."""
    return page.get_by_role("button", name=MESA_BUTTONS[which], exact=True)


def mesa_time(page: Any) -> Any:
    """Locator of SolaraViz's "Time: <model.time>" text in the Information card."""
    return page.get_by_text(MESA_TIME)


_PLOTLY_TRACES_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    title: (el.layout && el.layout.title && el.layout.title.text) || null,
    traces: (el.data || []).map(t => ({
        name: t.name === undefined ? null : t.name,
        type: t.type || null,
        x: t.x === undefined ? null : Array.from(t.x),
        y: t.y === undefined ? null : Array.from(t.y),
    })),
}))
"""


def plotly_traces(page: Any) -> list[dict[str, Any]]:
    """Every plotly chart on the page: ``[{"title", "traces": [{"name","type","x","y"}]}]``.

    Reads the live ``data``/``layout`` that plotly.js keeps on each ``.js-plotly-plot``
    element, i.e. what the browser actually drew.
    """
    return list(page.evaluate(_PLOTLY_TRACES_JS))


_CLIPPED_CHARTS_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(el => {
    const svg = el.querySelector('svg.main-svg');
    if (!svg) return [];
    const box = svg.getBoundingClientRect();
    // the nearest ancestor that hides overflow (SolaraViz: the grid cell), else the page
    let clip = el.parentElement;
    while (clip && getComputedStyle(clip).overflow === 'visible') clip = clip.parentElement;
    const frame = clip ? clip.getBoundingClientRect()
        : {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight};
    const chart = el.getBoundingClientRect();
    const visible = {
        left: Math.max(frame.left, chart.left), top: Math.max(frame.top, chart.top),
        right: Math.min(frame.right, chart.right), bottom: Math.min(frame.bottom, chart.bottom),
    };
    const tol = 1;
    const clipped = box.left < visible.left - tol || box.top < visible.top - tol
        || box.right > visible.right + tol || box.bottom > visible.bottom + tol;
    const title = (el.layout && el.layout.title && el.layout.title.text) || '(untitled)';
    return clipped ? [`${title}: drawn ${Math.round(box.width)}x${Math.round(box.height)}, `
        + `visible ${Math.round(visible.right - visible.left)}x`
        + `${Math.round(visible.bottom - visible.top)}`] : [];
})
"""


def clipped_charts(page: Any) -> list[str]:
    """Plotly charts whose drawing is cut off by their container or the viewport."""
    return list(page.evaluate(_CLIPPED_CHARTS_JS))


def set_slider(page: Any, label: str, value: float, *, timeout_s: float = 5.0) -> None:
    """Move the Solara (Vuetify 2) slider labelled ``label`` to ``value`` with the keyboard.

    The thumb is ``role="slider"`` with ``aria-label`` = the label and ``aria-valuenow``;
    each arrow key moves it one ``step``, and Solara sends the new value to the server.
    Call :meth:`WatchedPage.settle` before an action that depends on the new value.
    """
    slider = page.get_by_role("slider", name=label, exact=True)

    def now() -> float:
        return float(slider.get_attribute("aria-valuenow") or "nan")

    slider.focus()
    direction = None
    for _ in range(1000):
        before = now()
        if before == value:
            return
        key = "ArrowRight" if value > before else "ArrowLeft"
        if direction not in (None, key):
            break  # overshot: value is off the slider's step grid
        direction = key
        slider.press(key)
        deadline = time.monotonic() + timeout_s
        while now() == before:  # Vue updates the DOM on its next tick
            if time.monotonic() > deadline:
                raise AssertionError(f"slider {label!r} stuck at {before}, wanted {value}")
            time.sleep(0.02)
    raise AssertionError(f"could not set slider {label!r} to {value}")

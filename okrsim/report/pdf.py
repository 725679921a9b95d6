"""A report printed to PDF by headless Chromium, the browser the tests drive.

``okrsim report --pdf`` writes the HTML report, then has Debian's Chromium
(``/usr/bin/chromium``, or ``OKRSIM_CHROMIUM``) print it with the page's print
style (A4, charts kept whole).  Chromium runs with a fresh profile directory,
no network (outside names never resolve; the page is self-contained anyway)
and a time limit, in its own process group, which is killed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from okrsim.params import ScenarioError

#: Headless Chromium's flags, shared with the browser tests (tests/browser.py).
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Outside names never resolve, so a stray request fails the same way with or
    # without a network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
#: The window the charts are laid out in before printing: about an A4 page's
#: printable width at 96 dpi (210 mm less two 12 mm margins), so none is cut.
PRINT_WINDOW: Final = "700,1000"
#: Longest a print may take before Chromium is stopped.
TIMEOUT_S: Final = 120.0


def chromium_path() -> Path:
    """Where Chromium is: ``OKRSIM_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    return Path(os.environ.get("OKRSIM_CHROMIUM", "/usr/bin/chromium"))


def require_chromium() -> Path:
    """Chromium's path, checked before anything is run or written.

    Raises
    ------
    ScenarioError
        If there is no Chromium there.
    """
    browser = chromium_path()
    if not browser.is_file():
        raise ScenarioError(
            f"--pdf: needs Chromium at {browser} (apt-get install chromium, or set "
            "OKRSIM_CHROMIUM to its path)"
        )
    return browser


def print_pdf(html: Path, pdf: Path, *, timeout: float = TIMEOUT_S) -> Path:
    """Print the page ``html`` to ``pdf`` through headless Chromium.

    Raises
    ------
    ScenarioError
        If Chromium is missing, fails, times out or writes no PDF (one
        ``error: --pdf: ...`` line on the command line).
    """
    browser = require_chromium()
    pdf = pdf.resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="okrsim-pdf-") as profile:
        command = [
            str(browser),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={PRINT_WINDOW}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=10000",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise ScenarioError(
                f"--pdf: Chromium did not finish printing {html} within {timeout:.0f} s"
            ) from None
        finally:
            _stop(process)
    if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        last = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise ScenarioError(
            f"--pdf: Chromium could not print {html} (exit {process.returncode}): {last[0][:200]}"
        )
    return pdf


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill Chromium's whole process group (its renderer and GPU helpers too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()

"""The ``okrsim dashboard`` command.

Registered by :mod:`okrsim.cli` through :func:`add_commands`.  Bad input
raises :class:`~okrsim.params.ScenarioError`, which the main command prints as
one ``error:`` line with exit code 2.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from okrsim.extras import require

DEFAULT_PORT = 8521  # Mesa's customary visualisation port
APP_MODULE = "okrsim.dashboard.app"


def add_commands(subparsers: Any) -> None:
    """Add ``dashboard`` to the ``okrsim`` command line."""
    p = subparsers.add_parser(
        "dashboard",
        help="the live workshop dashboard: twin organisations under two policies",
        description="Serve the workshop dashboard (Mesa SolaraViz on Solara) at "
        "http://HOST:PORT. Two organisations with the same people and the same luck run "
        "side by side under two policies picked in the page; every chart overlays them. "
        "Works offline: the page's assets come from the installed solara-assets package. "
        "Each browser session has its own model.",
    )
    p.add_argument(
        "--scenario",
        metavar="FILE",
        default=None,
        help="scenario file organisation B starts from (default scenarios/coupled.toml; "
        "A starts from scenarios/decoupled.toml); both can be changed in the page",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(handler=dashboard_command)


def dashboard_command(args: argparse.Namespace) -> int:
    """Serve :mod:`okrsim.dashboard.app` with Solara until interrupted."""
    from okrsim.params import Scenario, ScenarioError

    require("dashboard", "okrsim dashboard")
    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port = {args.port} is out of range [1, 65535]")
    if args.scenario is not None:
        Scenario.from_toml(args.scenario)  # refuse a bad file before serving anything
        os.environ["OKRSIM_DASHBOARD_SCENARIO"] = str(Path(args.scenario).resolve())
    # Before Solara is imported: assets from the installed solara-assets package,
    # no usage reports (okrsim.dashboard.app sets the same, for `solara run`).
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's "runs on Solara" banner sits over the charts' corner at 1280×720.
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    from solara.__main__ import run as solara_run

    print(f"okrsim dashboard at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    solara_run.main(
        args=[
            APP_MODULE,
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--production",  # minified assets, no development call-home frame
            "--no-check-version",  # no question to PyPI at start
            "--no-open",
        ],
        prog_name="okrsim dashboard",
        standalone_mode=False,
    )
    return 0

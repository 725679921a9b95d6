"""The ``okrsim dashboard`` command.

Registered by :mod:`okrsim.cli` through :func:`add_commands`.  Bad input
raises :class:`~okrsim.params.ScenarioError`, which the main command prints as
one ``error:`` line with exit code 2.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import sys
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
        help="address to listen on (default 127.0.0.1: this machine only; any other "
        "address is warned about, as it opens the page to the network)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(handler=dashboard_command)


def exposure(host: str, port: int) -> str | None:
    """Who besides this machine can open a dashboard bound to ``host``, or None.

    Loopback addresses (``127.0.0.0/8``, ``::1``, ``localhost``) reach this
    machine only.  The page has no login and every visitor's session runs
    models in this process, so anything wider deserves a word.
    """
    if host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"every machine that can reach the name {host!r} on port {port}"
    if address.is_loopback:
        return None
    if address.is_unspecified:
        return f"every network interface of this machine, on port {port}"
    return f"every machine that can reach {host} on port {port}"


def check_listen(host: str, port: int) -> None:
    """Refuse an address or port the server could not listen on, before Solara starts.

    Raises
    ------
    ScenarioError
        Naming the flag and what was expected.
    """
    from okrsim.params import ScenarioError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ScenarioError(f"--host {host}: not a known address ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ScenarioError(
                    f"--port {port}: already in use on {host}; expected a free port"
                ) from None
            raise ScenarioError(
                f"--host {host}: cannot listen there ({exc.strerror}); "
                "expected an address of this machine"
            ) from None


def dashboard_command(args: argparse.Namespace) -> int:
    """Serve :mod:`okrsim.dashboard.app` with Solara until interrupted."""
    from okrsim.params import Scenario, ScenarioError

    require("dashboard", "okrsim dashboard")
    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port = {args.port} is out of range [1, 65535]")
    reach = exposure(args.host, args.port)
    if reach is not None:
        print(
            f"warning: --host {args.host}: the dashboard is reachable from {reach}, "
            "with no login; every visitor runs models in this process. "
            "--host 127.0.0.1 keeps it to this machine.",
            file=sys.stderr,
            flush=True,
        )
    check_listen(args.host, args.port)
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

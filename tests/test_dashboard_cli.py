"""``okrsim dashboard``'s flags: a host beyond loopback is warned about, a bad one refused.

No test here listens beyond loopback: the wide addresses are either judged by
:func:`exposure` alone or are addresses this machine does not have
(192.0.2.1, TEST-NET-1), which the command refuses before Solara starts.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from browser import free_port

from okrsim.dashboard.cli import exposure


def dashboard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okrsim.cli", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
def test_loopback_reaches_this_machine_only(host):
    assert exposure(host, 8521) is None


@pytest.mark.parametrize(
    ("host", "reach"),
    [
        ("0.0.0.0", "every network interface of this machine, on port 8521"),
        ("::", "every network interface of this machine, on port 8521"),
        ("10.1.2.3", "every machine that can reach 10.1.2.3 on port 8521"),
        ("workshop.local", "every machine that can reach the name 'workshop.local' on port 8521"),
    ],
)
def test_a_wider_host_names_what_becomes_reachable(host, reach):
    assert exposure(host, 8521) == reach


def test_a_host_beyond_loopback_is_warned_about_and_one_it_lacks_refused():
    port = free_port()
    out = dashboard("--host", "192.0.2.1", "--port", str(port))
    assert out.returncode == 2
    warning, error = out.stderr.splitlines()
    assert warning.startswith(
        f"warning: --host 192.0.2.1: the dashboard is reachable from every machine that can "
        f"reach 192.0.2.1 on port {port}, with no login"
    )
    assert "--host 127.0.0.1 keeps it to this machine" in warning
    assert error.startswith("error: --host 192.0.2.1: cannot listen there (")
    assert error.endswith("expected an address of this machine")
    assert "Traceback" not in out.stderr
    assert "okrsim dashboard at" not in out.stdout  # nothing was served


def test_a_port_in_use_is_one_error_line_and_loopback_no_warning():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = dashboard("--host", "127.0.0.1", "--port", str(port))
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"error: --port {port}: already in use on 127.0.0.1; expected a free port"
    ]

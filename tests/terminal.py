"""Starting okrsim as someone at a terminal would, so that SIGINT is Ctrl-C.

A shell starts a background job with SIGINT ignored, and every child
inherits that: pytest, its xdist workers and the processes a test starts
(Python leaves an inherited SIG_IGN in place).  A test that stands in for
Ctrl-C with SIGINT therefore starts okrsim with Python's own Ctrl-C handler
in place, as in a foreground terminal, however the test run was started.
"""

from __future__ import annotations

import sys

#: Put Python's Ctrl-C handler back, then run ``python -m okrsim.cli``.
AT_A_TERMINAL = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('okrsim.cli', run_name='__main__', alter_sys=True)"
)


def okrsim_command(*args: str) -> list[str]:
    """The command line of ``okrsim <args>`` started as at a terminal."""
    return [sys.executable, "-c", AT_A_TERMINAL, *args]

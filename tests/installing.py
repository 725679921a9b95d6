"""Fresh installs of okrsim for the install tests: a new virtual environment, filled
by the ordinary ``pip install``, its commands run as a new user runs them.

``from installing import ...`` (``tests/`` is on ``sys.path`` under pytest's
default import mode, as for :mod:`browser`). The environments are built with
``python -m venv`` from the interpreter running the tests and filled from the
package index through pip's cache; ``--no-compile`` skips writing bytecode for
every installed library (minutes of CPU on a 2-core machine), which changes
nothing a command does. Commands run from a directory outside the repository
and without ``PYTHONPATH``, so nothing of the development environment leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
TINY = REPO / "experiments" / "tiny.toml"
INSTALL_TIMEOUT_S = 1200


def clean_env() -> dict[str, str]:
    """This process's environment without what points Python at the repository."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def install(root: Path, requirement: str) -> Path:
    """A new virtual environment in ``root`` with ``requirement`` installed; its bin/."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    log = root / "pip.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(root / "bin" / "python"), "-m", "pip", "install", "--no-compile", requirement],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(),
            cwd=root,
            timeout=INSTALL_TIMEOUT_S,
        )
    assert done.returncode == 0, log.read_text()[-3000:]
    return root / "bin"


def okrsim(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``okrsim ARGS`` through the environment's own script."""
    return subprocess.run(
        [str(bin_dir / "okrsim"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(),
        timeout=600,
    )


def importable(bin_dir: Path, *modules: str) -> list[str]:
    """Those of ``modules`` the environment's Python can find, in the order given."""
    code = (
        "import importlib.util, sys; "
        "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    )
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", code, *modules],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
        timeout=60,
    )
    return done.stdout.split()

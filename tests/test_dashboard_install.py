"""An installed okrsim serves its presets: ``pip install '.[dashboard]'`` in a fresh venv.

The presets live in ``okrsim/presets`` and are read through
``importlib.resources``, so the dashboard finds them however okrsim is
installed and from whatever directory it is started.  This test installs the
repository into a new virtual environment (pip takes its packages from this
machine's configured index and cache), starts that environment's ``okrsim
dashboard`` from an empty directory, and looks at the preset picker in
Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from browser import (
    REPO_ROOT,
    SOLARA_OFFLINE_ENV,
    dashboard_command,
    mesa_time,
    plotly_traces,
    serve,
    wait_for,
)
from playwright.sync_api import expect

pytest_plugins = ["browser_plugin"]
pytestmark = pytest.mark.slow

PRESETS = REPO_ROOT / "okrsim" / "presets"


def run(*argv: str | Path, env: dict[str, str], cwd: Path, timeout: float) -> str:
    done = subprocess.run(
        [str(a) for a in argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_an_installed_okrsim_serves_its_presets_from_another_directory(
    tmp_path: Path, open_page: Any
) -> None:
    # the installed package alone: no path into this repository, no library override
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OKRSIM_SCENARIOS")}
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    run(sys.executable, "-m", "venv", venv, env=env, cwd=elsewhere, timeout=300)
    python = venv / "bin" / "python"
    package = f"{REPO_ROOT}[dashboard]"  # the dashboard is an extra
    run(python, "-m", "pip", "install", "--quiet", package, env=env, cwd=elsewhere, timeout=900)

    found = run(
        python,
        "-c",
        "import okrsim; from okrsim.dashboard.twins import library_dir; "
        "print(okrsim.__file__); print(library_dir())",
        env=env,
        cwd=elsewhere,
        timeout=120,
    ).splitlines()
    site = venv.resolve() / "lib"
    assert Path(found[0]).resolve().is_relative_to(site), found
    assert Path(found[1]).resolve() == (Path(found[0]).parent / "presets").resolve()
    shipped = sorted(p.name for p in Path(found[1]).glob("*.toml"))
    assert shipped == sorted(p.name for p in PRESETS.glob("*.toml"))

    command = dashboard_command(venv / "bin" / "okrsim")
    with serve(
        command,
        env={**SOLARA_OFFLINE_ENV, "PYTHONPATH": ""},
        cwd=elsewhere,
        name="okrsim-installed",
    ) as server:
        watched = open_page(server.url)
        page = watched.page
        expect(mesa_time(page)).to_have_text("Time: 0.0", timeout=60_000)
        wait_for(lambda: len(plotly_traces(page)), lambda n: n >= 1, what="the first chart")
        page.locator(".okrsim-org-b .okrsim-preset").click()
        options = page.get_by_role("option")
        expect(options).to_have_count(len(shipped))
        assert sorted(options.all_inner_texts()) == sorted(Path(n).stem for n in shipped)
        watched.assert_clean()
        log = server.log_tail(20_000)
    assert "file not found" not in log
    assert "Traceback" not in log

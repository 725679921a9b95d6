"""``docs/cluster.md`` shows job scripts that dask-jobqueue really renders.

The SLURM and PBS examples' ``SLURMCluster(...)``/``PBSCluster(...)``
arguments are read from the page and rendered with dask-jobqueue's job
classes (no batch system needed); the result must be the script the page
shows. The driver script must only use names okrsim provides. The
one-machine recipe is run as shown (on a free port) and must listen on
loopback only.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "cluster.md"
SCHEDULER = "tcp://10.0.0.1:8786"
WORKER_NAME = "okrsim-worker"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def shown_script(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```bash\n(.*?)```", text, flags=re.S)
    assert match, f"docs/cluster.md has no script after <!-- {marker} -->"
    return match.group(1)


def cluster_arguments(text: str, cls: str) -> dict[str, Any]:
    for block in python_blocks(text):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == cls:
                return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    raise AssertionError(f"docs/cluster.md has no {cls}(...) example")


@pytest.mark.parametrize(
    ("cls", "marker"), [("SLURMCluster", "slurm-job-script"), ("PBSCluster", "pbs-job-script")]
)
def test_documented_job_script_is_what_dask_jobqueue_renders(cls: str, marker: str) -> None:
    import dask_jobqueue

    text = DOC.read_text()
    arguments = cluster_arguments(text, cls)
    job = getattr(dask_jobqueue, cls).job_cls(scheduler=SCHEDULER, name=WORKER_NAME, **arguments)
    rendered = job.job_script()
    assert rendered.strip() == shown_script(text, marker).strip()
    assert "--nthreads 1" in rendered


def test_driver_script_uses_names_okrsim_provides() -> None:
    (script,) = [b for b in python_blocks(DOC.read_text()) if "sweep_on_slurm.py" in b]
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("okrsim"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module}.{alias.name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def listening(pid: int) -> set[tuple[str, int]]:
    """Addresses that ``pid`` and its children listen on."""
    process = psutil.Process(pid)
    out = set()
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            for c in p.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN:
                    out.add((c.laddr.ip, c.laddr.port))
    return out


@pytest.mark.slow
def test_one_machine_recipe_runs_and_listens_on_loopback_only(tmp_path: Path) -> None:
    """The recipe as shown (on a free port instead of 8786): it sweeps, and no socket is public."""
    script = shown_script(DOC.read_text(), "one-machine")
    for fixed in ("8786", "8787"):
        script = script.replace(fixed, str(free_port()))
    commands = [shlex.split(line.rstrip(" &")) for line in script.strip().splitlines()]
    assert [c[:2] for c in commands] == [
        ["dask", "scheduler"],
        ["dask", "worker"],
        ["okrsim", "sweep"],
    ]
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(DOC.parent.parent)}
    services: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "dask.log").open("wb")
    try:
        for command in commands[:2]:
            services.append(
                subprocess.Popen(
                    [str(bin_dir / "dask"), *command[1:]],
                    env=env,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        out = tmp_path / "tiny-dask"
        sweep = [*commands[2][2:-1], str(out), "--no-progress"]
        assert commands[2][-2] == "-o"
        done = subprocess.run(
            [sys.executable, "-m", "okrsim.cli", "sweep", *sweep],
            cwd=DOC.parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        assert "tiny: 18 runs done, 0 failed" in done.stdout
        addresses = set().union(*(listening(s.pid) for s in services))
        # The scheduler, and a worker and a nanny per worker process.
        assert len(addresses) >= 5, addresses
        assert {ip for ip, _ in addresses} == {"127.0.0.1"}, addresses
    finally:
        for service in services:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, signal.SIGKILL)
            service.wait(timeout=30)
        log.close()

"""``docs/cluster.md`` shows job scripts that dask-jobqueue really renders.

The SLURM and PBS examples' ``SLURMCluster(...)``/``PBSCluster(...)``
arguments are read from the page and rendered with dask-jobqueue's job
classes (no batch system needed); the result must be the script the page
shows. The driver script must only use names okrsim provides.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

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

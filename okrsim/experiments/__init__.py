"""Sweeps at research scale: experiment files, designs, a resumable Parquet store,
interchangeable executors (local pool, Dask) and analysis.

The layer sits above :func:`okrsim.simulation.run` and below the command line::

    experiment file ─spec─▶ Experiment ─design/plan─▶ Plan (validated points, seeds)
        ─sweep + executors─▶ store (Parquet parts + manifest) ─analysis─▶ CSV + HTML

Python use::

    from okrsim.experiments.plan import plan_sweep
    from okrsim.experiments.executors import PoolBackend
    from okrsim.experiments.sweep import run_sweep

    plan = plan_sweep("experiments/coupling_sweep.toml")
    run_sweep(plan, "out/coupling", PoolBackend(workers=4))
"""

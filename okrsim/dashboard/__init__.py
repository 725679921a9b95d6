"""The workshop dashboard: twin organisations under two policies, live in a browser.

``okrsim dashboard`` serves :mod:`okrsim.dashboard.app` with Solara (through
Mesa's SolaraViz controller) on 127.0.0.1.  The page's controls are built from
the :class:`~okrsim.params.Scenario` schema (:mod:`okrsim.dashboard.controls`);
its model steps two :class:`~okrsim.model.OKRModel` runs with one seed in
lockstep (:mod:`okrsim.dashboard.twins`), so every chart compares the same
people and the same luck under two policies.
"""

"""A per-agent reference implementation of docs/ODD.md, for reading and docking.

:class:`~okrsim.reference.model.ReferenceModel` is the organisation as a Mesa
model in which every employee is a ``mesa.Agent`` making its own choices with
scalar arithmetic; it never calls :mod:`okrsim.model` or :mod:`okrsim.policies`.
tests/test_docking.py runs both on the same scenarios and checks that their
outcomes agree in distribution (docs/ODD.md, "Verification: docking").
"""

from okrsim.reference.model import ReferenceModel, run_reference

__all__ = ["ReferenceModel", "run_reference"]

"""The optional parts of okrsim and the check that names the one a command lacks.

A core install (``pip install okrsim``) runs, compares, sweeps on this machine
and writes reports.  Two extras add what only some users need:

``dashboard``
    Solara, its offline assets and Mesa's visualisation libraries, for
    ``okrsim dashboard``.
``cluster``
    Dask distributed and dask-jobqueue, for ``okrsim sweep --executor dask``.

A command that needs an extra calls :func:`require` before importing it, so a
missing extra ends in one line that says what to install, not a traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

#: Extra → the import names it provides that okrsim relies on.
EXTRAS: dict[str, tuple[str, ...]] = {
    "dashboard": (
        "solara",
        "solara_assets",
        "ipyvuetify",
        "ipyvue",
        "anywidget",
        "altair",
        "matplotlib",
    ),
    "cluster": ("distributed", "dask_jobqueue"),
}


class MissingExtra(Exception):
    """A command needs an extra that is not installed."""

    def __init__(self, command: str, extra: str, missing: list[str]) -> None:
        self.extra = extra
        self.missing = missing
        super().__init__(
            f"{command} needs the {extra} extra: pip install 'okrsim[{extra}]' "
            f"(missing: {', '.join(missing)})"
        )


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def require(extra: str, command: str) -> None:
    """Raise :class:`MissingExtra` naming ``extra`` if any of its modules is absent.

    ``find_spec`` looks the modules up without importing them, so the check
    costs milliseconds even when the extra is installed.
    """
    absent = missing(extra)
    if absent:
        raise MissingExtra(command, extra, absent)

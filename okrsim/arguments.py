"""Types of command-line arguments: numbers within bounds and usable output paths.

Each is an ``argparse`` ``type=``: it turns the text of a flag into its value
or raises :class:`argparse.ArgumentTypeError` saying what was expected, which
the ``okrsim`` command prints as one ``error: --flag: …`` line with exit code
2.  Checking at parse time means a bad flag is refused before anything runs:
an ``--out`` that names a file used to fail only after the whole simulation.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path


def shown(value: object) -> str:
    """The value as an error message quotes it (shortened); see :func:`okrsim.params.shown`."""
    from okrsim.params import shown as quote  # loaded on error only: --help stays fast

    return quote(value)


def shown_path(path: str | Path) -> str:
    """A path as an error message quotes it: whole, for the file name is at its end.

    Only a name longer than any file system allows is shortened (as
    :func:`okrsim.params.shown` would); the ``error:`` line shortens a long
    one in its middle (:func:`okrsim.cli.shorten`).
    """
    from okrsim.params import PATH_CHARS

    text = str(path)
    return repr(text) if len(text) <= PATH_CHARS else shown(text)


def name_exists(path: str | Path) -> bool:
    """Whether ``path`` names something (see :func:`okrsim.params.name_exists`)."""
    from okrsim.params import name_exists as exists

    return exists(path)


#: Most parallel processes a flag may ask for.
MAX_WORKERS = 1024
#: Most paired replications ``compare``, ``report`` and ``validate`` accept.
MAX_REPS = 100_000
#: Longest file or directory name most file systems allow, in bytes.
MAX_NAME_BYTES = 255


def whole(text: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number in ``[lo, hi]`` (either end open when ``None``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shown(text)}") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if hi is None:
            expected = f"a whole number ≥ {lo}"
        elif lo is None:
            expected = f"a whole number ≤ {hi}"
        else:
            expected = f"a whole number in [{lo}, {hi}]"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {shown(text)}")
    return value


def positive(text: str) -> int:
    """A whole number ≥ 1."""
    return whole(text, 1)


def non_negative(text: str) -> int:
    """A whole number ≥ 0."""
    return whole(text, 0)


def seed(text: str) -> int:
    """A root seed: a whole number in ``[0, 2⁶³ − 1]`` (stored in int64 columns)."""
    from okrsim.seeding import MAX_SEED

    return whole(text, 0, MAX_SEED)


def reps(text: str) -> int:
    """Paired replications: at least 2 (a paired CI needs two), at most :data:`MAX_REPS`."""
    return whole(text, 2, MAX_REPS)


def workers(text: str) -> int:
    """Parallel processes: 1 up to :data:`MAX_WORKERS`.

    Every command's ``--workers`` takes this type, so each refuses the same
    values with the same words; all cores is what leaving the flag out means.
    """
    return whole(text, 1, MAX_WORKERS)


def finite(text: str) -> float:
    """A finite number (not ``inf`` or ``nan``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {shown(text)}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {shown(text)}")
    return value


def unit(text: str) -> float:
    """A number in ``[0, 1]``."""
    value = finite(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {shown(text)}")
    return value


def open_unit(text: str) -> float:
    """A number in ``(0, 0.5)`` (a share peeled per step)."""
    value = finite(text)
    if not 0.0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 0.5), got {shown(text)}")
    return value


def out_dir(text: str) -> str:
    """A directory to write into: existing, or creatable where a directory can be."""
    if text.strip() and name_exists(text) and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{shown_path(text)} is a file; expected a directory")
    _usable(text, "a directory", inside=True)
    return text


def out_file(text: str) -> str:
    """A file to write: not a directory, in a directory that exists or can be made."""
    if text.strip() and name_exists(text) and Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{shown_path(text)} is a directory; expected a file name")
    _usable(text, "a file name", inside=False)
    return text


def _usable(text: str, what: str, *, inside: bool) -> Path:
    """``text`` as a path that can be written: named, each part short, under a directory.

    The nearest existing one of the path (``inside``: a directory to write
    into) or its parents must be a writable directory, so the command can
    create what is missing.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected {what}, got an empty name")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"expected {what}, got a name with a NUL byte")
    path = Path(text)
    for part in path.parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise argparse.ArgumentTypeError(
                f"{shown(part)} is longer than {MAX_NAME_BYTES} bytes, too long for a file name"
            )
    ancestor = path.absolute() if inside else path.absolute().parent
    while not name_exists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(
            f"{shown_path(text)}: {shown_path(ancestor)} is a file, "
            "so nothing can be written under it"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"{shown_path(text)}: {shown_path(ancestor)} is not writable"
        )
    _probe(text, ancestor)
    return path


def _probe(text: str, directory: Path) -> None:
    """Make and remove a directory in ``directory``, so a command that cannot write fails now.

    :func:`os.access` answers yes to root everywhere, and for file systems
    that refuse every new name (``/proc``, ``/sys``, a read-only mount): only
    trying tells, and trying before the simulation means its results are not
    lost to a failed write at the end.  Nothing is left behind.
    """
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".okrsim-probe-", dir=directory))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise argparse.ArgumentTypeError(
            f"{shown_path(text)}: cannot write under {shown_path(directory)}: {reason}"
        ) from None

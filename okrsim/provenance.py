"""What a run's numbers depend on besides its scenario and seed: okrsim's own code,
the libraries' versions and the machine's numerics.

okrsim's version number does not change with every change to its code, so
:func:`versions` also names the code itself, ``okrsim source``: a SHA-256 of
the package's modules and presets (:func:`source`), the front ends that never
touch a run's numbers left out.  A sweep refuses to resume with other code
than it began with (:mod:`okrsim.experiments.sweep_store`).

The same scenario and seed give the same bits wherever both are the same.
The *numerics* are the last bits of the functions the simulation leaves to
compiled code: the C library's ``exp``, ``log``, ``pow`` and ``hypot``
(:mod:`okrsim.portable`), scipy's ``ndtr``, ``ndtri``, ``expit`` and
``logit``, and numpy's random draws.  glibc picks its variants of some of
them by the CPU (its FMA code where the CPU has both FMA and AVX2), and a
last bit is enough to tip a later choice in a run, so a machine whose
numerics differ gives other runs: as valid, but not the same bits.

:func:`numerics` fingerprints them: a SHA-256 of each function's values at
fixed arguments.  Two machines with different fingerprints cannot give the
same bits for every run; two with the same fingerprint computed every
compared value alike (strong evidence that they agree, not a proof: only
those arguments are compared).  Run and sweep manifests record both
(:mod:`okrsim.run_store`, :mod:`okrsim.experiments.sweep_store`), and a sweep
warns when a chunk of its runs comes from a machine or environment unlike
the one its earlier runs came from.
"""

from __future__ import annotations

import functools
import hashlib
import math
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from okrsim import portable

#: The packages whose versions decide a run's results, or a sweep's and its store's.
VERSIONED = (
    "okrsim",
    "mesa",
    "numpy",
    "scipy",
    "networkx",
    "pandas",
    "pyarrow",
    "pydantic",
    "salib",
    "dask",
    "distributed",
)
#: The name :func:`versions` gives okrsim's code (:func:`source`).
SOURCE = "okrsim source"
#: Parts of the package that show or report runs but never compute them (not in :func:`source`).
FRONT_ENDS = ("dashboard", "report")
#: Hex digits of the numerics fingerprint and of the source hash kept (64 bits: a chance
#: collision is negligible).
FINGERPRINT_DIGITS = 16
#: Arguments per function: enough that glibc's FMA and non-FMA variants differ on some.
ARGUMENTS = 4001


@functools.cache
def versions() -> dict[str, str]:
    """Versions of Python, of the packages that decide the results and of okrsim's code."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out[SOURCE] = source()
    return out


def source_of(record: Mapping[str, Any]) -> str | None:
    """The okrsim code a manifest or an :func:`environment` names (``None`` if it
    predates :data:`SOURCE`)."""
    named: str | None = record.get("versions", {}).get(SOURCE)
    return named


def source(package: Path = Path(__file__).parent) -> str:
    """SHA-256 of okrsim's code: every module and preset under ``package`` but the
    :data:`FRONT_ENDS`, each file's path and bytes, in path order."""
    digest = hashlib.sha256()
    files = sorted(
        path
        for pattern in ("*.py", "*.toml")
        for path in package.rglob(pattern)
        if path.relative_to(package).parts[0] not in FRONT_ENDS
    )
    for path in files:
        name = path.relative_to(package).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(8, "little") + name)
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:FINGERPRINT_DIGITS]


@functools.cache
def numerics() -> dict[str, str]:
    """This machine's numerics: ``fingerprint`` (module docstring), ``cpu``, ``libc``."""
    name, release = platform.libc_ver()
    return {
        "fingerprint": _fingerprint(),
        "cpu": _cpu(),
        "libc": f"{name} {release}" if name else "unknown",
    }


def environment() -> dict[str, Any]:
    """What decides the bits of the runs computed in this process: versions and numerics."""
    return {"versions": versions(), "numerics": numerics()}


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What changed from one :func:`environment` to another, one phrase each."""
    old_v, new_v = before.get("versions", {}), after.get("versions", {})
    changed = [
        f"{name} {old_v.get(name, 'not recorded')} → {new_v.get(name, 'not recorded')}"
        for name in sorted(set(old_v) | set(new_v))
        if old_v.get(name) != new_v.get(name)
    ]
    old_n, new_n = before.get("numerics", {}), after.get("numerics", {})
    if old_n.get("fingerprint") != new_n.get("fingerprint"):
        changed.append(f"numerics {_numerics_text(old_n)} → {_numerics_text(new_n)}")
    return changed


def _numerics_text(n: Mapping[str, str]) -> str:
    return (
        f"{n.get('fingerprint', 'not recorded')} "
        f"({n.get('cpu', 'cpu unknown')}, {n.get('libc', 'libc unknown')})"
    )


def _fingerprint() -> str:
    """SHA-256 of every compiled function's values at fixed arguments (module docstring).

    The arguments are quotients of integers, which every IEEE machine rounds
    alike; they span the ranges the model uses and far beyond.
    """
    k = np.arange(ARGUMENTS, dtype=float)
    signed = (k - ARGUMENTS // 2) / 97.0  # −20.6 … 20.6
    positive = (k + 1.0) / 311.0  # 0.003 … 12.9
    unit = (k + 1.0) / (ARGUMENTS + 1.0)  # (0, 1)
    values = [
        portable.exp(signed),
        portable.exp(-0.5 * signed * signed),
        portable.log(positive),
        portable.expm1(signed / 64.0),
        portable.power(positive, signed / 7.0),
        np.hypot(signed, positive),
        special.ndtr(signed),
        special.ndtri(unit),
        special.expit(signed),
        special.logit(unit),
        np.array([math.pow(p, 1.0 / 3.0) for p in positive[::40]]),
        np.array([math.log(p) for p in positive[::40]]),
    ]
    draws = np.random.Generator(np.random.PCG64(20261202))
    values += [
        draws.standard_normal(ARGUMENTS),
        draws.normal(1.0, 0.3, ARGUMENTS),
        draws.random(ARGUMENTS),
        draws.integers(0, 1_000_003, ARGUMENTS).astype(float),
    ]
    digest = hashlib.sha256()
    for v in values:
        digest.update(np.ascontiguousarray(v, dtype="<f8").tobytes())
    return digest.hexdigest()[:FINGERPRINT_DIGITS]


def _cpu() -> str:
    """The architecture and, on x86-64 Linux, whether glibc's FMA variants apply."""
    machine = platform.machine() or "unknown architecture"
    if machine not in ("x86_64", "AMD64"):
        return machine
    flags = _cpu_flags()
    if flags is None:
        return f"{machine}, CPU features unknown"
    has = {"avx2", "fma"} <= flags
    return f"{machine} with AVX2 and FMA" if has else f"{machine} without both AVX2 and FMA"


def _cpu_flags(path: Path = Path("/proc/cpuinfo")) -> frozenset[str] | None:
    """The first processor's feature flags (Linux), or None where they cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    return None

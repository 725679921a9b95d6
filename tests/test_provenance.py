"""What a run's bits depend on: versions and the machine's numerics (okrsim.provenance)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from okrsim import provenance

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT = "from okrsim.provenance import numerics; print(numerics()['fingerprint'])"


def _fingerprint_in_a_process(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", FINGERPRINT],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_the_fingerprint_is_the_same_in_every_process_of_one_machine() -> None:
    here = provenance.numerics()["fingerprint"]
    assert len(here) == provenance.FINGERPRINT_DIGITS
    assert int(here, 16) >= 0
    assert _fingerprint_in_a_process() == here


def test_the_fingerprint_tells_glibcs_fma_variants_from_its_others() -> None:
    """Hiding AVX2 from glibc (as an old CPU or a virtual machine would) makes it pick its
    non-FMA exp, log and pow, whose last bits differ: the fingerprint must see that.  On a
    CPU without AVX2 and FMA nothing is hidden, and it must stay the same."""
    here = provenance.numerics()
    hidden = _fingerprint_in_a_process(GLIBC_TUNABLES="glibc.cpu.hwcaps=-AVX2")
    if here["cpu"].endswith("with AVX2 and FMA") and here["libc"].startswith("glibc"):
        assert hidden != here["fingerprint"]
    else:
        assert hidden == here["fingerprint"]


def test_differences_name_each_changed_version_and_the_numerics() -> None:
    before = provenance.environment()
    after = json.loads(json.dumps(before))
    after["versions"]["numpy"] = "0.0.1"
    after["versions"]["newlib"] = "1.0"
    after["numerics"] = {"fingerprint": "f" * 16, "cpu": "aarch64", "libc": "musl 1.2"}
    old = before["numerics"]
    assert provenance.differences(before, after) == [
        "newlib not recorded → 1.0",
        f"numpy {before['versions']['numpy']} → 0.0.1",
        f"numerics {old['fingerprint']} ({old['cpu']}, {old['libc']}) → ffffffffffffffff "
        "(aarch64, musl 1.2)",
    ]
    assert provenance.differences(before, json.loads(json.dumps(before))) == []


def test_cpu_flags_are_read_from_the_first_processor(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n"
    )
    assert provenance._cpu_flags(info) == frozenset({"fpu", "sse2", "avx2", "fma"})
    info.write_text("processor\t: 0\n")
    assert provenance._cpu_flags(info) is None
    assert provenance._cpu_flags(tmp_path / "missing") is None


def test_versions_cover_the_packages_that_decide_results() -> None:
    versions = provenance.versions()
    assert set(versions) == {"python", *provenance.VERSIONED, provenance.SOURCE}
    assert versions[provenance.SOURCE] == provenance.source()
    assert versions["numpy"] != "not installed"


def test_the_source_hash_moves_with_the_model_code_but_not_with_the_front_ends(
    tmp_path: Path,
) -> None:
    """A copy of the package hashes alike; a changed model module moves the hash, a
    changed dashboard or report module does not, and neither does a compiled file."""
    package = Path(provenance.__file__).parent
    copy = tmp_path / "okrsim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = provenance.source(copy)
    assert original == provenance.source()
    assert len(original) == provenance.FINGERPRINT_DIGITS
    for front_end in provenance.FRONT_ENDS:
        (copy / front_end / "__init__.py").write_text("# shown, not computed\n")
    (copy / "model" / "stale.pyc").write_bytes(b"compiled")
    assert provenance.source(copy) == original
    week = copy / "model" / "week.py"
    week.write_text(week.read_text() + "\n")
    assert provenance.source(copy) != original

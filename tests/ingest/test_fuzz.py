"""Mutated real .ibw bytes: the reader never raises, hangs or balloons, and always answers.

Mutations: truncation, bit flips, byte-range overwrites, and huge or negative
values written into the header's size fields (wfmSize, noteSize, npnts, nDim,
formula/units/labels sizes, number type). Three angles:

* hypothesis, in process, with a generous per-example deadline (a hang bound,
  not a performance claim);
* every size field set to every extreme value, under tracemalloc, to bound
  the memory one call may take;
* a seeded batch in a subprocess under RLIMIT_AS (1 GiB) and a wall-clock
  timeout, so an absurd allocation or a hang fails the test instead of the
  machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcat.ingest.read import read_file
from symcat.ingest.records import Refused, ScanRecord
from symcat.ingest.validate import validate_document

SEEDS = [
    "non_asylum/igor_mac_version2.ibw",
    "non_asylum/igor_win_version5.ibw",
    "non_asylum/igor_mac_version3_dependent.ibw",
    "non_asylum/igor_mac_textwave.ibw",
    "non_asylum/matrix_stm_partial_frame.ibw",
    "odd/gwyddion_10x10_one_channel.ibw",
    "curves/mfp3d_force_curve_from_map.ibw",
    "dart_pfm/mfp3d_dart_scan_0001.ibw",
]

# (name, offset, struct code) of the header's size and type fields, per Igor version.
FIELDS: dict[int, list[tuple[str, int, str]]] = {
    5: [("wfmSize", 4, "i"), ("formulaSize", 8, "i"), ("noteSize", 12, "i"),
        ("dataEUnitsSize", 16, "i"), ("dimEUnitsSize0", 20, "i"), ("dimLabelsSize0", 36, "i"),
        ("dimLabelsSize2", 44, "i"), ("sIndicesSize", 52, "i"), ("npnts", 76, "i"),
        ("type", 80, "h"), ("nDim0", 132, "i"), ("nDim1", 136, "i"), ("nDim2", 140, "i"),
        ("nDim3", 144, "i")],
    2: [("wfmSize", 2, "i"), ("noteSize", 6, "i"), ("type", 16, "h"), ("npnts", 58, "i")],
    3: [("wfmSize", 2, "i"), ("noteSize", 6, "i"), ("formulaSize", 10, "i"),
        ("type", 20, "h"), ("npnts", 62, "i")],
}
HUGE = [2**31 - 1, -(2**31), -1, 2**30, 10**9, 0, 1]
TYPES = [0, 1, 2, 3, 4, 0x20, 0x61, 0x7FFF, -1]


def _layout(data: bytes) -> tuple[int, str]:
    (little,) = struct.unpack_from("<h", data)
    return (struct.unpack_from(">h", data)[0], ">") if little & 0xFF == 0 else (little, "<")


def _set_field(data: bytearray, offset: int, code: str, value: int) -> None:
    _, order = _layout(bytes(data))
    if code == "h":
        value = max(-(2**15), min(2**15 - 1, value))
    struct.pack_into(order + code, data, offset, value)


def check(result: ScanRecord | Refused, data: bytes) -> None:
    """What every answer must satisfy, whatever the input."""
    assert isinstance(result, ScanRecord | Refused)
    if isinstance(result, Refused):
        assert isinstance(result.reason, str) and result.reason.strip()
        assert "\n" not in result.reason
        assert "symcat bug" not in result.reason, result.reason
        assert result.file_sha256 == hashlib.sha256(data).hexdigest()
        return
    doc = result.document
    assert validate_document(doc) == []
    json.dumps(doc, allow_nan=False)
    assert result.arrays.dtype.name == "float32"
    assert result.arrays.shape[0] == len(doc["channels"])


@pytest.fixture(scope="module")
def seeds(fixtures_dir: Path) -> list[bytes]:
    return [(fixtures_dir / name).read_bytes() for name in SEEDS]


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    version, _ = _layout(bytes(data))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "flip", "overwrite", "field", "field"]))
        if not data:
            break
        if op == "truncate":
            del data[draw(st.integers(0, len(data) - 1)):]
        elif op == "flip":
            # Mostly in the headers, where one bit changes the meaning of everything after.
            limit = draw(st.sampled_from([min(len(data), 400), len(data)]))
            pos = draw(st.integers(0, limit - 1))
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            pos = draw(st.integers(0, len(data) - 1))
            chunk = draw(st.binary(min_size=1, max_size=64))
            data[pos:pos + len(chunk)] = chunk[: len(data) - pos]
        elif version in FIELDS and len(data) >= 400:
            _name, offset, code = draw(st.sampled_from(FIELDS[version]))
            values = st.sampled_from(TYPES) if code == "h" else st.one_of(
                st.sampled_from(HUGE), st.integers(-(2**31), 2**31 - 1))
            _set_field(data, offset, code, draw(values))
    return bytes(data)


@settings(
    max_examples=250,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(data=st.data())
def test_mutations_always_answer(seeds: list[bytes], data: st.DataObject) -> None:
    blob = data.draw(mutations(seeds))
    check(read_file("/fuzz/mutated.ibw", data=blob), blob)


@pytest.mark.parametrize("seed", SEEDS)
def test_huge_declared_sizes_are_refused_without_allocating(fixtures_dir: Path, seed: str) -> None:
    original = (fixtures_dir / seed).read_bytes()
    version, _ = _layout(original)
    budget = 32 * 1024 * 1024 + 8 * len(original)
    for _name, offset, code in FIELDS[version]:
        for value in TYPES if code == "h" else HUGE:
            blob = bytearray(original)
            _set_field(blob, offset, code, value)
            tracemalloc.start()
            try:
                result = read_file("/fuzz/huge.ibw", data=bytes(blob))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            check(result, bytes(blob))
            assert peak < budget, (seed, _name, value, peak)


def test_truncation_at_every_header_byte(fixtures_dir: Path) -> None:
    original = (fixtures_dir / "odd/gwyddion_10x10_one_channel.ibw").read_bytes()
    for end in range(len(original)):
        result = read_file("/fuzz/short.ibw", data=original[:end])
        check(result, original[:end])
        assert isinstance(result, Refused)
    truncated = read_file("/fuzz/short.ibw", data=original[:500])
    assert isinstance(truncated, Refused)
    assert truncated.reason.startswith("truncated: header declares 100 points of float32")


_CHILD = textwrap.dedent(
    """
    import random, resource, struct, sys
    resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))
    from symcat.ingest.read import read_file
    from symcat.ingest.records import Refused, ScanRecord
    counts = {"record": 0, "refused": 0}
    for path in sys.argv[1:]:
        original = open(path, "rb").read()
        rng = random.Random(path)
        for i in range(40):
            blob = bytearray(original)
            for _ in range(rng.randint(1, 4)):
                op = rng.choice(["truncate", "flip", "overwrite", "int"])
                pos = rng.randrange(len(blob)) if blob else 0
                if not blob:
                    break
                if op == "truncate":
                    del blob[pos:]
                elif op == "flip":
                    blob[pos % min(len(blob), 400)] ^= 1 << rng.randrange(8)
                elif op == "overwrite":
                    blob[pos:pos + 8] = rng.randbytes(8)[: len(blob) - pos]
                elif len(blob) >= 400:
                    at = rng.randrange(0, 160, 2)
                    value = rng.choice([2**31 - 1, -2**31, -1, 10**9, rng.getrandbits(31)])
                    blob[at:at + 4] = struct.pack("<i", value)
            result = read_file("/fuzz/child.ibw", data=bytes(blob))
            assert isinstance(result, (ScanRecord, Refused)), type(result)
            counts["record" if isinstance(result, ScanRecord) else "refused"] += 1
    print(counts)
    """
)


def test_batch_under_memory_limit_and_timeout(fixtures_dir: Path) -> None:
    paths = [str(fixtures_dir / name) for name in SEEDS]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *paths],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'record'" in done.stdout

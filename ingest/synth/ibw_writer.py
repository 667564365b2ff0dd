"""Write Igor Binary Wave version 5 files, the format Asylum Research saves images in.

The bytes are laid out here with ``struct`` and numpy, following WaveMetrics
Technical Note 003, so that the reader (built on igor2) is checked against an
independent writer rather than against its own library's idea of the format.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

IGOR_EPOCH = datetime(1904, 1, 1)
MAX_WAVE_NAME = 31
MAX_UNIT_CHARS = 3
MAX_DIM_LABEL = 31
DIM_LABEL_BYTES = 32

# Igor number types (TN003): the codes stored in WaveHeader5.type.
NUMBER_TYPES: dict[np.dtype, int] = {
    np.dtype(np.float32): 0x02,
    np.dtype(np.float64): 0x04,
    np.dtype(np.int8): 0x08,
    np.dtype(np.int16): 0x10,
    np.dtype(np.int32): 0x20,
    np.dtype(np.uint8): 0x48,
    np.dtype(np.uint16): 0x50,
    np.dtype(np.uint32): 0x60,
}

_BIN_HEADER = "hhllll4l4llll"
_WAVE_HEADER = "lLLlhh6sh32sll4l4d4d4s16shhddl4l4ll16lhhhccllhhll"
BIN_HEADER_SIZE = struct.calcsize("<" + _BIN_HEADER)
WAVE_HEADER_SIZE = struct.calcsize("<" + _WAVE_HEADER)
assert (BIN_HEADER_SIZE, WAVE_HEADER_SIZE) == (64, 320)


def igor_seconds(when: datetime) -> int:
    """Seconds since 1904-01-01, Igor's clock, for a naive local datetime."""
    return int((when - IGOR_EPOCH).total_seconds())


@dataclass(frozen=True)
class Wave:
    """One numeric wave as Igor stores it.

    ``data`` is in Igor's dimension order (dim 0 = rows = x, changing fastest on disk);
    a 256-point, 128-line, 6-layer image has shape (256, 128, 6). ``scale`` holds
    (delta, offset) per dimension (sfA, sfB); ``labels`` maps a dimension to its
    labels, the first being the dimension's own label and one per element after it.
    """

    name: str
    data: np.ndarray
    note: str = ""
    data_units: str = ""
    dim_units: Sequence[str] = ()
    scale: Sequence[tuple[float, float]] = ()
    labels: Mapping[int, Sequence[str]] = field(default_factory=dict)
    created: int = 0
    modified: int = 0


def _units(text: str) -> tuple[bytes, bytes]:
    """Short units live in the header; longer ones go to the extended-units block."""
    raw = text.encode("cp1252")
    if len(raw) <= MAX_UNIT_CHARS:
        return raw.ljust(4, b"\0"), b""
    return b"\0" * 4, raw


def _labels_block(labels: Sequence[str], n: int) -> bytes:
    if len(labels) != n + 1:
        raise ValueError(f"expected {n + 1} labels (dimension label first), got {len(labels)}")
    out = bytearray()
    for label in labels:
        raw = label.encode("cp1252")
        if len(raw) > MAX_DIM_LABEL:
            raise ValueError(f"expected labels of at most {MAX_DIM_LABEL} bytes, got {label!r}")
        out += raw.ljust(DIM_LABEL_BYTES, b"\0")
    return bytes(out)


def _checksum(header: bytes, byte_order: str) -> int:
    """The value that makes the 16-bit sum of both headers zero, as a signed short."""
    total = int(np.frombuffer(header, dtype=byte_order + "i2").sum(dtype=np.int64))
    value = (-total) & 0xFFFF
    return value - 0x10000 if value >= 0x8000 else value


def encode_wave(wave: Wave, *, byte_order: str = "<") -> list[bytes]:
    """The file's bytes as chunks (headers, data, trailing blocks), ready for writelines."""
    if byte_order not in ("<", ">"):
        raise ValueError(f"expected byte_order '<' or '>', got {byte_order!r}")
    data = np.asarray(wave.data)
    if data.dtype not in NUMBER_TYPES:
        raise ValueError(f"expected a numeric dtype in {sorted(map(str, NUMBER_TYPES))}")
    if not 1 <= data.ndim <= 4:
        raise ValueError(f"expected ndim between 1 and 4, got {data.ndim}")
    name = wave.name.encode("cp1252")
    if not 0 < len(name) <= MAX_WAVE_NAME:
        raise ValueError(f"expected a wave name of 1 to {MAX_WAVE_NAME} bytes, got {wave.name!r}")

    shape = list(data.shape) + [0] * (4 - data.ndim)
    scale = list(wave.scale) + [(1.0, 0.0)] * (4 - len(wave.scale))
    dim_units = list(wave.dim_units) + [""] * (4 - len(wave.dim_units))
    data_units, data_eunits = _units(wave.data_units)
    dim_pairs = [_units(u) for u in dim_units]
    labels = [
        _labels_block(wave.labels[d], shape[d]) if d in wave.labels else b"" for d in range(4)
    ]
    note = wave.note.encode("cp1252")
    payload = data.astype(data.dtype.newbyteorder(byte_order), copy=False).tobytes(order="F")

    def bin_header(checksum: int) -> bytes:
        return struct.pack(
            byte_order + _BIN_HEADER,
            5,
            checksum,
            WAVE_HEADER_SIZE + len(payload),
            0,  # formula: none
            len(note),
            len(data_eunits),
            *(len(e) for _, e in dim_pairs),
            *(len(b) for b in labels),
            0,  # sIndices: numeric waves have none
            0,
            0,
        )

    wave_header = struct.pack(
        byte_order + _WAVE_HEADER,
        0,
        wave.created,
        wave.modified,
        data.size,
        NUMBER_TYPES[data.dtype],
        0,
        b"",
        1,  # whVersion
        name,
        0,
        0,
        *shape,
        *(a for a, _ in scale),
        *(b for _, b in scale),
        data_units,
        b"".join(u for u, _ in dim_pairs),
        0,
        0,
        0.0,
        0.0,
        0,
        *([0] * 4),
        *([0] * 4),
        0,
        *([0] * 16),
        0,
        0,
        0,
        b"\0",
        b"\0",
        0,
        0,
        0,
        0,
        0,
        0,
    )
    checksum = _checksum(bin_header(0) + wave_header, byte_order)
    return [
        bin_header(checksum),
        wave_header,
        payload,
        note,
        data_eunits,
        *(e for _, e in dim_pairs),
        *labels,
    ]


def write_ibw(path: str | Path, wave: Wave, *, byte_order: str = "<") -> int:
    """Write ``wave`` to ``path`` as an .ibw file; returns the number of bytes written."""
    chunks = encode_wave(wave, byte_order=byte_order)
    with open(path, "wb") as f:
        f.writelines(chunks)
    return sum(len(c) for c in chunks)

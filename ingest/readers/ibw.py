"""Igor binary wave (.ibw) bytes to a `RawWave`, via igor2.

igor2 trusts the sizes in the header: a 1 kB file that declares a 2 GB note
makes it build a 2 GB struct format string. So `inspect_header` first reads
the fixed headers with `struct` (a few microseconds) and checks every declared
size against the real byte count and against sane limits; only a file that
passes is handed to igor2. Dimension labels and extended units are cut out of
the raw bytes here too, because igor2 joins a label with the junk that follows
its NUL byte (b"Phase1Retrace\\x00ce" becomes "Phase1Retracece").

Layout reference: WaveMetrics Technical Note 003 ("Igor Binary Format").
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import igor2.binarywave as binarywave
import numpy as np

from symcat.ingest.readers import RawWave, ReadError

# Upper bounds for the text sections igor2 unpacks one byte per Python item.
# Asylum notes are 10-30 kB; anything near these limits is corrupt.
MAX_NOTE_BYTES = 4 * 1024 * 1024
MAX_SIDE_TEXT_BYTES = 1024 * 1024  # formula, extended units, labels, string indices

NUMERIC_TYPES: dict[int, str] = {
    0x02: "float32",
    0x04: "float64",
    0x08: "int8",
    0x10: "int16",
    0x20: "int32",
    0x48: "uint8",
    0x50: "uint16",
    0x60: "uint32",
}
COMPLEX_TYPES = {0x01, 0x03, 0x05, 0x09, 0x11, 0x21, 0x49, 0x51, 0x61}

_BIN_HEADER_SIZE = {1: 8, 2: 16, 3: 20, 5: 64}
_WAVE_HEADER2 = 110  # without the 16 bytes of wData[4] that TN003 counts in the struct
_WAVE_HEADER5 = 320
_LABEL_CHUNK = 32  # each dimension label is a 32-byte, NUL-terminated field


@dataclass(frozen=True)
class Header:
    """What the fixed headers declare, in native Python types."""

    version: int
    byte_order: str  # "<" or ">"
    type_code: int
    npnts: int
    shape: tuple[int, ...]
    data_offset: int
    data_size: int
    note_size: int
    formula_size: int
    data_eunits_size: int
    dim_eunits_sizes: tuple[int, ...]
    dim_labels_sizes: tuple[int, ...]
    sindices_size: int
    total_size: int
    checksum_ok: bool


def _version_and_order(data: bytes) -> tuple[int, str]:
    if len(data) < 2:
        raise ReadError(f"not an Igor binary wave: file holds only {len(data)} bytes")
    (little,) = struct.unpack_from("<h", data)
    if little & 0xFF == 0:  # TN003: a zero low byte means the other byte order
        (version,) = struct.unpack_from(">h", data)
        order = ">"
    else:
        version, order = little, "<"
    if version not in _BIN_HEADER_SIZE:
        raise ReadError(
            f"not an Igor binary wave: version field is {version} (expected 1, 2, 3 or 5)"
        )
    return version, order


def _checksum_ok(data: bytes, order: str, size: int) -> bool:
    """Igor's check: the 16-bit words of the headers sum to zero."""
    size -= size % 2
    if size > len(data):
        return False
    words = np.frombuffer(data, dtype=np.dtype(order + "i2"), count=size // 2)
    return int(words.astype(np.int64).sum()) & 0xFFFF == 0


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


def inspect_header(data: bytes) -> Header:
    """Parse and bound-check the fixed headers; raise ReadError with the reason."""
    version, order = _version_and_order(data)
    bin_size = _BIN_HEADER_SIZE[version]
    wave_size = _WAVE_HEADER5 if version == 5 else _WAVE_HEADER2
    if len(data) < bin_size + wave_size:
        raise ReadError(
            f"truncated: file ends inside the Igor version {version} header "
            f"({len(data)} of {bin_size + wave_size} bytes)"
        )
    note_size = formula_size = data_eunits = sindices = 0
    dim_eunits: tuple[int, ...] = (0, 0, 0, 0)
    dim_labels: tuple[int, ...] = (0, 0, 0, 0)
    if version == 5:
        fields = struct.unpack_from(order + "hhiiiii4i4iiii", data)
        wfm_size, formula_size, note_size, data_eunits = fields[2:6]
        dim_eunits, dim_labels, sindices = fields[6:10], fields[10:14], fields[14]
        w = bin_size
        (npnts,) = struct.unpack_from(order + "i", data, w + 12)
        (type_code,) = struct.unpack_from(order + "h", data, w + 16)
        ndim = struct.unpack_from(order + "4i", data, w + 68)
        data_size = wfm_size - _WAVE_HEADER5
        checksum_size = bin_size + _WAVE_HEADER5
    else:
        if version == 1:
            (wfm_size,) = struct.unpack_from(order + "i", data, 2)
        elif version == 2:
            wfm_size, note_size = struct.unpack_from(order + "ii", data, 2)
        else:
            wfm_size, note_size, formula_size = struct.unpack_from(order + "iii", data, 2)
        w = bin_size
        (type_code,) = struct.unpack_from(order + "h", data, w)
        (npnts,) = struct.unpack_from(order + "i", data, w + 42)
        ndim = (npnts, 0, 0, 0)
        data_size = wfm_size - _WAVE_HEADER2 - 16
        checksum_size = bin_size + _WAVE_HEADER2 + 16

    named = {
        "wfmSize": wfm_size,
        "noteSize": note_size,
        "formulaSize": formula_size,
        "dataEUnitsSize": data_eunits,
        "sIndicesSize": sindices,
    }
    for name, value in named.items():
        if value < 0:
            raise ReadError(f"corrupt header: {name} is negative ({value})")
    for d, (eu, lab) in enumerate(zip(dim_eunits, dim_labels, strict=True)):
        if eu < 0 or lab < 0:
            raise ReadError(f"corrupt header: negative unit or label size for dimension {d}")
    if data_size < 0:
        raise ReadError(f"corrupt header: wfmSize {wfm_size} is smaller than the wave header")

    if type_code == 0:
        raise ReadError("text wave (Igor type TEXT) has no numeric data")
    if type_code in COMPLEX_TYPES:
        raise ReadError(f"complex wave (Igor type 0x{type_code:02x}) is not supported")
    if type_code not in NUMERIC_TYPES:
        raise ReadError(f"corrupt header: unknown Igor number type 0x{type_code & 0xFFFF:04x}")
    itemsize = np.dtype(NUMERIC_TYPES[type_code]).itemsize
    dtype_name = NUMERIC_TYPES[type_code]

    if npnts < 0:
        raise ReadError(f"corrupt header: negative point count ({npnts})")
    if any(n < 0 for n in ndim):
        raise ReadError(f"corrupt header: negative dimension size in {list(ndim)}")
    shape_list: list[int] = []
    for n in ndim:
        if n == 0:
            break
        shape_list.append(n)
    if any(ndim[len(shape_list):]):
        raise ReadError(f"corrupt header: dimension sizes {list(ndim)} have a gap")
    shape = tuple(shape_list)
    if npnts == 0:
        raise ReadError("empty wave (0 points)")
    if formula_size > 0 and data_size == 0:
        raise ReadError(
            f"empty wave (0 points stored): a dependency-formula wave saved without its "
            f"data (header declares {npnts} points)"
        )
    if shape and int(np.prod(shape, dtype=np.int64)) != npnts:
        raise ReadError(
            f"corrupt header: dimensions {_fmt_shape(shape)} hold "
            f"{int(np.prod(shape, dtype=np.int64))} points but npnts says {npnts}"
        )
    needed = npnts * itemsize
    data_offset = bin_size + wave_size
    available = max(0, len(data) - data_offset)
    if needed > available:
        raise ReadError(
            f"truncated: header declares {npnts} points of {dtype_name} but file holds "
            f"{len(data)} bytes"
        )
    if data_size != needed:
        raise ReadError(
            f"corrupt header: {npnts} points of {dtype_name} need {needed} bytes but "
            f"wfmSize leaves room for {data_size}"
        )
    if note_size > MAX_NOTE_BYTES:
        raise ReadError(
            f"corrupt header: note declares {note_size} bytes (limit {MAX_NOTE_BYTES})"
        )
    side = formula_size + data_eunits + sum(dim_eunits) + sum(dim_labels) + sindices
    if side > MAX_SIDE_TEXT_BYTES:
        raise ReadError(
            f"corrupt header: formula, units and labels declare {side} bytes "
            f"(limit {MAX_SIDE_TEXT_BYTES})"
        )
    if sindices:
        raise ReadError("corrupt header: a numeric wave declares text string indices")

    if version == 5:  # formula, note, data units, dim units, labels, string indices
        total = bin_size + wfm_size + note_size + side
    elif version == 1:
        total = bin_size + wfm_size
    else:
        total = bin_size + wfm_size + note_size + formula_size
    if total > len(data):
        raise ReadError(
            f"truncated: header declares {total} bytes (data, note, units, labels) but file "
            f"holds {len(data)} bytes"
        )
    return Header(
        version=version,
        byte_order=order,
        type_code=type_code,
        npnts=npnts,
        shape=shape if version == 5 else (npnts,),
        data_offset=data_offset,
        data_size=data_size,
        note_size=note_size,
        formula_size=formula_size,
        data_eunits_size=data_eunits,
        dim_eunits_sizes=tuple(dim_eunits),
        dim_labels_sizes=tuple(dim_labels),
        sindices_size=sindices,
        total_size=total,
        checksum_ok=_checksum_ok(data, order, checksum_size),
    )


def decode_text(raw: bytes) -> str:
    """Igor text: UTF-8 in newer files, Windows-1252 in Asylum's; NULs dropped."""
    raw = raw.replace(b"\x00", b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _cstring(raw: bytes) -> str:
    return decode_text(raw.split(b"\x00", 1)[0])


def split_labels(block: bytes, n_elements: int) -> list[bytes]:
    """Element labels of one dimension, each cut at its first NUL.

    Igor writes the dimension's own label first, then the element labels, and
    may stop after the last non-empty one; Gwyddion writes exactly the n
    element labels with no leading slot. So the first label is dropped unless
    there are exactly n labels and the first is not empty. Long labels span
    several 32-byte chunks until one holds a NUL.
    """
    labels: list[bytes] = []
    current = b""
    for start in range(0, len(block) - len(block) % _LABEL_CHUNK, _LABEL_CHUNK):
        chunk = block[start:start + _LABEL_CHUNK]
        nul = chunk.find(b"\x00")
        if nul < 0:
            current += chunk
            continue
        labels.append(current + chunk[:nul])
        current = b""
    if current:
        labels.append(current)
    if labels and not (len(labels) == n_elements and labels[0]):
        labels = labels[1:]
    return labels[:n_elements]


def _v5_sections(data: bytes, header: Header) -> tuple[str, list[str], list[list[bytes]]]:
    """Extended units and labels of a version 5 file, located from the header sizes."""
    offset = header.data_offset + header.data_size + header.formula_size + header.note_size
    data_units = _cstring(data[offset:offset + header.data_eunits_size])
    offset += header.data_eunits_size
    dim_units = []
    for size in header.dim_eunits_sizes:
        dim_units.append(_cstring(data[offset:offset + size]))
        offset += size
    labels: list[list[bytes]] = []
    for d, size in enumerate(header.dim_labels_sizes):
        n = header.shape[d] if d < len(header.shape) else 0
        labels.append(split_labels(data[offset:offset + size], n) if size else [])
        offset += size
    return data_units, dim_units, labels


def _igor2_view(data: bytes, header: Header) -> bytes:
    """The bytes igor2 is given: for version 5, headers and numbers only.

    igor2 unpacks the note, labels and units one byte per Python object, which
    costs more than the rest of the file together (20 kB notes are common).
    We cut those sections out of the raw bytes ourselves (see `_v5_sections`),
    so igor2 gets the file up to the end of its data, with the declared sizes
    of the trailing sections set to zero. igor2 does not check the checksum.
    """
    if header.version != 5:
        return data
    view = bytearray(data[: header.data_offset + header.data_size])
    # formulaSize, noteSize, dataEUnitsSize, dimEUnitsSize[4], dimLabelsSize[4], sIndicesSize
    struct.pack_into(header.byte_order + "12i", view, 8, *([0] * 12))
    return bytes(view)


def _v5_formula_and_note(data: bytes, header: Header) -> tuple[bytes, bytes]:
    start = header.data_offset + header.data_size
    formula = data[start:start + header.formula_size]
    note = data[start + header.formula_size:start + header.formula_size + header.note_size]
    return formula, note


def _units(raw: object) -> str:
    if isinstance(raw, np.ndarray):
        raw = raw.tobytes()
    return _cstring(raw) if isinstance(raw, bytes) else ""


def read_ibw(data: bytes) -> RawWave:
    """Parse one .ibw file's bytes; raise ReadError when it cannot be catalogued."""
    header = inspect_header(data)
    try:
        loaded = binarywave.load(io.BytesIO(_igor2_view(data, header)))
    except ReadError:
        raise
    except Exception as exc:  # igor2 raises AssertionError, ValueError, TypeError...
        detail = " ".join(str(exc).split())[:160]
        raise ReadError(f"igor2 could not parse the wave: {type(exc).__name__}: {detail}") from exc
    wave = loaded["wave"]
    wh = wave["wave_header"]
    values = np.asarray(wave["wData"])
    if values.dtype.kind not in "fiu":
        raise ReadError(f"wave holds {values.dtype} values, not numbers")
    if values.size != header.npnts:
        raise ReadError(
            f"corrupt file: igor2 found {values.size} points, header says {header.npnts}"
        )

    warnings: list[str] = []
    if not header.checksum_ok:
        warnings.append("Igor header checksum does not match; the header may be corrupt")
    if header.version == 5:
        data_units, ext_dim_units, labels_raw = _v5_sections(data, header)
        data_units = data_units or _units(wh.get("dataUnits"))
        dims = np.asarray(wh.get("dimUnits"))
        dim_units = [
            ext_dim_units[d] or (_units(dims[d]) if dims.ndim == 2 else "") for d in range(4)
        ]
        sf_a = [float(x) for x in wh["sfA"]]
        sf_b = [float(x) for x in wh["sfB"]]
    else:
        labels_raw = [[], [], [], []]
        data_units = _units(wh.get("dataUnits"))
        dim_units = [_units(wh.get("xUnits")), "", "", ""]
        sf_a = [float(wh.get("hsA", 1.0)), 1.0, 1.0, 1.0]
        sf_b = [float(wh.get("hsB", 0.0)), 0.0, 0.0, 0.0]
    if header.version == 5:
        formula, note = _v5_formula_and_note(data, header)
    else:
        formula, note = wave.get("formula"), wave.get("note", b"")
    formula_text = decode_text(formula) if isinstance(formula, bytes) and formula else None
    return RawWave(
        version=header.version,
        byte_order="big" if header.byte_order == ">" else "little",
        type_code=header.type_code,
        data=values,
        name=_cstring(wh.get("bname", b"") or b""),
        note=note if isinstance(note, bytes) else b"",
        labels=[[decode_text(x) for x in dim] for dim in labels_raw],
        labels_raw=labels_raw,
        data_units=data_units,
        dim_units=dim_units,
        sf_a=sf_a,
        sf_b=sf_b,
        creation_date=int(wh.get("creationDate", 0) or 0) if header.version > 1 else 0,
        mod_date=int(wh.get("modDate", 0) or 0),
        formula=formula_text,
        warnings=warnings,
    )

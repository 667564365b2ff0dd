"""Weight files stored packed: smaller in the repository, the same bytes when read.

The shipped symmetry weights are fp16 safetensors. Their bytes at even and odd offsets
(the two bytes of every half-float) follow different statistics, so each file is stored
as ``NAME.planes.gz``: gzip of the even-offset bytes followed by the odd-offset ones.
That packs the fp16 weights to 86% of their size (plain gzip: 90%; xz: 84%, at eight
times the unpacking time); loading the default model takes about 0.1 s longer than from
plain files (`benchmarks/weights_load.py`: 0.24 s against 0.12 s on the 2-core VM).

Everything that reads weights asks this module for a file's bytes and their sha256,
which are the plain file's whatever the storage: the sha256s in each model's
``config.json`` and the stored model ids (``name@sha256-pp``) are unchanged by packing.
A plain file beside its packed twin wins (a freshly exported one). Unpack one by hand with
``python -m symcat.embed.packed unpack FILE.planes.gz``. This module imports no torch.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import zlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

SUFFIX = ".planes.gz"


def pack_bytes(data: bytes) -> bytes:
    """The packed form of ``data``: gzip (level 9, no timestamp) of its two byte planes."""
    return gzip.compress(data[0::2] + data[1::2], compresslevel=9, mtime=0)


def unpack_bytes(packed: bytes) -> bytes:
    """The bytes ``pack_bytes`` was given (gzip's CRC checks the planes)."""
    if not packed:  # gzip reads nothing as nothing; a packed file is never empty
        raise EOFError("the file is empty")
    planes = gzip.decompress(packed)
    even = (len(planes) + 1) // 2
    out = bytearray(len(planes))
    out[0::2] = planes[:even]
    out[1::2] = planes[even:]
    return bytes(out)


def is_packed(path: Path | str) -> bool:
    return str(path).endswith(SUFFIX)


def plain_name(path: Path | str) -> str:
    """The file name the bytes have unpacked (what configs and error messages name)."""
    name = Path(path).name
    return name[: -len(SUFFIX)] if is_packed(name) else name


def locate(folder: Path | str, name: str) -> Path:
    """The stored file for the plain name ``name`` in ``folder``: plain, else packed."""
    plain = Path(folder) / name
    if plain.is_file():
        return plain
    packed = plain.with_name(name + SUFFIX)
    if packed.is_file():
        return packed
    raise FileNotFoundError(f"weights file {name} (or {name}{SUFFIX}) not found in {folder}")


def find(folder: Path | str, pattern: str) -> list[Path]:
    """Stored files whose plain names match ``pattern`` (a glob), one per plain name,
    sorted by plain name."""
    folder = Path(folder)
    names = {p.name for p in folder.glob(pattern)}
    names |= {plain_name(p) for p in folder.glob(pattern + SUFFIX)}
    return [locate(folder, n) for n in sorted(names)]


def remove(folder: Path | str, pattern: str) -> None:
    """Delete every stored file, plain or packed, whose plain name matches ``pattern``
    (before a new set of parts is written, so no stale part is read with them)."""
    folder = Path(folder)
    for path in [*folder.glob(pattern), *folder.glob(pattern + SUFFIX)]:
        path.unlink()


def read_bytes(path: Path | str) -> bytes:
    """A stored file's bytes as the plain file holds them; ValueError names a packed file
    that does not unpack (truncated or damaged: gzip's length and CRC say so)."""
    data = Path(path).read_bytes()
    if not is_packed(path):
        return data
    try:
        return unpack_bytes(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"weights file {Path(path).name} is damaged and does not unpack "
                         f"({exc}); restore it from the repository or the wheel") from None


def sha256(path: Path | str) -> str:
    """The sha256 of the plain bytes (cached per file state: model ids are asked often)."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


@cache
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    if not is_packed(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    return hashlib.sha256(read_bytes(path)).hexdigest()


def pack(path: Path | str, keep_plain: bool = False) -> Path:
    """Write ``path``'s packed twin, check that it unpacks to the same bytes, and remove
    the plain file (unless ``keep_plain``)."""
    path = Path(path)
    data = path.read_bytes()
    packed = pack_bytes(data)
    if unpack_bytes(packed) != data:  # never ship a file that does not read back
        raise RuntimeError(f"{path}: packed copy does not unpack to the same bytes")
    out = path.with_name(path.name + SUFFIX)
    out.write_bytes(packed)
    if not keep_plain:
        path.unlink()
    return out


def unpack(path: Path | str) -> Path:
    """Write a packed file's plain twin beside it (the packed one stays)."""
    path = Path(path)
    if not is_packed(path):
        raise ValueError(f"{path.name} is not a packed file (its name must end in {SUFFIX})")
    out = path.with_name(plain_name(path))
    out.write_bytes(read_bytes(path))
    return out


def main(argv: Iterable[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m symcat.embed.packed",
                                description="Pack or unpack weight files (lossless).")
    p.add_argument("action", choices=("pack", "unpack"))
    p.add_argument("files", nargs="+", type=Path)
    a = p.parse_args(list(argv) if argv is not None else None)
    for f in a.files:
        if not f.is_file():
            p.error(f"{f}: no such file")
        try:
            out = pack(f) if a.action == "pack" else unpack(f)
        except (ValueError, RuntimeError) as exc:
            p.error(str(exc))
        print(f"{f} -> {out} ({out.stat().st_size:,} bytes, sha256 {sha256(out)[:12]})")


if __name__ == "__main__":
    main()

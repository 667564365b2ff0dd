"""Packed weight files: the same bytes, the same sha256s and model ids, clear refusals."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from symcat.embed import packed
from symcat.embed.registry import get_cfg

SYMMETRY = Path(packed.__file__).resolve().parent / "symmetry"
SHIPPED = [("weights", "model"), ("weights_v2", "model"), ("weights_v5", "delta")]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4097])
def test_round_trip_is_exact_and_reproducible(n):
    data = random.Random(n).randbytes(n)
    once = packed.pack_bytes(data)
    assert packed.unpack_bytes(once) == data
    assert packed.pack_bytes(data) == once  # no timestamp: the same file every time


@pytest.mark.parametrize("folder,name", SHIPPED)
def test_shipped_parts_are_packed_and_unpack_to_their_config_sha256(folder, name):
    folder = SYMMETRY / folder
    cfg = json.loads((folder / "config.json").read_text())
    files = cfg["files"] if name == "model" else cfg["delta"]["files"]
    parts = packed.find(folder, f"{name}.part*.safetensors")
    assert parts and all(packed.is_packed(p) for p in parts)  # no plain copy beside them
    assert {packed.plain_name(p): packed.sha256(p) for p in parts} == files
    for p in parts:
        assert p.stat().st_size < 0.9 * len(packed.read_bytes(p))


def test_model_ids_are_those_of_the_plain_files():
    """A stored vector's model id (name@sha256) must not change because files were packed:
    the id is computed from the sha256s config.json lists for the plain files."""
    folder = SYMMETRY / "weights_v2"
    cfg = json.loads((folder / "config.json").read_text())
    config_sha = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    expected = hashlib.sha256((config_sha + "".join(cfg["files"][k] for k in sorted(
        cfg["files"]))).encode()).hexdigest()
    assert get_cfg("symcat_symmetry.v2").weights_sha256() == expected


def test_plain_file_wins_and_remove_takes_both(tmp_path):
    (tmp_path / "m.part00.safetensors").write_bytes(b"plain")
    packed.pack(tmp_path / "m.part00.safetensors", keep_plain=True)
    (tmp_path / "m.part01.safetensors").write_bytes(b"second")
    packed.pack(tmp_path / "m.part01.safetensors")
    found = packed.find(tmp_path, "m.part*.safetensors")
    assert [p.name for p in found] == ["m.part00.safetensors", "m.part01.safetensors.planes.gz"]
    assert [packed.read_bytes(p) for p in found] == [b"plain", b"second"]
    packed.remove(tmp_path, "m.part*.safetensors")
    assert not list(tmp_path.iterdir())
    with pytest.raises(FileNotFoundError, match="m.part00.safetensors"):
        packed.locate(tmp_path, "m.part00.safetensors")


def test_damaged_packed_files_are_refused_by_name(tmp_path):
    good = packed.pack_bytes(random.Random(5).randbytes(3000))
    path = tmp_path / "w.part00.safetensors.planes.gz"
    rng = random.Random(7)
    damaged = [good[: len(good) // 2], b"", rng.randbytes(200)]
    for _ in range(200):  # one byte changed anywhere: header, stream, CRC or length
        raw = bytearray(good)
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        damaged.append(bytes(raw))
    for data in damaged:
        path.write_bytes(data)
        try:
            packed.read_bytes(path)
        except ValueError as exc:
            assert str(exc).startswith("weights file w.part00.safetensors.planes.gz is damaged")
        else:  # gzip's CRC-32 and length leave no bit flip unnoticed
            pytest.fail(f"a damaged file unpacked: {data[:16]!r}")


def test_extractor_refuses_a_damaged_part(tmp_path):
    pytest.importorskip("torch")
    from symcat.embed.symmetry.extract import SymmetryExtractor

    for folder in ("weights_v2", "weights_v5"):
        shutil.copytree(SYMMETRY / folder, tmp_path / folder)
    part = packed.locate(tmp_path / "weights_v2", "model.part01.safetensors")
    part.write_bytes(part.read_bytes()[:-100])
    with pytest.raises(ValueError, match="model.part01.safetensors.planes.gz is damaged"):
        SymmetryExtractor(tmp_path / "weights_v5")
    part.unlink()  # a part config.json names is missing: refused by its name too
    with pytest.raises(FileNotFoundError, match="model.part01.safetensors named in"):
        SymmetryExtractor(tmp_path / "weights_v5")


def test_cli_unpacks_to_the_plain_file(tmp_path, capsys):
    src = packed.locate(SYMMETRY / "weights_v5", "delta.part00.safetensors")
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    packed.main(["unpack", str(copy)])
    plain = tmp_path / "delta.part00.safetensors"
    assert hashlib.sha256(plain.read_bytes()).hexdigest() == packed.sha256(src)
    assert "delta.part00.safetensors" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        packed.main(["unpack", str(plain)])  # not packed: refused
    with pytest.raises(SystemExit):
        packed.main(["pack", str(tmp_path / "missing.safetensors")])

"""Image files handed in without cataloguing (`symcat.ingest.pictures`): every supported
format becomes the same 2-D array, colour becomes grey, and anything else is refused with
a one-line reason (a pickled .npy is never loaded)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from symcat.ingest.pictures import (
    pixel_aspect,
    pixel_width,
    read_array,
    read_image,
    read_picture,
)


def test_every_format_reads_to_the_same_grey_array(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (40, 56)).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "a.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "b.tif")
    np.save(tmp_path / "c.npy", grey.astype(np.float64))
    np.save(tmp_path / "d.npy", np.repeat(grey[..., None], 3, axis=2))  # (H, W, 3)
    np.save(tmp_path / "e.npy", np.repeat(grey[None], 3, axis=0))  # (3, H, W)
    assert np.array_equal(read_picture(tmp_path / "a.png"), grey)
    for other in ("a.bmp", "a.gif", "a.webp"):  # lossless in these, grey in each
        Image.fromarray(grey).save(tmp_path / other, **({"lossless": True}
                                                        if other.endswith("webp") else {}))
        assert np.array_equal(read_image(tmp_path / other).channels["Height"], grey), other
    assert np.array_equal(read_picture(tmp_path / "b.tif"), grey.astype(np.float32) * 257)
    for name in ("c.npy", "d.npy", "e.npy"):
        out = read_array(tmp_path / name)
        assert out.dtype == np.float32 and np.array_equal(out, grey), name
    channels, mode, units, aspect, width = read_image(tmp_path / "c.npy")
    assert list(channels) == ["Height"] and mode is None and units == {"Height": None}
    assert aspect is None and width is None  # no pixel size: the pixels count as square


def test_bad_files_get_one_line_reasons(tmp_path: Path) -> None:
    np.save(tmp_path / "tiny.npy", np.zeros((4, 40)))
    np.save(tmp_path / "cube.npy", np.zeros((5, 20, 20)))
    np.save(tmp_path / "words.npy", np.array([["a", "b"]] * 10))
    with open(tmp_path / "pickled.npy", "wb") as f:  # an object array: pickle inside
        np.save(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    (tmp_path / "sheet.xlsx").write_bytes(b"")
    (tmp_path / "raw.npy").write_bytes(pickle.dumps([1, 2, 3]))
    expected = {"tiny.npy": "too small", "cube.npy": "not one image",
                "words.npy": "not numbers", "pickled.npy": "not a plain numeric",
                "junk.png": "cannot identify", "sheet.xlsx": "unsupported type .xlsx",
                "raw.npy": "not a plain numeric"}
    for name, reason in expected.items():
        with pytest.raises(ValueError, match=reason) as info:
            read_image(tmp_path / name)
        assert "\n" not in str(info.value), name


def test_a_real_ibw_keeps_its_channels_and_mode(fixtures_root: Path) -> None:
    channels, mode, units, aspect, width = read_image(
        fixtures_root / "dart_pfm" / "mfp3d_dart_scan_0001.ibw")
    assert mode == "dart_pfm" and len(channels) > 3 and aspect == pytest.approx(1.0)
    assert width == pytest.approx(5e-6 / 256)  # a 5 um scan of 256 points
    assert all(a.ndim == 2 for a in channels.values()) and set(units) == set(channels)
    with pytest.raises(ValueError, match="not an image"):
        read_image(fixtures_root / "curves" / "mfp3d_fd_SiN.ibw")


def test_pixel_aspect_from_the_scan_size(fixtures_root: Path) -> None:
    """A pixel's height over its width: the scan's size along y over its rows against its
    size along x over its columns (rows are scan lines)."""
    assert pixel_aspect({"size_x_m": 10e-6, "size_y_m": 5e-6}, (512, 512)) == 0.5
    assert pixel_aspect({"size_x_m": 10e-6, "size_y_m": 5e-6}, (256, 512)) == 1.0
    for scan in (None, {}, {"size_x_m": None, "size_y_m": 1e-6}, {"size_x_m": 0, "size_y_m": 1},
                 {"size_x_m": -1e-6, "size_y_m": 1e-6}, {"size_x_m": "x", "size_y_m": 1}):
        assert pixel_aspect(scan, (64, 64)) is None, scan
    # a real partial frame: 58 of 256 lines, its y size a 58/256 share of x: square pixels
    image = read_image(fixtures_root / "non_asylum" / "matrix_stm_partial_frame.ibw")
    assert next(iter(image.channels.values())).shape == (58, 256)
    assert image.pixel_aspect == pytest.approx(1.0, rel=1e-6)
    assert image.pixel_width_m == pytest.approx(5e-9 / 256, rel=1e-6)
    assert pixel_width({"size_x_m": 0.0}, (8, 8)) is None


def test_a_colour_picture_reads_as_its_array_does(tmp_path: Path) -> None:
    """Colour is the mean of R, G and B, as a colour array is read by the models
    (`symcat.embed.run.as_grey`, `symmetry.lattice.as_grey`): same file, same answer."""
    from symcat.embed.run import as_grey
    from symcat.embed.symmetry.lattice import as_grey as lattice_grey

    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (24, 30, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    Image.fromarray(np.dstack([rgb, np.full((24, 30), 255, np.uint8)])).save(tmp_path / "d.png")
    Image.fromarray(rgb).convert("P").save(tmp_path / "e.png")  # a palette picture
    for name in ("c.png", "d.png"):
        read = read_picture(tmp_path / name)
        assert np.allclose(read, as_grey(rgb)) and np.allclose(read, lattice_grey(rgb)), name
    palette = np.asarray(Image.open(tmp_path / "e.png").convert("RGB"))
    assert np.allclose(read_picture(tmp_path / "e.png"), palette.mean(-1))


def test_damaged_files_read_or_give_a_reason(tmp_path: Path) -> None:
    """Fuzz: flipped bytes, cut files and inserted junk in a .npy, a PNG and a TIFF: each
    reads to an image or fails with ValueError, never another exception or a warning.

    Warnings are errors while the files are read; the garbage of earlier tests is
    collected before and not during (a database connection a test left open warns when
    collected, which is not the reader's warning)."""
    import gc
    import io
    import warnings

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    originals = {}
    for suffix, save in ((".npy", lambda b: np.save(b, pixels.astype(np.float32))),
                         (".png", lambda b: Image.fromarray(pixels).save(b, format="PNG")),
                         (".tif", lambda b: Image.fromarray(pixels.astype(np.uint16) * 257)
                          .save(b, format="TIFF"))):
        buffer = io.BytesIO()
        save(buffer)
        originals[suffix] = buffer.getvalue()
    outcomes = {"ok": 0, "refused": 0}
    gc.collect()
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for suffix, data in originals.items():
                for k in range(120):
                    damaged = bytearray(data)
                    if k % 3 == 0:
                        for at in rng.integers(0, len(damaged), rng.integers(1, 8)):
                            damaged[at] = int(rng.integers(256))
                    elif k % 3 == 1:
                        damaged = damaged[: int(rng.integers(len(damaged)))]
                    else:
                        at = int(rng.integers(len(damaged)))
                        damaged[at:at] = rng.integers(0, 256, int(rng.integers(1, 50))).astype(
                            np.uint8).tobytes()
                    path = tmp_path / f"damaged{suffix}"
                    path.write_bytes(bytes(damaged))
                    try:
                        image = read_image(path)[0]["Height"]
                        assert image.ndim == 2 and min(image.shape) >= 8
                        outcomes["ok"] += 1
                    except ValueError as exc:
                        assert str(exc) and "\n" not in str(exc)
                        outcomes["refused"] += 1
    finally:
        gc.enable()
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0

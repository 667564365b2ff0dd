"""The batched torch preprocessing (the GPU path) against the numpy reference.

Inputs are rendered DART-PFM scenes stored as the catalog stores them (uint16 between min
and max), at the stored size, upsampled and downsampled. Outputs must match the
reference to float rounding: at most one grey level, on a tiny fraction of pixels.
Runs on CPU torch, and on CUDA where there is a GPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symcat.embed import preprocess as ref  # noqa: E402
from symcat.embed import preprocess_torch as tp  # noqa: E402
from symcat.ingest.synth.domains import CLASSES, random_scene, render  # noqa: E402
from symcat.store.pixels import dequantize_u16, quantize_u16  # noqa: E402

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
KIND = {"plain": tp.PLAIN, "height": tp.HEIGHT, "phase": tp.PHASE}


def _stored_scenes(count: int, points: int, lines: int, seed: int) -> list[list[tuple]]:
    """Scenes as stored channels: (name, unit, shape, lo, hi, uint16 bytes)."""
    rng = np.random.default_rng(seed)
    scans = []
    for i in range(count):
        scene = random_scene(CLASSES[i % len(CLASSES)], rng, points=points, lines=lines)
        channels = []
        for name, pixels in render(scene, rng).layers().items():
            lo, hi = float(np.nanmin(pixels)), float(np.nanmax(pixels))
            unit = "deg" if name.startswith("Phase") else "m"
            channels.append((f"{name}Retrace", unit, pixels.shape, lo, hi,
                             quantize_u16(pixels, lo, hi)))
        scans.append(channels)
    return scans


def _both(scans: list[list[tuple]], size: int, device: str) -> tuple[np.ndarray, np.ndarray]:
    """(numpy reference, torch batched) uint8 images (n, 3, size, size) of stored scans."""
    expected, raw, lo, hi, kind, period = [], [], [], [], [], []
    for channels in scans:
        stored = [ref.StoredChannel(c[0], c[1], dequantize_u16(c[5], c[2], c[3], c[4]))
                  for c in channels]
        chosen = ref.choose_channels("dart_pfm", stored)
        expected.append(ref.preprocess("dart_pfm", chosen, size))
        for channel in chosen:
            c = next(c for c in channels if c[0] == channel.name)
            raw.append(np.frombuffer(c[5], "<i2").reshape(c[2]))
            lo.append(c[3])
            hi.append(c[4])
            role, cycle = ref.channel_role(c[0], c[1])
            kind.append(KIND[role])
            period.append(cycle or 0.0)
    f64 = dict(dtype=torch.float64, device=device)
    x = tp.dequantize(torch.from_numpy(np.stack(raw)).to(device), torch.tensor(lo, **f64),
                      torch.tensor(hi, **f64))
    got = tp.prepare_planes(x, torch.tensor(kind, device=device), torch.tensor(period, **f64),
                            size)
    return np.stack(expected), got.view(-1, 3, size, size).cpu().numpy()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("points", "lines", "size"),
                         [(256, 256, 256), (128, 96, 256), (512, 512, 256), (300, 200, 224)])
def test_batched_matches_the_reference(points: int, lines: int, size: int, device: str) -> None:
    expected, got = _both(_stored_scenes(6, points, lines, seed=points + lines), size, device)
    difference = np.abs(expected.astype(np.int16) - got.astype(np.int16))
    assert difference.max() <= 1
    assert (difference > 0).mean() < 1e-3


@pytest.mark.parametrize("device", DEVICES)
def test_steps_match_the_reference_to_float_rounding(device: str) -> None:
    rng = np.random.default_rng(5)
    yy, xx = np.indices((64, 80))
    height = (3.0 * xx - 2.0 * yy + rng.normal(0, 5, (64, 1)) + rng.normal(0, 1, (64, 80)))
    levelled = tp.level_height(torch.tensor(height[None], dtype=torch.float32, device=device))
    assert np.allclose(levelled[0].cpu().numpy(), ref.level_height(height.astype(np.float32)),
                       atol=1e-4)
    # Radians, two domains across the wrap: both cut in the same empty arc.
    phase = (np.where(rng.random((64, 64)) < 0.5, 3.1, -3.1)
             + rng.normal(0, 0.02, (64, 64))).astype(np.float32)
    period = torch.tensor([ref.PHASE_PERIOD["rad"]], dtype=torch.float64, device=device)
    unwrapped = tp.unwrap_phase(torch.tensor(phase[None], device=device), period)
    assert np.allclose(unwrapped[0].cpu().numpy(), ref.unwrap_phase(phase, 2 * np.pi),
                       atol=1e-5)
    planes = torch.tensor(np.stack([np.ones((8, 8)), np.arange(64.0).reshape(8, 8)]),
                          dtype=torch.float32, device=device)
    scaled = tp.robust_scale(planes).cpu().numpy()
    assert (scaled[0] == ref.PAD_VALUE).all()  # no contrast: mid-grey, as the reference
    assert np.allclose(scaled[1], ref.robust_scale(np.arange(64.0).reshape(8, 8)), atol=1e-6)


def test_dequantize_matches_the_stored_form() -> None:
    rng = np.random.default_rng(3)
    pixels = rng.normal(size=(2, 16, 16)).astype(np.float32)
    lo, hi = float(pixels.min()), float(pixels.max())
    stored = [quantize_u16(p, lo, hi) for p in pixels] + [quantize_u16(pixels[0], 1.0, 1.0)]
    raw = torch.from_numpy(np.stack([np.frombuffer(b, "<i2").reshape(16, 16) for b in stored]))
    bounds = torch.tensor([lo, lo, 1.0], dtype=torch.float64)
    top = torch.tensor([hi, hi, 1.0], dtype=torch.float64)
    got = tp.dequantize(raw, bounds, top).numpy()
    for i, (a, b) in enumerate(((lo, hi), (lo, hi), (1.0, 1.0))):
        assert np.array_equal(got[i], dequantize_u16(stored[i], (16, 16), a, b))


def test_catalog_rows_give_the_same_images_both_ways(catalog, tmp_path: Path) -> None:
    """Worker-side numpy preprocessing and the raw read + batched path agree on real rows."""
    from sqlalchemy import select, text

    from symcat.embed.loading import device_images
    from symcat.embed.run import _batches
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.store.models import Scan

    generate_dataset(tmp_path, 6, seed=4, points=64)
    catalog.ingest([tmp_path], jobs=1)
    with catalog.engine.begin() as conn:
        ids = list(conn.execute(select(Scan.id).order_by(Scan.id)).scalars())
        # One scan with a channel lacking min and max takes the reference path in the worker.
        conn.execute(text("UPDATE channels SET min = NULL, max = NULL "
                          "WHERE scan_id = :s AND name LIKE 'Phase1%'"), {"s": ids[0]})
    batches = [ids[:4], ids[4:]]
    reference = list(_batches(catalog.engine, batches, 96, 0, False))
    raw = list(_batches(catalog.engine, batches, 96, 0, False, raw=True))
    assert raw[0].ready_positions == [0]
    for (ref_ids, ref_images, _), batch in zip(reference, raw, strict=True):
        assert batch.ids == ref_ids
        got = device_images(batch, 96, "cpu").numpy()
        difference = np.abs(got.astype(np.int16) - ref_images.numpy().astype(np.int16))
        assert difference.max() <= 1 and (difference > 0).mean() < 1e-3


def test_planes_read_into_a_loading_slot_match_fresh_memory(catalog, tmp_path: Path) -> None:
    """Planes copied into a reused slot as their rows arrive give the images that planes in
    fresh shared memory give, and those of the numpy reference path; a slot given back
    is taken again by the next batch."""
    from sqlalchemy import select

    from symcat.embed.loading import device_groups, read_raw_batch
    from symcat.embed.run import _batches
    from symcat.embed.slots import Slots
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.store.models import Scan

    generate_dataset(tmp_path, 5, seed=9, points=48)
    catalog.ingest([tmp_path], jobs=1)
    with catalog.engine.connect() as conn:
        ids = list(conn.execute(select(Scan.id).order_by(Scan.id)).scalars())
    (ref_ids, ref_images, _), = _batches(catalog.engine, [ids], 64, 0, False)
    reference = dict(zip(ref_ids, ref_images, strict=True))
    slots = Slots(1, 2 * 3 * len(ids) * 48 * 48, pin=False)
    raw = catalog.engine.raw_connection()
    try:
        for _ in range(2):  # the second read reuses the slot the first gave back
            fresh = read_raw_batch(raw.driver_connection, ids, 64)
            slotted = read_raw_batch(raw.driver_connection, ids, 64, slots)
            assert slotted.slot == 0 and slotted.groups[0].pixels is None
            assert fresh.slot is None and fresh.groups[0].pixels is not None
            got = dict(zip(slotted.ids, (img for _, group in device_groups(
                slotted, 64, "cpu", slots) for img in group), strict=True))
            want = dict(zip(fresh.ids, (img for _, group in device_groups(
                fresh, 64, "cpu") for img in group), strict=True))
            assert got.keys() == want.keys() and len(got) == len(ids)
            for scan_id, image in want.items():
                assert torch.equal(got[scan_id], image)
                difference = np.abs(image.numpy().astype(np.int16)
                                    - reference[scan_id].numpy().astype(np.int16))
                assert difference.max() <= 1 and (difference > 0).mean() < 1e-3
            slots.give_back(slotted.slot)
    finally:
        raw.close()
        slots.close()

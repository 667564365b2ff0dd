"""Loading for GPU inference: workers read stored pixels; the device preprocesses them.

On a GPU, `symcat embed` leaves the loading processes only the database read and the
uint16 decode (`read_raw_batch`): the three chosen channels of each scan go, as their
stored 16-bit codes with min and max, into shared-memory tensors grouped by image shape.
The inference process then de-quantizes, levels, unwraps, scales, resizes and
quantizes whole groups at once on the device (`device_images`, by
`symcat.embed.preprocess_torch`). A scan the batched path does not cover (a channel
without a finite min and max, or chosen channels of different shapes) is preprocessed
in the worker by the numpy reference, so every scan gets the same recipe.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from symcat.embed.native import Sizing, prepare
from symcat.embed.preprocess import (
    NoUsableChannel,
    StoredChannel,
    channel_role,
    choose_channels,
)
from symcat.embed.preprocess_torch import HEIGHT, PHASE, PLAIN, dequantize, prepare_planes
from symcat.embed.slots import Slots, nbytes_of
from symcat.store.pixels import dequantize_u16

ROLE_KIND = {"plain": PLAIN, "height": HEIGHT, "phase": PHASE}

HEADS_SQL = (
    "SELECT c.scan_id, s.imaging_mode, c.index, c.name, c.unit, c.shape, c.min, c.max "
    "FROM channels c JOIN scans s ON s.id = c.scan_id "
    "WHERE c.scan_id = ANY(%s) ORDER BY c.scan_id, c.index"
)
PIXELS_SQL = (
    "SELECT c.scan_id, c.index, c.pixels_u16 FROM channels c "
    "JOIN unnest(%s::uuid[], %s::int[]) AS w(scan_id, index) "
    "ON c.scan_id = w.scan_id AND c.index = w.index"
)


@dataclass
class PlaneGroup:
    """Scans of one image shape: 3 planes each, as stored (uint16 bits in int16)."""

    positions: list[int]  # rows of the batch these scans fill
    pixels: torch.Tensor | None  # int16 (3 g, H, W); None: in the batch's slot, at `offset`
    lo: torch.Tensor  # float64 (3 g,)
    hi: torch.Tensor  # float64 (3 g,)
    kind: torch.Tensor  # int64 (3 g,): PLAIN, HEIGHT, PHASE
    period: torch.Tensor  # float64 (3 g,), for PHASE planes
    shape: tuple[int, ...] = ()  # (3 g, H, W)
    offset: int = 0  # bytes into the batch's slot, when pixels is None


@dataclass
class RawBatch:
    """One batch as a loading worker hands it over (picklable; tensors in shared memory)."""

    ids: list[uuid.UUID]
    skipped: list[tuple[Any, str]]
    groups: list[PlaneGroup]
    ready_positions: list[int] = field(default_factory=list)
    ready: list[torch.Tensor] = field(default_factory=list)  # uint8 (3, h, w), in the worker
    seconds: dict[str, float] = field(default_factory=dict)  # worker time: read, decode
    slot: int | None = None  # the `Slots` buffer holding the groups whose pixels are None

    def pin_memory(self) -> RawBatch:
        """Called by the DataLoader's pinning thread: page-locked copies for fast copies
        (groups in a slot are page-locked already)."""
        groups = [g if g.pixels is None else replace(g, pixels=g.pixels.pin_memory())
                  for g in self.groups]
        return replace(self, groups=groups, ready=[r.pin_memory() for r in self.ready])


@dataclass
class _Head:
    index: int
    name: str
    unit: str | None
    shape: tuple[int, ...]
    lo: float | None
    hi: float | None


def read_raw_batch(raw_conn: Any, scan_ids: Sequence[uuid.UUID], size: Sizing,
                   slots: Slots | None = None) -> RawBatch:
    """Read the chosen channels of `scan_ids` (psycopg connection) into a RawBatch, its
    planes into a free slot of `slots` where they fit."""
    started = time.perf_counter()
    modes: dict[uuid.UUID, str | None] = {}
    heads: dict[uuid.UUID, list[_Head]] = {}
    with raw_conn.cursor() as cursor:
        for row in cursor.execute(HEADS_SQL, (list(scan_ids),)):
            modes[row[0]] = row[1]
            heads.setdefault(row[0], []).append(
                _Head(row[2], row[3], row[4], tuple(row[5]), row[6], row[7]))
    ids: list[uuid.UUID] = []
    skipped: list[tuple[Any, str]] = []
    chosen: list[list[_Head]] = []
    for scan_id in scan_ids:
        try:
            picked = _choose(modes.get(scan_id), heads.get(scan_id, []))
        except NoUsableChannel as exc:
            skipped.append((scan_id, str(exc)))
            continue
        ids.append(scan_id)
        chosen.append(picked)
    wanted = sorted({(scan_id, h.index) for scan_id, hs in zip(ids, chosen, strict=True)
                     for h in hs})
    pixels: dict[tuple[uuid.UUID, int], bytes] = {}
    if wanted:
        with raw_conn.cursor(binary=True) as cursor:
            cursor.execute(PIXELS_SQL, ([k[0] for k in wanted], [k[1] for k in wanted]))
            for scan_id, index, data in cursor:
                pixels[(scan_id, index)] = data
    read = time.perf_counter()
    batch = _assemble(ids, skipped, chosen, pixels, modes, size, slots)
    batch.seconds = {"read": read - started, "decode": time.perf_counter() - read}
    return batch


def _choose(mode: str | None, heads: list[_Head]) -> list[_Head]:
    """The three channels `choose_channels` picks, decided on stand-ins of the right shape."""
    stand_ins = [StoredChannel(h.name, h.unit, np.empty(h.shape, np.uint8)) for h in heads]
    picked = choose_channels(mode, stand_ins)
    by_id = {id(s): h for s, h in zip(stand_ins, heads, strict=True)}
    return [by_id[id(s)] for s in picked]


def _batched(heads: list[_Head]) -> bool:
    """Whether the device path covers this scan: one 2-D shape, finite min and max."""
    return len({h.shape for h in heads}) == 1 and all(
        h.lo is not None and h.hi is not None and np.isfinite(h.lo) and np.isfinite(h.hi)
        for h in heads)


def _assemble(
    ids: list[uuid.UUID], skipped: list[tuple[Any, str]], chosen: list[list[_Head]],
    pixels: dict[tuple[uuid.UUID, int], bytes], modes: dict[uuid.UUID, str | None],
    size: Sizing, slots: Slots | None = None,
) -> RawBatch:
    by_shape: dict[tuple[int, ...], list[int]] = {}
    others: list[int] = []
    for position, heads in enumerate(chosen):
        if _batched(heads):
            by_shape.setdefault(heads[0].shape, []).append(position)
        else:
            others.append(position)
    slot = slots.take() if slots is not None and by_shape else None
    offset = 0
    groups = []
    for shape, positions in by_shape.items():
        planes_shape = (3 * len(positions), *shape)
        size_bytes = nbytes_of(torch.int16, planes_shape)
        place = None
        if slot is not None and slots is not None and slots.fits(offset, size_bytes):
            place = (slots.view(slot, offset, torch.int16, planes_shape), offset)
            offset += -(-size_bytes // 64) * 64
        groups.append(_group(positions, [ids[p] for p in positions],
                             [chosen[p] for p in positions], pixels, shape, place))
    if slot is not None and slots is not None and offset == 0:
        slots.give_back(slot)
        slot = None
    ready = []
    for p in others:
        channels = [StoredChannel(h.name, h.unit, dequantize_u16(
            pixels[(ids[p], h.index)], h.shape, h.lo, h.hi)) for h in chosen[p]]
        ready.append(torch.from_numpy(prepare(modes.get(ids[p]), channels, size))
                     .share_memory_())
    return RawBatch(ids, skipped, groups, others, ready, slot=slot)


def _group(
    positions: list[int], ids: list[uuid.UUID], chosen: list[list[_Head]],
    pixels: dict[tuple[uuid.UUID, int], bytes], shape: tuple[int, ...],
    place: tuple[torch.Tensor, int] | None = None,
) -> PlaneGroup:
    """The group's planes in `place` (a slot's view and its offset), else in fresh shared
    memory."""
    planes = (place[0] if place is not None
              else torch.empty((3 * len(positions), *shape), dtype=torch.int16).share_memory_())
    view = planes.numpy()
    lo, hi, kind, period = [], [], [], []
    for i, (scan_id, heads) in enumerate(zip(ids, chosen, strict=True)):
        for j, head in enumerate(heads):
            view[3 * i + j] = np.frombuffer(pixels[(scan_id, head.index)], "<i2").reshape(shape)
            role, cycle = channel_role(head.name, head.unit)
            lo.append(head.lo)
            hi.append(head.hi)
            kind.append(ROLE_KIND[role])
            period.append(cycle or 0.0)
    f64 = torch.float64
    return PlaneGroup(positions, None if place is not None else planes,
                      lo=torch.tensor(lo, dtype=f64), hi=torch.tensor(hi, dtype=f64),
                      kind=torch.tensor(kind), period=torch.tensor(period, dtype=f64),
                      shape=tuple(planes.shape), offset=place[1] if place is not None else 0)


def device_groups(
    batch: RawBatch, size: Sizing, device: str | torch.device, slots: Slots | None = None,
) -> list[tuple[list[int], torch.Tensor]]:
    """The batch's uint8 images on `device` as (positions in batch.ids, (g, 3, h, w)) groups.

    One group per stored shape (preprocessed together), one per scan the workers
    preprocessed; under a fixed size all groups have the same image shape. Groups in a
    slot are copied from `slots`; the caller frees the slot once the copies are done.
    """
    out = []
    copies = copy_stream(device)
    for group in batch.groups:
        if group.pixels is None:
            if slots is None or batch.slot is None:
                raise ValueError("a batch in a loading slot needs the run's slots")
            slots.ready(batch.slot)
            source = slots.view(batch.slot, group.offset, torch.int16, group.shape)
        else:
            source = group.pixels
        if copies is not None:  # the copy overlaps the previous batch's network
            with torch.cuda.stream(copies):
                pixels = source.to(device, non_blocking=True)
            torch.cuda.current_stream().wait_stream(copies)
            pixels.record_stream(torch.cuda.current_stream())
        else:
            pixels = source.to(device, non_blocking=True)
        # small host tensors copied without blocking: a blocking copy waits for every kernel
        # queued before it (the previous batch's network), and the GPU would idle while
        # the host queues this batch
        x = dequantize(pixels, group.lo.to(device, non_blocking=True),
                       group.hi.to(device, non_blocking=True))
        planes = prepare_planes(x, group.kind, group.period.to(device, non_blocking=True),
                                size)
        out.append((group.positions, planes.view(-1, 3, *planes.shape[1:])))
    for position, image in zip(batch.ready_positions, batch.ready, strict=True):
        out.append(([position], image.to(device, non_blocking=True)[None]))
    return out


_COPY_STREAMS: dict[Any, Any] = {}


def copy_stream(device: str | torch.device) -> Any:
    """A side CUDA stream for the pixels' copies to `device` (None off CUDA)."""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    if device not in _COPY_STREAMS:
        _COPY_STREAMS[device] = torch.cuda.Stream(device)
    return _COPY_STREAMS[device]


def device_images(batch: RawBatch, size: int, device: str | torch.device) -> torch.Tensor:
    """The batch's uint8 images (n, 3, size, size) on `device`, in the order of batch.ids."""
    out = torch.empty((len(batch.ids), 3, size, size), dtype=torch.uint8, device=device)
    for positions, images in device_groups(batch, size, device):
        out.index_copy_(0, torch.tensor(positions, device=device), images)
    return out

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

import ctypes
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import psycopg
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
    planes into a free slot of `slots` where they fit.

    The planes' places are laid out from the channels' heads first, and each stored plane
    is copied into its place as its row arrives (`_receive`): holding a whole batch's
    rows first (100-200 MB at 512 px) cost more than the database's own read."""
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
    layout = _Layout(ids, chosen, slots)
    try:
        _receive(raw_conn, layout)
        read = time.perf_counter()
        batch = layout.batch(skipped, modes, size)
    except BaseException:
        if layout.slot is not None and slots is not None:
            slots.give_back(layout.slot)  # other workers would wait for it
        raise
    batch.seconds = {"read": read - started, "decode": time.perf_counter() - read}
    return batch


def _receive(raw_conn: Any, layout: _Layout) -> None:
    """Fetch the wanted planes, each copied to its place in `layout` as it arrives."""
    wanted = layout.wanted()
    if not wanted:
        return
    chunked = {"size": STREAM_ROWS} if psycopg.pq.version() >= 170000 else {}
    with raw_conn.cursor(binary=True) as cursor:
        for scan_id, index, data in cursor.stream(
                PIXELS_SQL, ([k[0] for k in wanted], [k[1] for k in wanted]), **chunked):
            layout.put(scan_id, index, data)


def keep_freed_memory() -> None:
    """Have this process (a loading worker) keep freed memory for reuse (glibc only).

    Each stored plane arrives in buffers of its own size (512 KB at 512 px). glibc maps
    blocks that large from the kernel and unmaps them when freed, so every plane was
    faulted in afresh, page by page: at 512 px that was most of the plain read's CPU
    time on the VM (`benchmarks/pixel_read.py`)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest
        libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)
    except (OSError, AttributeError):  # not glibc: its own policy stays
        pass


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


# Rows libpq hands over at a time (libpq 17 or later; one at a time before): a few
# planes, so the receiving memory is reused instead of a whole batch's worth being
# faulted in and freed each batch.
STREAM_ROWS = 8


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


class _Layout:
    """Where each chosen plane of a batch goes: scans of one stored shape with finite
    ranges into one int16 group (in a loading slot where it fits, else fresh shared
    memory); other scans' planes are kept as bytes for the numpy preprocessing."""

    def __init__(self, ids: list[uuid.UUID], chosen: list[list[_Head]],
                 slots: Slots | None) -> None:
        self.ids, self.chosen = ids, chosen
        by_shape: dict[tuple[int, ...], list[int]] = {}
        self.others: list[int] = []
        for position, heads in enumerate(chosen):
            if _batched(heads):
                by_shape.setdefault(heads[0].shape, []).append(position)
            else:
                self.others.append(position)
        self.slot = slots.take() if slots is not None and by_shape else None
        offset = 0
        self.groups: list[tuple[list[int], torch.Tensor, int | None]] = []
        self.places: dict[tuple[uuid.UUID, int], np.ndarray] = {}
        for shape, positions in by_shape.items():
            planes_shape = (3 * len(positions), *shape)
            size_bytes = nbytes_of(torch.int16, planes_shape)
            if self.slot is not None and slots is not None and slots.fits(offset, size_bytes):
                planes = slots.view(self.slot, offset, torch.int16, planes_shape)
                place: int | None = offset
                offset += -(-size_bytes // 64) * 64
            else:
                planes = torch.empty(planes_shape, dtype=torch.int16).share_memory_()
                place = None
            view = planes.numpy()
            for i, p in enumerate(positions):
                for j, head in enumerate(chosen[p]):
                    self.places[(ids[p], head.index)] = view[3 * i + j]
            self.groups.append((positions, planes, place))
        if self.slot is not None and slots is not None and offset == 0:
            slots.give_back(self.slot)
            self.slot = None
        self.loose: dict[tuple[uuid.UUID, int], bytes] = {}

    def wanted(self) -> list[tuple[uuid.UUID, int]]:
        return sorted({(self.ids[p], h.index) for p, hs in enumerate(self.chosen)
                       for h in hs})

    def put(self, scan_id: uuid.UUID, index: int, data: bytes) -> None:
        place = self.places.pop((scan_id, index), None)
        if place is None:
            self.loose[(scan_id, index)] = data
            return
        stored = np.frombuffer(data, "<i2")
        if stored.size != place.size:
            raise ValueError(f"scan {scan_id} channel {index}: {len(data)} bytes of pixels "
                             f"stored for a {place.shape} plane")
        place[...] = stored.reshape(place.shape)

    def batch(self, skipped: list[tuple[Any, str]], modes: dict[uuid.UUID, str | None],
              size: Sizing) -> RawBatch:
        if self.places:  # a channel gone between the two queries (deleted meanwhile)
            scan_id, index = next(iter(self.places))
            raise ValueError(f"scan {scan_id} channel {index}: its pixels were not found "
                             "(deleted while it was being embedded?)")
        groups = [_group(positions, [self.chosen[p] for p in positions], planes, place)
                  for positions, planes, place in self.groups]
        ready = []
        for p in self.others:
            channels = [StoredChannel(h.name, h.unit, dequantize_u16(
                self.loose[(self.ids[p], h.index)], h.shape, h.lo, h.hi))
                for h in self.chosen[p]]
            ready.append(torch.from_numpy(prepare(modes.get(self.ids[p]), channels, size))
                         .share_memory_())
        return RawBatch(self.ids, skipped, groups, self.others, ready, slot=self.slot)


def _group(positions: list[int], chosen: list[list[_Head]], planes: torch.Tensor,
           place: int | None) -> PlaneGroup:
    """The group's description: its planes are in a slot at byte `place`, or `planes`."""
    lo, hi, kind, period = [], [], [], []
    for heads in chosen:
        for head in heads:
            role, cycle = channel_role(head.name, head.unit)
            lo.append(head.lo)
            hi.append(head.hi)
            kind.append(ROLE_KIND[role])
            period.append(cycle or 0.0)
    f64 = torch.float64
    return PlaneGroup(positions, None if place is not None else planes,
                      lo=torch.tensor(lo, dtype=f64), hi=torch.tensor(hi, dtype=f64),
                      kind=torch.tensor(kind), period=torch.tensor(period, dtype=f64),
                      shape=tuple(planes.shape), offset=place if place is not None else 0)


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

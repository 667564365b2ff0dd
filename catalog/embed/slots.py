"""Reusable shared, page-locked buffers that loading workers fill and the GPU copies from.

Without them every raw batch costs the host three passes over its pixels besides the
read itself: a fresh shared-memory tensor in the worker (whose pages the kernel must
fault in and zero), the DataLoader's copy into page-locked memory in the main process,
and the copy to the device. At 512 px that is 1.5 MB a scan, and on the H200 machine the
loading path, not the network, set the pace before slots (RESULTS.md, GPU end to end;
with them the network does). Slots are allocated once per run and registered with CUDA
slot by slot while the first batches are read and run; a worker takes a free slot,
writes its batch's planes into it and hands over only the slot number; the main process
copies from the slot to the device and frees the slot once that copy has completed. A
batch that does not fit a slot (larger scans) takes the old path.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import queue
import threading
from typing import Any

import torch

log = logging.getLogger(__name__)

# At most this much host memory is pinned for slots (or an eighth of the machine's).
MAX_PINNED_BYTES = 4 << 30
# How long a worker waits for a free slot before taking the old path (never deadlocks).
WAIT_SECONDS = 30.0


def nbytes_of(dtype: torch.dtype, shape: tuple[int, ...]) -> int:
    return torch.Size(shape).numel() * torch.empty((), dtype=dtype).element_size()


class Slots:
    """`count` shared buffers of `nbytes` each; `pin` registers them with CUDA."""

    def __init__(self, count: int, nbytes: int, pin: bool) -> None:
        self.count = count
        self.nbytes = nbytes
        # Anonymous shared memory, which forked workers inherit: its pages come on first
        # touch (page-locking them, a worker's first write), not here. torch's shared
        # storage wrote every page at once: 0.3-0.6 s of a 512-px run's setup on the
        # H200, 1.3 s for 3 GB on the 2-core VM; and it lives in /dev/shm, which a
        # container may cap at 64 MB.
        self._memory = mmap.mmap(-1, count * nbytes, flags=mmap.MAP_SHARED)
        self.buffer = torch.frombuffer(self._memory, dtype=torch.uint8)
        self._pinning: threading.Thread | None = None
        self._pin_wanted = pin
        self._locked = [threading.Event() for _ in range(count)]  # set: done, or not wanted
        self._pinned = [False] * count
        self._stop = threading.Event()  # a short run ends before every slot is locked
        if not pin:
            for done in self._locked:
                done.set()
        self.free: Any = multiprocessing.get_context("fork").Queue()
        for slot in range(count):
            self.free.put(slot)

    def start_pinning(self) -> None:
        """Page-lock the slots one by one in a thread, in the order workers take them
        first. Call it once the model is on the device: page-locking holds CUDA's lock,
        and a model copied meanwhile waited for all of it (1 s of a 4.8 s run at 512 px,
        RESULTS.md); forking while pages are being locked stalls on the address space."""
        if self._pin_wanted and self._pinning is None and not self._locked[-1].is_set():
            self._pinning = threading.Thread(target=self._pin, name="symcat-pin-slots",
                                             daemon=True)
            self._pinning.start()

    def _pin(self) -> None:
        cudart = torch.cuda.cudart()
        for slot in range(self.count):
            if self._stop.is_set():
                for rest in self._locked[slot:]:
                    rest.set()
                return
            start = self.buffer.data_ptr() + slot * self.nbytes
            rc = cudart.cudaHostRegister(start, self.nbytes, 0)
            self._pinned[slot] = int(rc) == 0
            self._locked[slot].set()
            if not self._pinned[slot]:
                log.warning("could not page-lock a %d MB loading slot (CUDA error %s); "
                            "copies to the GPU from it will be slower", self.nbytes >> 20, rc)

    def ready(self, slot: int | None = None) -> None:
        """Wait until `slot` (default: every slot) is page-locked, or was tried. An
        unlocked slot still works: its copy is a slower, synchronous one."""
        if slot is not None:
            if self._pinning is not None:
                self._locked[slot].wait()
            return
        if self._pinning is not None:
            self._pinning.join()
            self._pinning = None

    @classmethod
    def for_run(cls, workers: int, prefetch: int, batch_bytes: int, pin: bool
                ) -> Slots | None:
        """Slots for the batches a DataLoader can have in flight (workers x prefetch) plus
        three the main process may still hold (the batch in hand and copies not yet
        done); None when that would pin too much memory."""
        count = workers * prefetch + 3
        try:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):
            ram = 16 << 30
        if batch_bytes <= 0 or count * batch_bytes > min(MAX_PINNED_BYTES, ram // 8):
            return None
        return cls(count, batch_bytes, pin)

    def take(self) -> int | None:
        """A free slot's number (in a worker), or None after WAIT_SECONDS."""
        try:
            return int(self.free.get(timeout=WAIT_SECONDS))
        except queue.Empty:
            return None

    def view(self, slot: int, offset: int, dtype: torch.dtype, shape: tuple[int, ...]
             ) -> torch.Tensor:
        """Bytes `offset`... of `slot` as a tensor of `shape` (must fit: see `fits`)."""
        size = nbytes_of(dtype, shape)
        if not self.fits(offset, size):
            raise ValueError(f"{shape} {dtype} at {offset} does not fit a {self.nbytes}-byte slot")
        start = slot * self.nbytes + offset
        return self.buffer[start : start + size].view(dtype).view(shape)

    def fits(self, offset: int, size: int) -> bool:
        return offset % 64 == 0 and offset + size <= self.nbytes

    def give_back(self, slot: int) -> None:
        self.free.put(slot)

    def close(self) -> None:
        self._stop.set()
        self.ready()
        for slot, pinned in enumerate(self._pinned):
            if pinned:
                torch.cuda.cudart().cudaHostUnregister(self.buffer.data_ptr() + slot * self.nbytes)
                self._pinned[slot] = False
        self.free.close()

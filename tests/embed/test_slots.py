"""Loading slots page-locked slot by slot (GPU only; the CPU path never pins)."""

from __future__ import annotations

import pytest
import torch

from symcat.embed.slots import Slots

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
def test_each_slot_is_usable_once_its_own_page_locking_is_done() -> None:
    slots = Slots(6, 8 << 20, pin=True)
    slots.start_pinning()
    for slot in (0, 3, 5):
        slots.ready(slot)
        assert slots._locked[slot].is_set()
        view = slots.view(slot, 0, torch.int16, (4, 1024))
        view.copy_(torch.arange(4096, dtype=torch.int16).view(4, 1024))
        on_device = view.to("cuda", non_blocking=True)
        torch.cuda.synchronize()
        assert torch.equal(on_device.cpu(), view)
    slots.close()
    assert not any(slots._pinned)  # unregistered


@needs_cuda
def test_a_run_that_ends_early_does_not_wait_to_lock_every_slot() -> None:
    slots = Slots(64, 32 << 20, pin=True)
    slots.start_pinning()
    slots.ready(0)
    slots.close()  # stops the thread; slots never reached are marked done, not locked
    assert all(done.is_set() for done in slots._locked)
    assert not any(slots._pinned)


def test_unpinned_slots_are_ready_at_once() -> None:
    slots = Slots(3, 1 << 20, pin=False)
    slots.start_pinning()  # nothing to do
    for slot in range(3):
        slots.ready(slot)
    assert slots._pinning is None
    slots.close()

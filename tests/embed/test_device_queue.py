"""A batch's copies, preprocessing and network are queued on the GPU without the host
waiting for the GPU (GPU only: on the CPU there is nothing to wait for). A blocking copy
or a value read back between batches would leave the GPU idle while the host queues the
next batch, the gap measured in benchmarks/RESULTS.md (session 12)."""

from __future__ import annotations

import pytest
import torch

from symcat.embed.extractors import forward_groups_tensor
from symcat.embed.loading import PlaneGroup, RawBatch, device_groups
from symcat.embed.preprocess_torch import HEIGHT, PHASE, PLAIN

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def batch(n: int, side: int) -> RawBatch:
    g = torch.Generator().manual_seed(n)
    pixels = torch.randint(-(1 << 15), 1 << 15, (3 * n, side, side), generator=g,
                           dtype=torch.int32).to(torch.int16)
    group = PlaneGroup(
        positions=list(range(n)), pixels=pixels.pin_memory(),
        lo=torch.full((3 * n,), -1e-9, dtype=torch.float64),
        hi=torch.full((3 * n,), 1e-9, dtype=torch.float64),
        kind=torch.tensor([HEIGHT, PLAIN, PHASE] * n), period=torch.full((3 * n,), 360.0,
                                                                         dtype=torch.float64),
        shape=(3 * n, side, side))
    return RawBatch(ids=[None] * n, skipped=[], groups=[group])


@needs_cuda
@pytest.mark.parametrize("native", [False, True], ids=["cudnn", "native-depthwise"])
def test_queueing_a_batch_never_waits_for_the_gpu(native: bool) -> None:
    from symcat.embed.depthwise import native_depthwise
    from symcat.embed.registry import create_extractor, get_cfg

    extractor = create_extractor("effnet_lite0_4tap_native.in1k", device="cuda")
    sizing = get_cfg("effnet_lite0_4tap_native.in1k").sizing
    raw = batch(4, 256)
    warm = forward_groups_tensor(extractor, device_groups(raw, sizing, "cuda"), 4, "cuda")
    if native:
        assert native_depthwise(extractor) > 0
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any synchronizing call raises
    try:
        vectors = forward_groups_tensor(extractor, device_groups(raw, sizing, "cuda"), 4,
                                        "cuda")
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.allclose(vectors, warm, atol=1e-3, rtol=1e-3)

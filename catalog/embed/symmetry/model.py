"""ResNet classifier of the 17 plane groups, with its input policy built in.

The network owns its preprocessing (grey conversion, square crop, resize, per-image
standardisation and optional Fourier channels) so that training, evaluation and the
extractor cannot disagree about what an input looks like.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from symcat.embed.symmetry.groups import GROUPS

INPUT_SIZE = 224
INPUT_MODES = ("gray", "fft")


def _standardise(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean((-2, -1), keepdim=True)
    std = x.std((-2, -1), keepdim=True)
    return (x - mean) / (std + 1e-6)


def fourier_channels(x: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) standardised image -> log |FFT| and autocorrelation, centred.

    Periodicity and rotation order show up as sharp peaks in both, independent of the
    motif's texture, which is what should carry across motif sources.
    """
    h, w = x.shape[-2:]
    win = torch.outer(torch.hann_window(h, periodic=False, device=x.device),
                      torch.hann_window(w, periodic=False, device=x.device))
    spec = torch.fft.fft2(x.float() * win)
    power = spec.real**2 + spec.imag**2
    logmag = torch.fft.fftshift(torch.log1p(power.sqrt()), dim=(-2, -1))
    auto = torch.fft.fftshift(torch.fft.ifft2(power).real, dim=(-2, -1))
    auto = auto / (auto.amax((-2, -1), keepdim=True) + 1e-6)
    return torch.cat([_standardise(logmag), _standardise(auto)], 1)


class SymmetryNet(nn.Module):
    """torchvision ResNet over prepared inputs; 512-d penultimate features.

    Expected input: ``(N, C, H, W)`` float in [0, 1], C = 1 (grey) or 3 (RGB, averaged
    to grey). Non-square inputs are centre-cropped to a square (never squashed, which
    would break the lattice's symmetry) and resized to 224 x 224; with ``resize=False``
    (v2) the square keeps its size: the caller has already scaled it so that its cells
    are in the trained range (``symcat.embed.symmetry.lattice``). ``num_classes`` is 17,
    or 18 with a final "none" (no lattice) class.
    """

    def __init__(self, arch: str = "resnet18", input_mode: str = "fft", dropout: float = 0.2,
                 num_classes: int = len(GROUPS), resize: bool = True) -> None:
        super().__init__()
        if input_mode not in INPUT_MODES:
            raise ValueError(f"input_mode must be one of {INPUT_MODES}, got {input_mode!r}")
        if arch not in ("resnet18", "resnet34", "resnet50"):
            raise ValueError(f"arch must be resnet18, resnet34 or resnet50, got {arch!r}")
        self.arch = arch
        self.input_mode = input_mode
        self.resize = resize
        net = getattr(torchvision.models, arch)(weights=None)
        in_ch = 3 if input_mode == "fft" else 1
        net.conv1 = nn.Conv2d(in_ch, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.feature_dim = net.fc.in_features
        net.fc = nn.Identity()
        self.backbone = net
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.feature_dim, num_classes)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the input policy (see class docstring); returns network channels."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(x.shape)}")
        x = x.float().mean(1, keepdim=True)
        h, w = x.shape[-2:]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        x = x[..., top : top + s, left : left + s]
        if self.resize and s != INPUT_SIZE:
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear",
                              antialias=True, align_corners=False)
        x = _standardise(x)
        if self.input_mode == "fft":
            x = torch.cat([x, fourier_channels(x)], 1)
        return x

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Prepared-or-raw images -> (N, 512) pooled penultimate features."""
        return self.backbone(self.prepare(x))

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(feats))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

"""The seed paper's combined features: natural-image (reduced to 512) + symmetry (512).

``symcat_combined.v1`` = EfficientNet-Lite0 four-tap features, mean-centred and
unit-normalized, projected by the shipped PCA (`reduction.py`) to 512 and normalized
again; beside them the 512-d penultimate features of the wallpaper-group network
(`symcat.embed.symmetry`), likewise centred and normalized. Each half has length 1/sqrt(2)
in the 1024-d result, so the cosine distance of two combined vectors is the mean of the
two halves' correlation distances: natural appearance and symmetry count equally.

The symmetry network sees the same three preprocessed planes; it averages them to one
grey image and applies its own input policy (square crop, 224 px, Fourier channels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symcat.embed.extractors import reduction
from symcat.embed.extractors.efficientnet import FOUR_TAP
from symcat.embed.extractors.efficientnet import _weights as _natural_weights
from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

SYMMETRY_DIM = 512


def _symmetry_weight_files() -> tuple[Path, ...]:
    """The symmetry network's shipped weight files (safetensors parts), in order."""
    folder = Path(__file__).resolve().parents[1] / "symmetry" / "weights"
    files = tuple(sorted(folder.glob("model.part*.safetensors")))
    if not files or not (folder / "config.json").is_file():
        raise ExtractorUnavailable(
            f"symcat_combined.v1 needs the symmetry network's weights in {folder}, which "
            "are not shipped yet; use effnet_lite0_4tap.in1k meanwhile"
        )
    return (folder / "config.json", *files)


def _weights() -> tuple[Path, ...]:
    if not reduction.FILE.is_file():
        raise ExtractorUnavailable(f"the shipped reduction {reduction.FILE} is missing")
    return (*_natural_weights(), reduction.FILE, *_symmetry_weight_files())


COMBINED = ExtractorCfg(
    name="symcat_combined.v1",
    dim=reduction.DIM + SYMMETRY_DIM,
    input_size=FOUR_TAP.input_size,
    weights=_weights,
    licence="Apache-2.0 (EfficientNet-Lite0 weights); symcat's own symmetry weights",
    description="natural (EfficientNet-Lite0 4-tap, PCA 512) + symmetry (512), halves "
                "normalized to count equally",
    details={"natural": FOUR_TAP.name, "reduction": reduction.FILE.name,
             "symmetry_dim": SYMMETRY_DIM},
)


SYMMETRY = ExtractorCfg(
    name="symcat_symmetry.v1",
    dim=SYMMETRY_DIM,
    input_size=FOUR_TAP.input_size,
    weights=_symmetry_weight_files,
    licence="symcat's own weights (trained on generated wallpaper patterns)",
    description="wallpaper-group ResNet, 512 penultimate features (the symmetry half)",
    details={"network": "symcat.embed.symmetry (weights/config.json)"},
)


def combined_module(cfg: ExtractorCfg, natural: Any, symmetry: Any) -> Any:
    """Join a natural extractor and a symmetry network (`forward_features` -> 512)."""
    import torch
    from torch import nn

    from symcat.embed.extractors import center_normalize

    mean, components = reduction.load()

    class Combined(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.natural = natural
            self.symmetry = symmetry
            self.register_buffer("pca_mean", torch.from_numpy(mean))
            self.register_buffer("pca_components", torch.from_numpy(components))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            nat = center_normalize(self.natural(x).float())
            nat = center_normalize((nat - self.pca_mean) @ self.pca_components)
            sym = center_normalize(self.symmetry.forward_features(x).float())
            return torch.cat([nat, sym], 1) / 2**0.5

    return Combined()


def load_symmetry_network() -> Any:
    """The shipped symmetry network (its sha256s checked), through the symmetry package's
    own extractor: a module whose `forward_features` gives (N, 512)."""
    from symcat.embed.symmetry.extract import SymmetryExtractor

    return SymmetryExtractor(device="cpu").model


@register_extractor(SYMMETRY)
def build_symmetry(cfg: ExtractorCfg) -> Any:
    from torch import Tensor, nn

    network = load_symmetry_network()

    class SymmetryFeatures(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.network = network

        def forward(self, x: Tensor) -> Tensor:
            return self.network.forward_features(x).float()

    return SymmetryFeatures()


@register_extractor(COMBINED)
def build_combined(cfg: ExtractorCfg) -> Any:
    from symcat.embed.registry import create_extractor

    natural = create_extractor(FOUR_TAP.name)
    return combined_module(cfg, natural, load_symmetry_network())

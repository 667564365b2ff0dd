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

from symcat.embed import packed
from symcat.embed.extractors import reduction
from symcat.embed.extractors.efficientnet import FOUR_TAP, FOUR_TAP_NATIVE, NATIVE_POLICY
from symcat.embed.extractors.efficientnet import _weights as _natural_weights
from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

SYMMETRY_DIM = 512
# symcat_combined.v2's share of the squared distance given to the symmetry half, chosen by
# benchmarks/retrieval.py (RESULTS.md, issue 12); v1's is 0.5.
V2_SYMMETRY_WEIGHT = 0.5


def join(natural: Any, symmetry: Any, symmetry_weight: float) -> Any:
    """Two centred unit halves -> one unit vector whose cosine distance is
    (1 - w) * natural distance + w * symmetry distance (numpy or torch, (N, d) each)."""
    a, b = (1.0 - symmetry_weight) ** 0.5, symmetry_weight ** 0.5
    if hasattr(natural, "detach"):
        import torch

        return torch.cat([natural * a, symmetry * b], 1)
    import numpy as np

    return np.concatenate([natural * a, symmetry * b], 1)


def reduce_natural(features: Any) -> Any:
    """Centred unit 3552-d natural features -> centred unit 512-d by the shipped PCA (numpy)."""
    from symcat.embed.extractors import center_normalize

    mean, components = reduction.load()
    return center_normalize((features - mean) @ components)


def _symmetry_weight_files() -> tuple[Path, ...]:
    """The symmetry network's shipped weight files (safetensors parts), in order."""
    folder = Path(__file__).resolve().parents[1] / "symmetry" / "weights"
    files = tuple(packed.find(folder, "model.part*.safetensors"))
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


def combined_module(cfg: ExtractorCfg, natural: Any, symmetry: Any,
                    symmetry_weight: float = 0.5, lattice_gate: Any = None) -> Any:
    """Join a natural extractor and a symmetry network (`forward_features` -> 512).

    `lattice_gate`: None, or a callable images -> bool tensor (N,) "a lattice was found";
    where it is False the symmetry half is zero and the natural half has full length (the
    symmetry features of a non-periodic image are noise). Not used by v1 or v2: it is the
    hook for the lattice estimate of the symmetry model's next version (a new name).
    """
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
            joined = join(nat, sym, symmetry_weight)
            if lattice_gate is None:
                return joined
            found = lattice_gate(x).to(joined.device)[:, None]
            return torch.where(found, joined, join(nat, sym * 0, 0.0))

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

    natural = create_extractor(FOUR_TAP.name, fold=False)  # folded as a whole
    return combined_module(cfg, natural, load_symmetry_network())


COMBINED_V2 = ExtractorCfg(
    name="symcat_combined.v2",
    dim=reduction.DIM + SYMMETRY_DIM,
    input_size=NATIVE_POLICY.cap,
    weights=_weights,
    licence=COMBINED.licence,
    description=f"natural at native resolution (4-tap, PCA 512) + symmetry (512), "
                f"symmetry weight {V2_SYMMETRY_WEIGHT}",
    details={"natural": FOUR_TAP_NATIVE.name, "reduction": reduction.FILE.name,
             "symmetry_dim": SYMMETRY_DIM, "symmetry": SYMMETRY.name,
             "symmetry_weight": V2_SYMMETRY_WEIGHT, "lattice_gate": None},
    size_policy=NATIVE_POLICY,
)


@register_extractor(COMBINED_V2)
def build_combined_v2(cfg: ExtractorCfg) -> Any:
    from symcat.embed.registry import create_extractor

    natural = create_extractor(FOUR_TAP_NATIVE.name, fold=False)  # folded as a whole
    return combined_module(cfg, natural, load_symmetry_network(),
                           symmetry_weight=V2_SYMMETRY_WEIGHT)

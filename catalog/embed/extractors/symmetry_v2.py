"""``symcat_symmetry.v2``: the lattice-aware plane-group network (issue 12).

Its vectors are the 512-d features averaged over views at the trained scale
(``SymmetryExtractor.analyse``), from the preprocessed planes the embedding run hands
over; its plane-group predictions, with calibrated probability and abstention, are
stored at the scan's own resolution by ``symcat.embed.symmetry_store`` when scans are
embedded with it (``details["symmetry_predictions"]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v2"


def _weights() -> tuple[Path, ...]:
    files = tuple(sorted(FOLDER.glob("model.part*.safetensors")))
    if not files or not (FOLDER / "config.json").is_file():
        raise ExtractorUnavailable(f"symcat_symmetry.v2 weights are missing from {FOLDER}")
    return (FOLDER / "config.json", *files)


SYMMETRY_V2 = ExtractorCfg(
    name="symcat_symmetry.v2",
    dim=512,
    input_size=256,
    weights=_weights,
    licence="symcat's own weights (trained on generated wallpaper patterns)",
    description="lattice-aware wallpaper-group ResNet-18: 512 features over views whose "
                "cells are 30 and 45 px; calibrated groups with a 'none' outcome",
    details={"network": "symcat.embed.symmetry (weights_v2/config.json)",
             "weights_dir": str(FOLDER), "symmetry_predictions": True},
)


@register_extractor(SYMMETRY_V2)
def build(cfg: ExtractorCfg) -> Any:
    return build_features(cfg, FOLDER)


def build_features(cfg: ExtractorCfg, folder: Path) -> Any:
    """A module: preprocessed planes -> the 512 features averaged over the lattice views."""
    import numpy as np
    import torch
    from torch import nn

    from symcat.embed.symmetry.extract import SymmetryExtractor

    extractor = SymmetryExtractor(folder)

    class Features(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.network = extractor.model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # `create_extractor(device=...)` moves this module, and with it the network
            grey = x.float().mean(1).cpu().numpy()
            res = extractor.analyse(list(grey))
            return torch.from_numpy(np.stack([r.features for r in res])).to(x.device)

    return Features()

"""``symcat_symmetry.v2``: the lattice-aware plane-group network (issue 12).

Its vectors are the 512-d features averaged over views at the trained scale
(``SymmetryExtractor.analyse``), from the preprocessed planes the embedding run hands
over; its plane-group predictions, with calibrated probability and abstention, are
stored at the scan's own resolution by ``symcat.embed.symmetry_store`` when scans are
embedded with it (``details["symmetry_predictions"]``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from symcat.embed import packed
from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v2"


def _weights() -> tuple[Path, ...]:
    files = tuple(packed.find(FOLDER, "model.part*.safetensors"))
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


def recipe_cfg(name: str, folder: Path, description: str) -> ExtractorCfg:
    """A later inference recipe on v2's network (v3, v4): `folder` holds only its
    config.json, which names v2's weight files through ``weights_from``. A changed recipe
    is a new version, so the earlier ones keep their answers."""
    return ExtractorCfg(
        name=name,
        dim=512,
        input_size=256,
        weights=partial(_recipe_weights, name, folder),
        licence="symcat's own weights (trained on generated wallpaper patterns)",
        description=description,
        details={"network": f"symcat.embed.symmetry ({folder.name}/config.json, v2's "
                            "weights)",
                 "weights_dir": str(folder), "symmetry_predictions": True},
    )


def _recipe_weights(name: str, folder: Path) -> tuple[Path, ...]:
    files = tuple(packed.find(FOLDER, "model.part*.safetensors"))
    if not files or not (folder / "config.json").is_file():
        raise ExtractorUnavailable(f"{name} needs {folder}/config.json and the "
                                   f"weight files in {FOLDER}")
    return (folder / "config.json", *files)


def delta_recipe_cfg(name: str, folder: Path, delta_folder: Path,
                     description: str) -> ExtractorCfg:
    """A recipe on v2's network with fine-tuned tensors laid over v2's files: `folder`
    holds the config.json, `delta_folder` the delta files (v5: its own; v8: v5's)."""
    cfg = recipe_cfg(name, folder, description)
    return replace(cfg, weights=partial(_delta_weights, name, folder, delta_folder),
                   details=cfg.details | {
                       "network": f"symcat.embed.symmetry ({folder.name}/config.json: v2's "
                                  f"weights + {delta_folder.name}/delta.part00.safetensors)"})


def register_delta_recipe(name: str, folder: Path, delta_folder: Path,
                          description: str) -> ExtractorCfg:
    """Register a model that is a recipe on v2's network plus a delta (v5 on): one call per
    model module, which keeps only its docstring (the why) and its numbers' folder."""
    cfg = delta_recipe_cfg(name, folder, delta_folder, description)
    register_extractor(cfg)(partial(build_features, folder=folder))
    return cfg


def _delta_weights(name: str, folder: Path, delta_folder: Path) -> tuple[Path, ...]:
    delta = tuple(packed.find(delta_folder, "delta.part*.safetensors"))
    if not delta:
        raise ExtractorUnavailable(f"{name} needs the delta files in {delta_folder}")
    return (*_recipe_weights(name, folder), *delta)


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

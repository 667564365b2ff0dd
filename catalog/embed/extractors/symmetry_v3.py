"""``symcat_symmetry.v3``: v2's network with a better lattice estimate and calibration.

Same weight files as v2 (``weights_v3/config.json`` names them through ``weights_from``);
what changes is the inference recipe, so it is a new version and v2 keeps its answers:
the lattice estimate also looks for a finer cell than the best-scoring one (many small
cells), a lattice whose periods differ more than 3:1 is refused (stripes modulated along
their length), and the temperature is fitted on 600 validation images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symcat.embed.extractors.symmetry_v2 import build_features, recipe_cfg
from symcat.embed.registry import ExtractorCfg, register_extractor

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v3"

SYMMETRY_V3 = recipe_cfg(
    "symcat_symmetry.v3", FOLDER,
    "symcat_symmetry.v2's network; finer-cell lattice search, lattices over "
    "3:1 refused, temperature fitted on 600 validation images; calibrated "
    "groups with a 'none' outcome")


@register_extractor(SYMMETRY_V3)
def build(cfg: ExtractorCfg) -> Any:
    return build_features(cfg, FOLDER)

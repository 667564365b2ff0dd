"""``symcat_symmetry.v4``: v3's recipe, plus native-resolution views for small cells.

Same weight files as v2 (``weights_v4/config.json`` names them through ``weights_from``);
what changes is the inference recipe, so it is a new version and v3 keeps its answers:
where v3's lattice has a longer period under 12 px, or no lattice is found, the network
sees native crops enlarged 2-4x (``lattice.native_views``) instead of lattice views or
nothing; without a lattice it answers only at a calibrated p >= 0.7, so non-periodic
scans still abstain. Temperature fitted on 600 validation images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symcat.embed.extractors.symmetry_v2 import build_features, recipe_cfg
from symcat.embed.registry import ExtractorCfg, register_extractor

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v4"

SYMMETRY_V4 = recipe_cfg(
    "symcat_symmetry.v4", FOLDER,
    "symcat_symmetry.v3's recipe plus native views enlarged 2-4x where cells "
    "are under 12 px or no lattice is found; calibrated groups with a 'none' "
    "outcome")


@register_extractor(SYMMETRY_V4)
def build(cfg: ExtractorCfg) -> Any:
    return build_features(cfg, FOLDER)

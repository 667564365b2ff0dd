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

from symcat.embed.extractors.symmetry_v2 import build_features
from symcat.embed.registry import ExtractorCfg, ExtractorUnavailable, register_extractor

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v3"
FILES = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v2"


def _weights() -> tuple[Path, ...]:
    files = tuple(sorted(FILES.glob("model.part*.safetensors")))
    if not files or not (FOLDER / "config.json").is_file():
        raise ExtractorUnavailable(f"symcat_symmetry.v3 needs {FOLDER}/config.json and the "
                                   f"weight files in {FILES}")
    return (FOLDER / "config.json", *files)


SYMMETRY_V3 = ExtractorCfg(
    name="symcat_symmetry.v3",
    dim=512,
    input_size=256,
    weights=_weights,
    licence="symcat's own weights (trained on generated wallpaper patterns)",
    description="symcat_symmetry.v2's network; finer-cell lattice search, lattices over "
                "3:1 refused, temperature fitted on 600 validation images; calibrated "
                "groups with a 'none' outcome",
    details={"network": "symcat.embed.symmetry (weights_v3/config.json, v2's weights)",
             "weights_dir": str(FOLDER), "symmetry_predictions": True},
)


@register_extractor(SYMMETRY_V3)
def build(cfg: ExtractorCfg) -> Any:
    return build_features(cfg, FOLDER)

"""``symcat_symmetry.v5``: v4's recipe on v2's network fine-tuned for small cells.

v4's inference recipe unchanged (lattice views; native views enlarged 2-4x where cells
are under 12 px or no lattice is found), on a network whose stem, layer1-3, BatchNorm
affine parameters and head were fine-tuned on small-cell views mixed with v2's training
data (training/symmetry/finetune.py). The folder ships only the changed tensors
(``delta.part00.safetensors``, 5.6 MB fp16), laid over v2's files at load time; the
stored id hashes the config, v2's files and the delta, so its vectors never mix with v4's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v5"
SYMMETRY_V5 = register_delta_recipe(
    "symcat_symmetry.v5", FOLDER, FOLDER,
    "symcat_symmetry.v4's recipe on v2's network fine-tuned on small-cell views (a delta "
    "over v2's weights); calibrated groups with a 'none' outcome")

"""Turn a training state folder into the shipped fp16 weights and their config.

    python -m training.symmetry.export training/state/symmetry_v1
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from symcat.embed import packed
from symcat.embed.symmetry.extract import WEIGHTS_DIR
from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.weights import load_split, save_split, sha256


def export(state_dir: Path | str, out: Path | str = WEIGHTS_DIR) -> dict:
    state_dir, out = Path(state_dir), Path(out)
    train = json.loads((state_dir / "state.json").read_text())
    args = train["args"]
    paths = save_split(load_split(state_dir, "model"), out, "model", dtype=torch.float16)
    widen = bool(args.get("widen"))
    cfg = {
        "name": "symcat_symmetry.v2" if widen else f"{args['arch']}_{args['input']}.wallpaper17",
        "arch": args["arch"],
        "input_mode": args["input"],
        "dropout": args["dropout"],
        "groups": [*GROUPS, "none"] if widen else list(GROUPS),
        "resize": not widen,
        "feature_dim": 512,
        "input": ("square views of 64-224 px whose cells are about 30 and 45 px "
                  "(symcat.embed.symmetry.lattice.views), standardised per image" if widen else
                  "(N, 1 or 3, H, W) float in [0, 1]; grey = channel mean; centre-cropped "
                  "square, resized to 224, standardised per image"),
        "train_steps": train["step"],
        "train_args": args,
        "files": {p.name: sha256(p) for p in paths},
    }
    for p in paths:  # shipped packed; the sha256s are the plain files' (symcat.embed.packed)
        packed.pack(p)
    (out / "config.json").write_text(json.dumps(cfg, indent=1))
    return cfg


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("state_dir")
    p.add_argument("--out", default=str(WEIGHTS_DIR))
    a = p.parse_args()
    print(json.dumps(export(a.state_dir, a.out)["files"], indent=1))

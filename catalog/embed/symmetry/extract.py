"""Symmetry extractor: 512-d features and plane-group predictions with uncertainty.

Input: ``(N, C, H, W)`` float in [0, 1], C = 1 (grey) or 3 (RGB, averaged to grey);
numpy arrays are accepted. Non-square images are centre-cropped to a square (not
squashed: squashing breaks the lattice's symmetry), then resized to 224 x 224.
Patterns should span at least ~4 lattice cells and cells at least ~15 pixels after
the resize, as in training (cells of 17 to 56 pixels at 224).

Uncertainty comes from Monte-Carlo dropout on the head: the backbone runs once, the
dropout head ``mc_samples`` times, so it costs almost nothing beyond ``features``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.model import SymmetryNet
from symcat.embed.symmetry.weights import load_split, sha256

WEIGHTS_DIR = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class SymmetryPrediction:
    """Per-image top-k groups, their MC-mean probabilities and uncertainty scores.

    ``entropy`` is the predictive entropy of the mean distribution (0 to ln 17);
    ``mutual_info`` is its epistemic part (entropy minus mean per-sample entropy);
    ``top1_std`` is the spread of the top-1 probability across dropout samples.
    """

    groups: list[list[str]]
    probs: np.ndarray  # (N, k)
    mean_probs: np.ndarray  # (N, 17)
    entropy: np.ndarray  # (N,)
    mutual_info: np.ndarray  # (N,)
    top1_std: np.ndarray  # (N,)


class SymmetryExtractor:
    """Loads the shipped weights (offline, CPU by default) and embeds image batches."""

    def __init__(self, weights_dir: Path | str = WEIGHTS_DIR, device: str = "cpu",
                 mc_samples: int = 32, batch_size: int = 32, verify: bool = True) -> None:
        self.weights_dir = Path(weights_dir)
        self.device = device
        self.mc_samples = mc_samples
        self.batch_size = batch_size
        self.verify = verify
        self.config = json.loads((self.weights_dir / "config.json").read_text())
        if verify:
            for name, digest in self.config["files"].items():
                if sha256(self.weights_dir / name) != digest:
                    raise ValueError(
                        f"weights file {name} does not match its sha256 in config.json")
        self.name: str = self.config["name"]
        self.model = SymmetryNet(self.config["arch"], self.config["input_mode"],
                                 self.config["dropout"])
        state = {k: v.float() for k, v in load_split(self.weights_dir, "model").items()}
        self.model.load_state_dict(state)
        self.model.eval().to(device)

    @property
    def dim(self) -> int:
        return self.model.feature_dim

    def _as_tensor(self, images) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(images) if not torch.is_tensor(images) else images)
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(x.shape)}")
        return x.float()

    @torch.no_grad()
    def features(self, images) -> np.ndarray:
        """``(N, 512)`` float32 penultimate features (global-average-pooled ResNet)."""
        x = self._as_tensor(images)
        out = [self.model.forward_features(x[i : i + self.batch_size].to(self.device)).cpu()
               for i in range(0, len(x), self.batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.dim), np.float32)

    @torch.no_grad()
    def predict_from_features(self, feats: np.ndarray, k: int = 3,
                              mc_samples: int | None = None, seed: int = 0) -> SymmetryPrediction:
        """Top-k groups from stored features, with MC-dropout uncertainty."""
        t = mc_samples or self.mc_samples
        f = torch.as_tensor(feats, dtype=torch.float32, device=self.device)
        torch.manual_seed(seed)
        self.model.dropout.train()
        try:
            probs = torch.stack([self.model.forward_head(f).softmax(-1) for _ in range(t)])
        finally:
            self.model.dropout.eval()
        mean = probs.mean(0)
        ent = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
        per = -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean(0)
        top_p, top_i = mean.topk(k, dim=-1)
        top1 = probs.gather(-1, top_i[None, :, :1].expand(t, -1, 1))[..., 0]
        return SymmetryPrediction(
            groups=[[GROUPS[j] for j in row] for row in top_i.tolist()],
            probs=top_p.cpu().numpy(),
            mean_probs=mean.cpu().numpy(),
            entropy=ent.cpu().numpy(),
            mutual_info=(ent - per).clamp_min(0).cpu().numpy(),
            top1_std=top1.std(0).cpu().numpy(),
        )

    def predict(self, images, k: int = 3, mc_samples: int | None = None) -> SymmetryPrediction:
        """Top-k plane groups of each image with probabilities and uncertainty."""
        return self.predict_from_features(self.features(images), k, mc_samples)


MAX_ENTROPY = math.log(len(GROUPS))

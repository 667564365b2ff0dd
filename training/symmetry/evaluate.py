"""Accuracy and confusion matrices on freshly generated, seeded test sets."""

from __future__ import annotations

import torch

from symcat.embed.symmetry.groups import GROUPS
from training.symmetry.data import crop, mixed_batch

# in-distribution = the training sources; cross-source = atoms, never used in training;
# "atoms_pure" redraws atom patterns that come close to a higher group (purity.py).
EVAL_SETS: dict[str, tuple[tuple[str, ...], float | None]] = {
    "in_dist": (("noise", "texture"), None),
    "atoms": (("atoms",), None),
    "atoms_pure": (("atoms",), 0.95),
}


@torch.no_grad()
def evaluate(model: torch.nn.Module, n: int, sources: tuple[str, ...], seed: int, device,
             batch: int = 256, amp: bool = False, max_extra: float | None = None) -> dict:
    """Classify ``n`` fresh images (seeded, so reruns see the same set)."""
    model.eval()
    g = torch.Generator(device=device).manual_seed(seed)
    k = len(GROUPS)
    conf = torch.zeros(k, k, dtype=torch.long)
    done = 0
    while done < n:
        m = min(batch, n - done)
        x, y = mixed_batch(m, sources, g, device, max_extra=max_extra)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                            enabled=amp):
            pred = model(crop(x)).argmax(1)
        conf += torch.bincount((y * k + pred).cpu(), minlength=k * k).reshape(k, k)
        done += m
    acc = conf.diag().sum().item() / conf.sum().item()
    return {"n": n, "accuracy": acc, "confusion": conf.tolist()}


def format_confusion(conf: list[list[int]]) -> str:
    """Markdown table, rows = true group, columns = predicted."""
    head = "| true \\ pred | " + " | ".join(GROUPS) + " | acc |"
    sep = "|---" * (len(GROUPS) + 2) + "|"
    rows = [head, sep]
    for i, row in enumerate(conf):
        total = sum(row) or 1
        rows.append(f"| {GROUPS[i]} | " + " | ".join(str(v) for v in row)
                    + f" | {row[i] / total:.1%} |")
    return "\n".join(rows)

"""The end of `symcat demo`: a map of the demo catalog, one recursive re-projection of a
region of it, and an image with its nearest neighbours, written as PNGs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Echo = Callable[[str], None]


def densest_box(xy: np.ndarray, fraction: float = 0.35) -> tuple[float, float, float, float]:
    """A square box, `fraction` of the map's extent wide, around the point with the most
    points near it: a region worth re-projecting."""
    span = float(np.ptp(xy, axis=0).max()) or 1.0
    half = fraction * span / 2
    near = (np.abs(xy[:, None, :] - xy[None, :, :]) <= half).all(axis=2).sum(axis=1)
    cx, cy = xy[int(near.argmax())]
    return float(cx - half), float(cy - half), float(cx + half), float(cy + half)


def demo_projections(catalog: Any, out_dir: str | Path, echo: Echo = print, *,
                     model: str | None = None, color_by: str = "sample_name",
                     seed: int = 0) -> dict[str, Path]:
    """Project the demo catalog, re-project its densest region, and write three PNGs to
    `out_dir` (map.png, map-region.png, neighbors.png); returns their paths."""
    from symcat.project.plot import map_figure, neighbors_figure, save_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = catalog.project(model=model, random_state=seed)
    echo(f"\nprojection {root.id}: {len(root)} scans mapped in "
         f"{root.timings.get('total_s', 0):.1f} s" + (" (from the cache)" if root.cached else ""))
    paths = {"map": save_png(map_figure(root, color_by=color_by, thumbnails=min(30, len(root))),
                             out / "map.png")}
    fraction = 0.35
    region = root.select(box=densest_box(root.xy, fraction))
    while len(region) < max(3, len(root) // 4) and fraction < 1.0:
        fraction = min(1.0, fraction * 1.5)  # a small catalog: widen the region
        region = root.select(box=densest_box(root.xy, fraction))
    if len(region) >= 3:
        child = region.project()
        echo(f"re-projected {len(child)} scans of its densest region: projection {child.id} "
             f"(parent {root.id})")
        paths["region"] = save_png(
            map_figure(child, color_by=color_by, thumbnails=min(20, len(child)),
                       title=f"{len(child)} scans re-projected from {str(root.id)[:8]}"),
            out / "map-region.png")
    first = root.frame["id"].iloc[0]
    k = min(9, len(root) - 1)
    if k >= 1:
        paths["neighbors"] = save_png(neighbors_figure(catalog, first, k=k, model=model),
                                      out / "neighbors.png")
    for path in paths.values():
        echo(f"  wrote {path}")
    echo(f"  reload it anywhere: symcat project --id {root.id} --png map.png")
    return paths

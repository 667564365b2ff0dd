"""Catalog rows -> symmetry predictions (plane group or "none", calibrated probability).

`predict_catalog` analyses every image scan (matching filters) that has no prediction
under the symmetry model yet, at the scan's own resolution (its first chosen channel;
``SymmetryExtractor.analyse``: lattice, views at the trained scale, calibrated
probabilities, abstention), and stores one `SymmetryPrediction` row per scan, one
transaction per batch, so a run is resumable. `embed_catalog` calls it after embedding
with a model whose configuration says ``symmetry_predictions``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert

from symcat.embed.defaults import SYMMETRY_MODEL
from symcat.embed.preprocess import NoUsableChannel, choose_channels
from symcat.embed.registry import get_cfg
from symcat.ingest.pictures import pixel_aspect
from symcat.query.expr import scan_conditions
from symcat.store.models import Scan, SymmetryPrediction

log = logging.getLogger(__name__)


def pending(engine: Engine, model_id: int, filters: Mapping[str, Any] | None,
            where: str | None) -> list[uuid.UUID]:
    has = (select(SymmetryPrediction.scan_id)
           .where(SymmetryPrediction.scan_id == Scan.id, SymmetryPrediction.model_id == model_id)
           .exists())
    with engine.connect() as conn:
        return list(conn.execute(
            select(Scan.id).where(Scan.record_kind == "image", ~has,
                                  *scan_conditions(where, filters or {})).order_by(Scan.id)
        ).scalars())


def row(scan_id: uuid.UUID, model_id: int, result: Any) -> dict[str, Any]:
    """The table row of one `SymmetryResult`."""
    lat = result.lattice
    periods = sorted(lat.periods) if lat.found else (None, None)
    return {"scan_id": scan_id, "model_id": model_id, "symmetry": result.symmetry,
            "probability": min(1.0, max(0.0, float(result.p))),
            "top_group": result.top_group, "p_none": float(result.p_none),
            "reason": result.reason or None, "period_a_px": periods[0],
            "period_b_px": periods[1], "angle_deg": lat.angle_deg if lat.found else None}


def scan_sizes(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Each scan's size along x and y (metres; None where unknown), as a metadata
    document's ``scan`` section has them (`symcat.ingest.pictures.pixel_aspect`)."""
    rows = conn.execute(select(Scan.id, Scan.scan_size_x_m, Scan.scan_size_y_m)
                        .where(Scan.id.in_(ids)))
    return {r.id: {"size_x_m": r.scan_size_x_m, "size_y_m": r.scan_size_y_m} for r in rows}


def default_workers() -> int:
    """Processes for the lattice and cell estimates (numpy, one core each): all cores but
    one, up to 16; none on a machine of 2 cores or fewer (no gain over the main one)."""
    cores = os.cpu_count() or 1
    return min(16, cores - 1) if cores > 2 else 0


def predict_catalog(engine: Engine, model: str = SYMMETRY_MODEL, *,
                    filters: Mapping[str, Any] | None = None, where: str | None = None,
                    batch_size: int = 32, device: str = "cpu", progress: bool = False,
                    workers: int | None = None) -> int:
    """Store predictions for the scans that lack one under `model`; returns how many.

    ``workers`` processes estimate lattices and averaged cells (default
    `default_workers`; 0: in this process); batches grow to 16 scans a worker so the
    processes, forked per batch, have work enough.
    """
    from tqdm import tqdm

    from symcat.embed.run import ensure_model, load_channels
    from symcat.embed.symmetry.extract import SymmetryExtractor

    cfg = get_cfg(model)
    folder = cfg.details["weights_dir"]
    extractor = SymmetryExtractor(folder, device=device)
    with engine.begin() as conn:
        model_id = ensure_model(conn, cfg)
    ids = pending(engine, model_id, filters, where)
    workers = default_workers() if workers is None else max(0, workers)
    batch_size = max(batch_size, 16 * workers)
    done = 0
    bar = tqdm(total=len(ids), unit="scan", desc=f"symmetry {model}", disable=not progress)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with engine.connect() as conn:
            scans = load_channels(conn, chunk)
            sizes = scan_sizes(conn, chunk)
        keys, images, aspects = [], [], []
        for scan_id, (mode, channels) in scans.items():
            try:
                pixels = choose_channels(mode, channels)[0].pixels
            except NoUsableChannel:
                continue
            images.append(pixels)
            aspects.append(pixel_aspect(sizes.get(scan_id), pixels.shape))
            keys.append(scan_id)
        results = extractor.analyse(images, workers=workers, pixel_aspects=aspects)
        rows = [row(k, model_id, r) for k, r in zip(keys, results, strict=True)]
        if rows:
            with engine.begin() as conn:
                conn.execute(insert(SymmetryPrediction).values(rows).on_conflict_do_nothing())
        done += len(rows)
        bar.update(len(chunk))
    bar.close()
    log.info("symmetry %s: %d predictions stored", model, done)
    return done

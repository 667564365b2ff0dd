"""Redraw stored thumbnails from the stored pixels, for catalogs ingested before the
current rendering (`symcat thumbnails`). Each batch is one transaction; re-running it
is harmless."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Engine, func, select, tuple_, update

from symcat.render.channels import channel_kind
from symcat.store.models import Channel
from symcat.store.pixels import dequantize_u16, thumbnail_png

BATCH = 500


def regenerate_thumbnails(engine: Engine, *, batch: int = BATCH,
                          progress: Callable[[int], None] | None = None) -> int:
    """Redraw the thumbnail of every 2-D channel; returns how many were redrawn."""
    done = 0
    after: tuple[uuid.UUID, int] = (uuid.UUID(int=0), -1)
    two_d = func.cardinality(Channel.shape) == 2
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(Channel.scan_id, Channel.index, Channel.name, Channel.quantity,
                       Channel.shape, Channel.min, Channel.max, Channel.pixels_u16)
                .where(two_d, tuple_(Channel.scan_id, Channel.index) > tuple_(*after))
                .order_by(Channel.scan_id, Channel.index).limit(batch)).all()
            for row in rows:
                image = dequantize_u16(row.pixels_u16, tuple(row.shape), row.min, row.max)
                png = thumbnail_png(image, channel_kind(row.name, row.quantity))
                conn.execute(update(Channel).where(Channel.scan_id == row.scan_id,
                                                   Channel.index == row.index)
                             .values(thumbnail_png=png))
        if not rows:
            return done
        done += len(rows)
        after = (rows[-1].scan_id, rows[-1].index)
        if progress is not None:
            progress(len(rows))

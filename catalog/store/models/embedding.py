"""Feature vectors of scans, one per (scan, extractor), and the extractors that made them.

Vectors of every extractor share one ``halfvec`` column without a fixed dimension, so
models of different sizes coexist in one table; each model gets its own partial HNSW
index on ``(vector::halfvec(dim)) WHERE model_id = <id>`` (`hnsw_index_ddl` below),
created when the model is first used, because models are registered at run time and a
migration cannot know them. Vectors are stored mean-centred and L2-normalized, so the
cosine distance pgvector indexes equals the correlation distance of the raw features.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import CheckConstraint, ForeignKey, Identity, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now
from symcat.store.models.scan import replica_index, shared_flag

if TYPE_CHECKING:
    import numpy as np

# pgvector's HNSW index takes at most 4,000 dimensions for halfvec; longer vectors
# (up to halfvec's 16,000) are stored and searched exactly, without an index.
MAX_INDEXED_DIM = 4000
MAX_DIM = 16000


class EmbeddingModel(Base):
    """One extractor as it was used: its stable id says which weights and preprocessing.

    The integer id is a function of the name (`symcat_model_id(name)`, set by a trigger,
    migration 0005), so every lab and hub gives a model the same id and vectors of one
    model from several labs meet under one id at a hub.
    """

    __tablename__ = "embedding_models"
    __table_args__ = (CheckConstraint(f"dim > 0 AND dim <= {MAX_DIM}", name="dim"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(
        Text, unique=True,
        comment="Stable id: registry name, weights sha256 prefix and preprocessing version",
    )
    family: Mapped[str] = mapped_column(Text, comment="Registry name without the version parts")
    dim: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(
        comment="The extractor's configuration (weights sha256, input policy, taps, licence)"
    )
    created_at: Mapped[created_now]


class Embedding(Base):
    """A scan's vector under one model (mean-centred, L2-normalized, half precision)."""

    __tablename__ = "embeddings"
    __table_args__ = (
        Index("ix_embeddings_model_id", "model_id"),
        replica_index("embeddings", "scan_id", "model_id"),
    )

    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[int] = mapped_column(
        ForeignKey("embedding_models.id", ondelete="CASCADE"), primary_key=True
    )
    vector: Mapped[Any] = mapped_column(
        HALFVEC(), comment="Mean-centred, unit-length features; cosine distance = correlation"
    )
    created_at: Mapped[created_now]
    shared: Mapped[bool] = shared_flag("Copied from scans.share_embeddings")


# HNSW build parameters. pgvector's defaults (m=16, ef_construction=64) gave recall@10
# of 0.63 on 1M clustered vectors; a denser graph costs build time once and is
# what lets a moderate ef_search reach >= 0.95 (see benchmarks/RESULTS.md).
HNSW_M = 24
HNSW_EF_CONSTRUCTION = 128


def vector_array(value: Any) -> np.ndarray:
    """A stored vector as float32, whether psycopg handed over pgvector's HalfVector or a
    plain list (it depends on whether the connection registered pgvector's types)."""
    import numpy as np  # here, not above: listing scans should not load numpy

    return np.asarray(value.to_list() if hasattr(value, "to_list") else value,
                      dtype=np.float32)


def hnsw_index_name(model_id: int) -> str:
    """The per-model partial index; the name carries the model id so it can be found."""
    return f"ix_embeddings_hnsw_model_{int(model_id)}"


def vector_expression(dim: int) -> str:
    """The indexed expression: queries must order by exactly this to use the index."""
    return f"(vector::halfvec({int(dim)}))"


def hnsw_index_ddl(model_id: int, dim: int, *, concurrently: bool = False) -> str:
    """CREATE INDEX for one model's vectors (cosine distance on the fixed-dim cast)."""
    if not 0 < dim <= MAX_INDEXED_DIM:
        raise ValueError(f"dim must be in 1..{MAX_INDEXED_DIM} to be indexed, got {dim}")
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {hnsw_index_name(model_id)} ON embeddings "
        f"USING hnsw ({vector_expression(dim)} halfvec_cosine_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
        f"WHERE model_id = {int(model_id)}"
    )


def is_runtime_index(name: str | None) -> bool:
    """True for the per-model HNSW indexes, which no migration owns (see migrations/env.py)."""
    return bool(name) and str(name).startswith("ix_embeddings_hnsw_model_")

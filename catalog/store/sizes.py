"""Bytes per scan of each vector structure, and the shared buffers a catalog's searches need.

Filtered kNN reads three structures: the HNSW graph of each model (probes and iterative
scans), the compact copy `search_codes` (exact passes over many rows) and, for a few
hundred rows a query, the full vectors (re-rank). The first two are read for every
query and should stay in PostgreSQL's shared buffers; the full vectors are reached by
primary key and can live in the OS cache. `docs/scaling.md` has the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from symcat.store.models.embedding import hnsw_index_name


@dataclass(frozen=True)
class ModelSizes:
    """Bytes per stored vector of one model, by structure."""

    model: str
    rows: int
    vectors: float  # embeddings heap + TOAST + primary key, this model's share
    hnsw: float
    compact: float  # search_codes heap + primary key, this model's share

    @property
    def hot(self) -> float:
        """What every query may touch: graph and compact copy."""
        return self.hnsw + self.compact


def model_sizes(conn: Connection) -> list[ModelSizes]:
    """Per model: its share of `embeddings` and `search_codes` (by row count, the rows of
    one model have one size) and its own HNSW index."""
    counts = conn.execute(text(
        "SELECT m.id, m.name, count(e.scan_id) FROM embedding_models m "
        "LEFT JOIN embeddings e ON e.model_id = m.id GROUP BY m.id, m.name ORDER BY m.id"
    )).all()
    total = sum(n for _, _, n in counts) or 1
    vectors = conn.execute(text("SELECT pg_total_relation_size('embeddings') "
                                "- coalesce((SELECT sum(pg_relation_size(indexrelid)) "
                                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                "WHERE i.indrelid = 'embeddings'::regclass "
                                "AND c.relname LIKE 'ix_embeddings_hnsw_model_%'), 0)"
                                )).scalar_one()
    compact = conn.execute(text("SELECT pg_total_relation_size('search_codes')")).scalar_one()
    sizes = []
    for model_id, name, rows in counts:
        if not rows:
            continue
        hnsw = conn.execute(text("SELECT coalesce(pg_relation_size(to_regclass(:n)), 0)"),
                            {"n": hnsw_index_name(model_id)}).scalar_one()
        sizes.append(ModelSizes(name, rows, vectors / total, hnsw / rows, compact / total))
    return sizes


def print_sizes(conn: Connection, scales: tuple[int, ...] = (1_000_000, 10_000_000)) -> None:
    """One line per model: bytes per scan, and the shared buffers for its hot set at scale."""
    for s in model_sizes(conn):
        needs = ", ".join(f"{n / 1e6:g}M scans {s.hot * n / 2**30:.1f} GiB" for n in scales)
        print(f"bytes per scan of {s.model} ({s.rows} vectors): full vectors {s.vectors:.0f}, "
              f"HNSW {s.hnsw:.0f}, compact copy {s.compact:.0f}; shared buffers for graph + "
              f"compact copy: {needs}", flush=True)

"""Filtered k-nearest-neighbour search that stays correct at every filter selectivity.

pgvector's HNSW index filters *after* its graph search, so a selective filter (or one
correlated with the embedding, such as "only this sample") leaves it few or no passing
rows among the candidates it found: recall@10 drops to 0.17 at a 4% filter with
default settings, and to 0 for a query whose neighbourhood the filter excludes, even
with iterative scans. This module owns the pgvector scan settings and picks a plan per
query:

* **exact** when the planner estimates at most `EXACT_MAX_ROWS` passing rows (or the
  model has no index), or at most `SPARSE_EXACT_MAX_ROWS` when the filter is too sparse
  for any probe to answer: the filtered rows are scanned and sorted by true distance;
  recall is 1 by construction and the cost grows with the filtered rows only;
* otherwise a **probe**: the index's unfiltered nearest `2k / selectivity` rows (100 to
  400), each marked pass/fail. If k of them pass, those are the answer (every row
  nearer than the probe's farthest is in the probe); if some pass, but fewer than k,
  the filter keeps the query's neighbourhood and an **hnsw** iterative scan (large
  `hnsw.ef_search`, exact re-rank) finds the rest; if (almost) none pass where the
  global selectivity predicts many, the filter is correlated with the embedding against
  this query, where graph search fails, and the answer is **exact**.
* an iterative scan that still returns fewer than k rows falls back to exact.
* before the probe, where the model has search lists, their zone maps (held in memory,
  `symcat.query.zones`) are read: a filter that rules out the query's nearest lists
  goes straight to an exact answer (below), without the probe;
* an exact answer over many rows is first offered to the **listed** pass
  (`symcat.query.lists`: only the search lists nearest the query that the filter can
  match, by their zone maps), where the stop rule measured for the model reaches the
  recall floor and its estimated cost is below the exact pass's;
* otherwise an exact answer is taken, under `COMPACT_MIN_ROWS` passing rows, from the
  **selective** pass (`symcat.query.selective`: the passing rows' codes read through the
  filter's index, the nearest re-ranked with the full vectors) where the candidate count
  simulated on the model's own vectors for that many rows, spread or grouped far from
  the query (`symcat.store.selective_rule`), reaches recall 0.95 and its measured cost
  is below the exact pass's; the far rule applies where the probe or the zone maps saw
  the neighbourhood excluded, the spread rule where the probe saw it kept (a filter too
  sparse for a probe to answer is probed all the same where the two rules differ), the
  costlier of both where nothing tells;
* above it, from the **compact** copy of the vectors (`symcat.query.compact`: one scan of
  small codes and the filter columns, the best candidates re-ranked with the full
  vectors) when the costs measured for the model at index build say it is cheaper:
  estimated rows x exact cost per row > model rows x compact cost per row + re-rank.

Distances are cosine distances of the stored (mean-centred, unit) vectors, i.e. the
correlation distance 1 - r of the raw features.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    select,
    text,
    true,
)

from symcat.query.calibrate import DEFAULT_FACTOR, probe_factor
from symcat.query.compact import DEFAULT_CANDIDATES, compact_config, compact_pass
from symcat.query.expr import scan_conditions
from symcat.query.lists import (
    EXHAUSTIVE_EXACT_ROWS,
    EXHAUSTIVE_FACTOR,
    ListOrder,
    listed_pass,
    order_lists,
)
from symcat.query.selective import selective_choice, selective_pass
from symcat.store.models import Embedding, EmbeddingModel, Scan
from symcat.store.models.embedding import MAX_INDEXED_DIM, hnsw_index_name, vector_array
from symcat.store.selective_rule import candidates_for

PlanName = Literal["auto", "exact", "hnsw", "compact", "listed", "selective"]
Method = str  # "exact", "probe", "hnsw", "exact-fallback", "compact", "listed", "selective"

# Above this many estimated passing rows, the index plans are tried first. An exact scan
# costs about 4 microseconds per row of 1024-d halfvec without parallel workers (10k rows
# of 1M: p50 40 ms), an index probe 5-15 ms whatever the table size.
EXACT_MAX_ROWS = 5_000
# Up to this many, exact is still chosen when the filter is too sparse for the largest
# probe to hold 2k passing rows: probe + iterative scan cost more (1% of 1M: p95 58-65
# ms against 44-52 ms exact).
SPARSE_EXACT_MAX_ROWS = 12_000
# Exact scans of fewer rows run without parallel workers: on 2 cores, 3 processes on a
# nested loop were slower (10k rows: p50 48 against 40 ms; 40k rows: 140 against 148 ms).
SERIAL_MAX_ROWS = 20_000
# Index plan settings: the iterative scan's search width, the passing candidates it
# gathers for the exact re-rank (3k: every passing row costs 1/selectivity scanned rows;
# at a 1% filter of 1M vectors 10k candidates took p50 148-184 ms, 3k 45-62 ms; 2k lost
# recall, 0.945 at 4% of isotropic vectors; benchmarks/RESULTS.md), and scan budgets.
HNSW_EF_SEARCH = 100
HNSW_CANDIDATES_PER_K = 3
HNSW_MAX_SCAN_TUPLES = 200_000
HNSW_ITERATIVE_SCAN = "relaxed_order"
# The unfiltered probe: enough rows to expect 2k passing ones at the global selectivity,
# searched `probe_factor` times wider than PROBE_MIN rows (measured per model by
# symcat.query.calibrate; 8, i.e. ef_search 800, where never measured), because the
# probe's answer is only as good as its own recall.
PROBE_MIN, PROBE_MAX = 100, 400
# A filtered index scan is trusted when the probe holds at least this share of the
# passing rows the global selectivity predicts; fewer means the filter is correlated
# with the embedding *against* this query, where graph search misses (recall 0 seen).
LOCAL_SHARE = 0.3


class UnknownModel(LookupError):
    """No stored vectors belong to a model of this name."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class StoredModel:
    """A model as the catalog knows it."""

    id: int
    name: str
    family: str
    dim: int
    probe_factor: int = DEFAULT_FACTOR
    # The compact pass as measured at index build (symcat.query.compact.calibrate_compact):
    # candidates to re-rank, and microseconds per row of an exact and a compact pass.
    # 0 candidates: never measured, so "auto" does not use it.
    compact_candidates: int = 0
    exact_us_per_row: float = 0.0
    compact_us_per_row: float = 0.0
    compact_index_us_per_row: float = 0.0
    rerank_ms: float = 0.0
    # The listed pass's stop rule measured when the lists were built
    # (symcat.store.search_lists.stop_rule): {"near": {"rows", "candidates"}, "far": ...};
    # empty: the module defaults of symcat.query.lists.
    stop_rule: Mapping[str, Any] | None = None

    @property
    def selective_rule(self) -> dict[str, Any] | None:
        """The selective pass's candidates by rows (symcat.store.selective_rule), stored
        beside the stop rule; None where never simulated."""
        return (self.stop_rule or {}).get("selective")


@dataclass(frozen=True)
class Plan:
    """How one query was answered, for logs, benchmarks and tests."""

    method: Method
    estimated_rows: float
    returned: int
    fell_back: bool = False
    seconds: float = 0.0
    probe_rows: int = 0  # rows of the unfiltered probe, 0 when none ran
    reason: str = ""  # why this method: the estimates and thresholds it compared


def find_model(conn: Connection, name: str) -> StoredModel:
    """A stored model by full id, or the newest with this registry name (family)."""
    row = conn.execute(
        select(EmbeddingModel.id, EmbeddingModel.name, EmbeddingModel.family, EmbeddingModel.dim,
               EmbeddingModel.config)
        .where((EmbeddingModel.name == name) | (EmbeddingModel.family == name))
        # Newest first: ids are derived from names (migration 0005), not in creation order.
        .order_by((EmbeddingModel.name == name).desc(), EmbeddingModel.created_at.desc(),
                  EmbeddingModel.id.desc())
        .limit(1)
    ).first()
    if row is None:
        known = conn.execute(select(EmbeddingModel.name).order_by(EmbeddingModel.id)).scalars()
        listed = ", ".join(known) or "none yet"
        raise UnknownModel(f"no vectors stored for model {name!r}; stored models: {listed} "
                           f"(run `symcat embed --model {name.split('@')[0]}`, or pick a "
                           "stored one with --model)")
    compact = compact_config(row.config)
    return StoredModel(row.id, row.name, row.family, row.dim, probe_factor(row.config),
                       int(compact.get("candidates", 0)),
                       float(compact.get("exact_us_per_row", 0.0)),
                       float(compact.get("compact_us_per_row", 0.0)),
                       float(compact.get("compact_index_us_per_row", 0.0)),
                       float(compact.get("rerank_ms", 0.0)),
                       dict((row.config or {}).get("lists") or {}))


def query_vector(conn: Connection, model: StoredModel, scan_id: uuid.UUID) -> np.ndarray:
    """The stored vector of one scan under `model`; LookupError if it has none."""
    value = conn.execute(
        select(Embedding.vector).where(
            Embedding.model_id == model.id, Embedding.scan_id == scan_id)
    ).scalar()
    if value is None:
        raise LookupError(
            f"scan {scan_id} has no vector for {model.name}; run `symcat embed --model "
            f"{model.family}` first"
        )
    return vector_array(value)


def _base(
    model: StoredModel, filters: Mapping[str, Any], exclude: Sequence[uuid.UUID],
    where: str | None = None,
) -> list[Any]:
    clauses = [Embedding.model_id == literal(model.id, literal_execute=True)]
    clauses += scan_conditions(where, filters)
    if exclude:
        clauses.append(Embedding.scan_id.not_in(list(exclude)))
    return clauses


def _joined(columns: Sequence[Any], clauses: Sequence[Any]) -> Select[Any]:
    return select(*columns).select_from(Embedding).join(Scan, Scan.id == Embedding.scan_id) \
        .where(*clauses)


def estimate_rows(conn: Connection, clauses: Sequence[Any]) -> float:
    """The planner's estimate of the rows passing the filter (EXPLAIN, no execution)."""
    statement = _joined([literal(1)], clauses)
    compiled = statement.compile(conn, compile_kwargs={"render_postcompile": True})
    explained = conn.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params  # type: ignore[arg-type]
    ).scalar_one()
    plan = explained if isinstance(explained, list) else json.loads(explained)
    return float(plan[0]["Plan"]["Plan Rows"])


def has_index(conn: Connection, model: StoredModel) -> bool:
    if model.dim > MAX_INDEXED_DIM:
        return False
    return bool(conn.execute(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": hnsw_index_name(model.id)}
    ).scalar_one())


def _exact(conn: Connection, q: Any, clauses: Sequence[Any], k: int
           ) -> list[tuple[uuid.UUID, float]]:
    distance = Embedding.vector.cosine_distance(cast(q, HALFVEC())).label("distance")
    rows = conn.execute(_joined([Embedding.scan_id, distance], clauses)
                        .order_by(distance).limit(k))
    return [(r.scan_id, float(r.distance)) for r in rows]


def _hnsw(conn: Connection, model: StoredModel, q: Any, clauses: Sequence[Any], k: int,
          ef_search: int) -> list[tuple[uuid.UUID, float]]:
    """Index candidates (iterative scan), re-ranked by exact distance."""
    conn.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
    conn.execute(text(f"SET LOCAL hnsw.iterative_scan = {HNSW_ITERATIVE_SCAN}"))
    conn.execute(text(f"SET LOCAL hnsw.max_scan_tuples = {HNSW_MAX_SCAN_TUPLES}"))
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # the index order is the plan
    indexed = cast(Embedding.vector, HALFVEC(model.dim))
    distance = indexed.cosine_distance(cast(q, HALFVEC(model.dim))).label("distance")
    candidates = max(k, min(ef_search, HNSW_CANDIDATES_PER_K * k))
    rows = conn.execute(_joined([Embedding.scan_id, distance], clauses)
                        .order_by(distance).limit(candidates)).all()
    ranked = sorted(((r.scan_id, float(r.distance)) for r in rows), key=lambda r: r[1])
    return ranked[:k]


def _probe(conn: Connection, model: StoredModel, q: Any, clauses: Sequence[Any], size: int
           ) -> list[tuple[uuid.UUID, float, bool]]:
    """The `size` nearest rows of the whole model (index, no filter), each marked with
    whether it passes the filter: shows whether the filter keeps the query's neighbourhood."""
    ef_search = min(1000, max(size, model.probe_factor * PROBE_MIN))  # pgvector's max: 1000
    conn.execute(text(f"SET LOCAL hnsw.ef_search = {ef_search}"))
    conn.execute(text("SET LOCAL hnsw.iterative_scan = off"))
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    indexed = cast(Embedding.vector, HALFVEC(model.dim))
    distance = indexed.cosine_distance(cast(q, HALFVEC(model.dim))).label("distance")
    model_clause, filters = clauses[0], list(clauses[1:])
    passes = func.coalesce(and_(*filters), false()) if filters else true()
    rows = conn.execute(_joined([Embedding.scan_id, distance, passes.label("passes")],
                                [model_clause]).order_by(distance).limit(size)).all()
    return [(r.scan_id, float(r.distance), bool(r.passes)) for r in rows]


def knn(
    conn: Connection,
    model: StoredModel,
    vector: np.ndarray,
    k: int = 9,
    filters: Mapping[str, Any] | None = None,
    *,
    where: str | None = None,
    exclude: Sequence[uuid.UUID] = (),
    plan: PlanName = "auto",
    exact_max_rows: int = EXACT_MAX_ROWS,
    sparse_exact_max_rows: int = SPARSE_EXACT_MAX_ROWS,
    ef_search: int = HNSW_EF_SEARCH,
    use_compact: bool = True,
    use_lists: bool = True,
    use_selective: bool = True,
) -> tuple[list[tuple[uuid.UUID, float]], Plan]:
    """The k stored vectors nearest to `vector` among rows passing `where` (the filter
    language) and keyword `filters`.

    Runs in its own transaction (the index settings are SET LOCAL to it). `plan`
    forces a method ("exact", "hnsw": iterative filtered index scan, "compact", "listed",
    "selective": the candidates of the model's far rule, or 800 if never measured), for
    benchmarks and tests; "auto" chooses as the module docstring says (`use_compact`
    False: never the compact pass, the plan before it existed; `use_lists` False: never
    the listed pass, the plan before the lists; `use_selective` False: never the
    selective pass, the plan before it).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    vector = np.asarray(vector, dtype=np.float32).ravel()
    if vector.size != model.dim:
        raise ValueError(f"query vector has {vector.size} dimensions, {model.name} has "
                         f"{model.dim}")
    if not np.isfinite(vector).all():
        raise ValueError(f"query vector has {int((~np.isfinite(vector)).sum())} NaN or "
                         "infinite values; pass a finite vector (e.g. a stored scan's)")
    started = time.perf_counter()
    clauses = _base(model, filters or {}, exclude, where)
    q = bindparam("q", value=vector, type_=HALFVEC(model.dim))
    with conn.begin_nested() if conn.in_transaction() else conn.begin():
        # psycopg prepares a statement after 5 runs, and a generic plan (filter values
        # unknown, default selectivity) turned a 5 ms exact scan of 1,000 rows into a
        # 700 ms scan of the whole table: always plan with the real values.
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        estimated = estimate_rows(conn, clauses)
        method: str = plan
        found: list[tuple[uuid.UUID, float]] = []
        probe_rows = 0
        reason = f"forced {plan}"
        order: ListOrder | None = None
        candidates = 0  # the selective pass's
        excluded: bool | None = None  # what a probe saw of the query's neighbourhood
        many = estimated > exact_max_rows
        lists_wanted = plan == "auto" and use_lists and many and len(clauses) > 1
        if plan == "listed":
            order = order_lists(conn, model.id, vector, clauses)
        if plan == "auto":
            method, reason = "exact", f"estimated {estimated:.0f} rows <= {exact_max_rows}"
            listed_why = None
            if lists_wanted:
                # Before any probe: the zone maps, held in memory (symcat.query.zones,
                # ~1 ms), show whether the filter rules out the query's nearest lists,
                # where a probe would find nothing that passes (in SQL they cost 10-40
                # ms, so they used to be read only after the probe).
                order = order_lists(conn, model.id, vector, clauses)
            if order is not None and order.far:
                reason = (f"estimated {estimated:.0f} rows, none in the query's nearest "
                          "lists by their zone maps: no probe")
            elif many and has_index(conn, model):
                method, found, probe_rows, reason, excluded = _auto_index(
                    conn, model, q, clauses, k, estimated, ef_search, sparse_exact_max_rows,
                    use_selective and _rules_differ(model, estimated))
            if method == "exact" and lists_wanted:
                if order is not None and excluded and not order.far:
                    # the probe saw the neighbourhood excluded where the summaries could not
                    order = dataclasses.replace(order, excluded=True)
                if order is not None:
                    listed_why = _listed_pays(model, order, estimated)
                    if order.far:
                        listed_why += " (the filter rules out the query's nearest lists)"
            if method == "exact" and listed_why is not None:
                method = "listed" if listed_why.startswith("listed") else "exact"
                reason = f"{reason}; {listed_why}"
            if method == "exact" and use_compact and model.compact_candidates:
                # far: the probe saw the neighbourhood excluded, or the zone maps did
                far = True if order is not None and order.far else excluded
                method, candidates, reason = _compact_or_exact(
                    conn, model, clauses, estimated, reason, far if use_selective else False,
                    use_selective)
        if plan == "selective":
            candidates = _forced_candidates(model, estimated)
        if method == "hnsw":
            found = _hnsw(conn, model, q, clauses, k, ef_search)
            if len(found) < k and plan == "auto":
                method = "exact-fallback"
        conn.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
        if method == "listed" and order is None:  # forced, and the model has no lists
            method, reason = "exact", f"{reason}; no search lists"
        if method == "listed":
            found, read = listed_pass(conn, model.id, model.dim, q, vector, clauses, k,
                                      estimated, order, model.stop_rule)  # type: ignore[arg-type]
            reason = f"{reason}; {read.describe()}"
        if method == "selective":
            found = selective_pass(conn, model.id, model.dim, q, vector, clauses, k,
                                   candidates)
        if method == "compact":  # after the probe's settings are undone: it scans codes
            found = compact_pass(conn, model.id, q, vector, clauses, k,
                                 model.compact_candidates or DEFAULT_CANDIDATES)
        if method.startswith("exact"):
            if estimated <= SERIAL_MAX_ROWS:
                conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            found = _exact(conn, q, clauses, k)
    return found, Plan(method, estimated, len(found), method == "exact-fallback",
                       time.perf_counter() - started, probe_rows, reason)


# The full compact pass ranks by 2-bit codes with the candidate count calibrated
# unfiltered, which separate near rows well and far rows poorly. A small filter that
# excludes the query's neighbourhood leaves only far rows, and there its re-rank of 800
# candidates missed: at 1M embedding-like vectors recall@10 was 0.82 with 10k passing
# rows, 0.91 with 39k, 0.95 with 150k, 0.97 with 503k (exact: 1.0; benchmarks/RESULTS.md,
# issue 16). Below this many estimated passing rows it is never taken; the selective
# pass is, where the candidates simulated for that many rows reach the recall floor.
COMPACT_MIN_ROWS = 100_000
# A forced selective pass on a model never simulated re-ranks this many.
FORCED_SELECTIVE = 800


def _rules_differ(model: StoredModel, estimated: float) -> bool:
    """Whether the selective pass's far rule asks more candidates than its spread one
    for this many rows (then a probe, 5-10 ms, that tells which applies pays)."""
    if not model.compact_candidates:
        return False
    rule = model.selective_rule
    spread, far = candidates_for(rule, estimated, "spread"), candidates_for(rule, estimated, "far")
    return spread is not None and far is not None and spread[0] < far[0]


def _forced_candidates(model: StoredModel, estimated: float) -> int:
    rule = model.selective_rule
    chosen = candidates_for(rule, estimated, "far")
    return chosen[0] if chosen else FORCED_SELECTIVE


def _compact_or_exact(conn: Connection, model: StoredModel, clauses: Sequence[Any],
                      estimated: float, why: str, far: bool | None, selective: bool = True,
                      ) -> tuple[str, int, str]:
    """(method, selective candidates, reason). Under `COMPACT_MIN_ROWS` passing rows: the
    selective pass where its simulated recall reaches the floor and its measured cost is
    below the exact pass's (`symcat.query.selective`), else exact. Above: compact when its
    measured cost (a scan of every code of the model, or of the passing ones through an
    index, whichever is less, then the re-rank) is below the exact pass's (the estimated
    rows at the measured cost a row)."""
    if estimated < COMPACT_MIN_ROWS:  # decided before estimating the model's rows (EXPLAIN)
        if not selective:
            return "exact", 0, (f"{why}; {estimated:.0f} rows < {COMPACT_MIN_ROWS}: under it "
                                "the codes lose recall")
        candidates, chosen = selective_choice(
            model.selective_rule, estimated, far,
            model.exact_us_per_row, model.compact_index_us_per_row)
        return ("selective" if candidates else "exact"), candidates, f"{why}; {chosen}"
    total = estimate_rows(conn, clauses[:1])
    exact_ms = estimated * model.exact_us_per_row / 1e3
    scan_ms = min(total * model.compact_us_per_row,
                  estimated * (model.compact_index_us_per_row or model.exact_us_per_row)) / 1e3
    compact_ms = scan_ms + model.rerank_ms
    costs = (f"exact ~{exact_ms:.0f} ms ({estimated:.0f} rows x {model.exact_us_per_row:.2f} "
             f"us), compact ~{compact_ms:.0f} ms (codes {scan_ms:.0f} ms: {total:.0f} x "
             f"{model.compact_us_per_row:.2f} us or {estimated:.0f} x "
             f"{model.compact_index_us_per_row:.2f} us by index; re-rank of "
             f"{model.compact_candidates} {model.rerank_ms:.0f} ms)")
    if estimated > model.compact_candidates and compact_ms < exact_ms:
        return "compact", 0, f"{why}; {costs}"
    return "exact", 0, f"{why}; {costs}"


# The listed pass is taken only where its stop rule's simulated recall@10 reaches this
# (the isotropic stress recipe's "far" case did not: 0.89 with the widest rule tried).
LISTED_MIN_RECALL = 0.95


def _listed_pays(model: StoredModel, order: ListOrder, estimated: float) -> str:
    """Whether the listed pass should answer ("listed: ..."), with its estimates: its stop
    rule must reach LISTED_MIN_RECALL, and reading `rows / share` codes plus re-ranking
    its candidates must cost less than an exact pass over the estimated rows (an
    independent sparse filter spreads its rows over every list: 1% of 1M needs ~830k
    codes read for 8,000 passing ones, where 9,600 rows exact cost 98 ms)."""
    rows, candidates, recall = order.stop(model.stop_rule)
    read = order.rows_to_read(rows, estimated)
    case = "far" if order.far else "near"
    if recall is not None and recall < LISTED_MIN_RECALL:
        return f"not listed: its {case} stop rule reaches recall {recall:.3f} only"
    if order.far and order.possible_rows <= min(rows, EXHAUSTIVE_EXACT_ROWS,
                                                 EXHAUSTIVE_FACTOR * candidates):
        # it would re-rank every row of the lists left (symcat.query.lists), which the
        # exact pass does cheaper (1M, 10k rows: 186 against 248 ms p95, busy)
        return (f"not listed: every row of the {order.possible_rows} in lists not ruled "
                "out would be re-ranked")
    if not (model.exact_us_per_row and model.compact_us_per_row):
        return f"listed: ~{read:.0f} codes to read, costs never measured"
    listed_ms = (read * model.compact_us_per_row + candidates * model.exact_us_per_row) / 1e3
    exact_ms = estimated * model.exact_us_per_row / 1e3
    costs = (f"~{read:.0f} codes to read and {candidates} to re-rank ~{listed_ms:.0f} ms "
             f"against exact ~{exact_ms:.0f} ms")
    return f"listed: {costs}" if listed_ms < exact_ms else f"not listed: {costs}"


def _auto_index(conn: Connection, model: StoredModel, q: Any, clauses: Sequence[Any], k: int,
                estimated: float, ef_search: int, sparse_exact_max_rows: int,
                classify: bool = False,
                ) -> tuple[str, list[tuple[uuid.UUID, float]], int, str, bool | None]:
    """Probe the unfiltered neighbourhood, then answer from it, from a filtered index
    scan, or exactly: whichever the filter's behaviour near the query allows. Returns
    the method, the answer when the probe gave it, the probe's size, and whether the
    probe saw the neighbourhood excluded (None: no probe). `classify`: probe a filter
    too sparse for a probe to answer all the same, to tell the selective pass which of
    its rules applies (where they differ: 100 against 2,500 candidates at 1M)."""
    total = max(estimate_rows(conn, clauses[:1]), 1.0)
    selectivity = min(1.0, estimated / total)
    sparse = estimated <= sparse_exact_max_rows and PROBE_MAX * selectivity < 2 * k
    if sparse and not classify:
        # no probe could answer: exact is cheaper than probe + scan
        return "exact", [], 0, f"estimated {estimated:.0f} rows too sparse for a probe", None
    size = PROBE_MAX if sparse else \
        int(min(PROBE_MAX, max(PROBE_MIN, np.ceil(2 * k / max(selectivity, 1e-9)))))
    probe = _probe(conn, model, q, clauses, size)
    passing = [(scan_id, d) for scan_id, d, ok in probe if ok]
    if len(passing) >= k:
        # Every row nearer than the probe's farthest is in the probe (up to the index's
        # own recall), so the k nearest passing rows are these.
        return "probe", sorted(passing, key=lambda r: r[1])[:k], size, \
            f"{len(passing)} of {size} probe rows pass", None
    seen = f"{len(passing)} of {size} probe rows pass, {selectivity:.3f} of all rows do"
    if sparse:  # some passing rows near the query: the codes rank its neighbours well
        kept = len(passing) >= max(1, int(LOCAL_SHARE * len(probe) * selectivity))
        return "exact", [], size, (f"estimated {estimated:.0f} rows too sparse for a probe "
                                   f"to answer; {seen}: neighbourhood "
                                   + ("kept" if kept else "excluded")), not kept
    if len(passing) >= LOCAL_SHARE * len(probe) * selectivity:
        # the filter keeps rows near the query: iterative scan
        return "hnsw", [], size, seen, None
    # the filter excludes the query's neighbourhood: only an exact pass finds the answer
    return "exact", [], size, seen, True

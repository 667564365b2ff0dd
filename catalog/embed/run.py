"""Catalog rows -> extractor -> stored vectors: the only embed module that touches the database.

`embed_catalog` embeds every image scan (matching filters) that has no vector for the
model yet, so it is resumable: an interrupted run loses at most the batches in flight,
and running it again adds nothing. Three stages overlap:

* loading: DataLoader workers (own connections) read the chosen channels' pixels and,
  on the CPU, preprocess them (`symcat.embed.preprocess`), a batch at a time; with a GPU
  they only read and decode, and the main process preprocesses whole batches on the
  device (`symcat.embed.loading`, `symcat.embed.preprocess_torch`);
* inference: the main process runs the extractor (GPU when there is one, fp16 autocast);
* writing: a thread copies each batch's vectors in (binary COPY, then an insert that
  ignores rows another run stored meanwhile), one transaction per batch, with each
  vector's search list computed beforehand in the inference thread
  (`symcat.store.list_assignment`).

The per-model HNSW index is built once the model's first vectors are in (bulk-building
is much faster than inserting into an empty graph) and maintained by inserts after that.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from symcat.embed.extractors import forward_any, forward_groups, forward_groups_tensor
from symcat.embed.native import Sizing, prepare
from symcat.embed.preprocess import NoUsableChannel, StoredChannel
from symcat.embed.registry import ExtractorCfg, create_extractor, get_cfg
from symcat.query.calibrate import calibrate
from symcat.query.compact import calibrate_compact, compact_config
from symcat.query.expr import scan_conditions
from symcat.store.code_levels import RANKING
from symcat.store.list_assignment import Ahead, assign_ahead, assign_unlisted, new_lists
from symcat.store.models import Channel, Embedding, EmbeddingModel, Scan
from symcat.store.models.embedding import MAX_INDEXED_DIM, hnsw_index_ddl, hnsw_index_name
from symcat.store.pixels import dequantize_u16
from symcat.store.search_lists import MIN_ROWS as MIN_LIST_ROWS
from symcat.store.search_lists import build_lists, measure_stop_rule

if TYPE_CHECKING:
    from symcat.embed.slots import Slots

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 64


@dataclass
class EmbedSummary:
    """What one run did: vectors stored, scans skipped (no usable channel), time."""

    model: str
    model_id: int
    embedded: int = 0
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    pending: int = 0
    seconds: float = 0.0
    index_built: bool = False
    # Where the time went (s). Main process: setup (what to embed, model to the device),
    # first_batch (loading workers starting, up to the first batch), waiting (for loaders
    # after that), device (preprocessing on a GPU + inference + copy back), storing
    # (waiting for the writer), pin_wait (for the loading slots' page-locking, GPU).
    # setup_* split setup: todo (the model's row, pending scans), slots, workers (fork),
    # to_device. compile (a compiled run): the calls that compiled, inside device.
    # Summed over workers: read, decode (GPU path only);
    # the writer thread: writer (COPY + insert). Counts, not seconds, from a GPU run's
    # cuDNN warm-up (`symcat.embed.warmup`): warmed_shapes, and native_batches (those run
    # through PyTorch's depthwise kernel while their shape warmed).
    timings: dict[str, float] = field(default_factory=dict)
    # The run's start-up: seconds until its first batch is out of the network (setup, the
    # loaders' first batch, a compile), and that batch's scans. What a large catalog
    # pays once; `steady_rate` is the rate after it.
    start_up: float = 0.0
    start_up_scans: int = 0
    compiled: bool = False  # the network ran through torch.compile (some image shape)

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """Scans/s after the first batch: the rate a catalog much larger than one run's
        start-up sees (`rate` counts the start-up too)."""
        rest = self.seconds - self.start_up
        return (self.embedded - self.start_up_scans) / rest if rest > 0 else 0.0


# -- models ---------------------------------------------------------------------------
def ensure_model(conn: Connection, cfg: ExtractorCfg) -> int:
    """The row of this extractor's stable id, created on first use; returns its id."""
    name = cfg.model_id
    conn.execute(
        insert(EmbeddingModel)
        .values(name=name, family=cfg.name, dim=cfg.dim, config=cfg.describe())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return int(conn.execute(select(EmbeddingModel.id).where(EmbeddingModel.name == name))
               .scalar_one())


def ensure_index(engine: Engine, model_id: int, dim: int, *, memory: str = "1GB") -> bool:
    """Build the model's HNSW index if it is missing; False when dim is too large to index.

    `memory` is the build's maintenance_work_mem: a graph that fits builds several
    times faster (1M x 1024-d needs about 3 GB). The new graph's search width for kNN
    probes is then measured (symcat.query.calibrate; about 40 s at 1M vectors), and the
    compact pass's candidates and per-row costs (symcat.query.compact; about a minute at 1M),
    which alone is measured for an index built before the compact copy (migration 0012).
    """
    if dim > MAX_INDEXED_DIM:
        return False
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT to_regclass(:name) IS NOT NULL"), {"name": hnsw_index_name(model_id)}
        ).scalar_one()
        if exists:
            _ensure_lists(conn, model_id)
            _ensure_rules(conn, model_id, dim)
            return False
        conn.execute(text("SELECT set_config('maintenance_work_mem', :m, false)"), {"m": memory})
        conn.execute(text("SET max_parallel_maintenance_workers = 2"))
        try:
            conn.execute(text(hnsw_index_ddl(model_id, dim)))
            conn.commit()
        except DBAPIError:  # another run built it at the same moment
            conn.rollback()
            return False
        _ensure_lists(conn, model_id, rebuild=True)
        record = calibrate(conn, model_id, dim)  # how wide kNN probes must search this graph
        log.info("model %s: HNSW index built; probe ef factor %s (recall@%s %s)", model_id,
                 record["ef_factor"], record["rows"], record["recall"])
        compact = calibrate_compact(conn, model_id, dim)  # what exact passes cost, per plan
        if compact:
            log.info("model %s: compact pass re-ranks %s candidates (recall %s); exact %s, "
                     "compact %s us a row", model_id, compact["candidates"], compact["recall"],
                     compact["exact_us_per_row"], compact["compact_us_per_row"])
    return True


def _ensure_lists(conn: Connection, model_id: int, *, rebuild: bool = False) -> None:
    """The model's search lists (symcat.store.search_lists): rebuilt with its index, and
    built for a model that has none yet but enough vectors (or has grown 4-fold since);
    otherwise codes left without a list are given theirs
    (symcat.store.list_assignment.assign_unlisted)."""
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        built, rows = conn.execute(text(
            "SELECT (SELECT coalesce(sum(rows), 0) FROM search_lists WHERE model_id = :m), "
            "(SELECT count(*) FROM search_codes WHERE model_id = :m)"), {"m": model_id}).one()
        if rows >= MIN_LIST_ROWS and (rebuild or rows > 4 * built):
            lists = build_lists(conn, model_id)
            log.info("model %s: %s search lists over %s vectors", model_id, lists, rows)
        else:
            assign_unlisted(conn, model_id)


def _ensure_rules(conn: Connection, model_id: int, dim: int) -> None:
    """The rules the planner reads for a model indexed earlier, measured again where
    they are missing or were measured for another code ranking
    (`symcat.store.code_levels.RANKING`: the passes ranked by Hamming distance before
    it): the selective and stop rules (simulated, about 5 min at 1M vectors) and the
    compact pass's candidates and costs (about a minute). Until then the planner uses
    the old ones, which ask more candidates than the new ranking needs."""
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        config = conn.execute(select(EmbeddingModel.config).where(
            EmbeddingModel.id == model_id)).scalar_one() or {}
        lists = config.get("lists") or {}
        if lists and ("selective" not in lists or lists.get("ranking") != RANKING):
            measure_stop_rule(conn, model_id)
            log.info("model %s: search rules simulated for the %s ranking", model_id,
                     RANKING)
    compact = compact_config(config)
    if not compact or compact.get("ranking") != RANKING:  # or indexed before migration 0012
        calibrate_compact(conn, model_id, dim)


# -- what to embed ----------------------------------------------------------------------
def pending_scans(
    conn: Connection, model_id: int, filters: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> list[uuid.UUID]:
    """Image scans matching the filters that have no vector for this model, in id order."""
    has_vector = (
        select(Embedding.scan_id)
        .where(Embedding.scan_id == Scan.id, Embedding.model_id == model_id)
        .exists()
    )
    query = (
        select(Scan.id)
        .where(Scan.record_kind == "image", ~has_vector, *scan_conditions(where, filters or {}))
        .order_by(Scan.id)
    )
    return list(conn.execute(query).scalars())


def load_channels(conn: Connection, scan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Imaging mode and stored channels (pixels de-quantized) of each scan.

    Reads the pixels of the three channels preprocessing will choose only: the channel
    list comes first (small), then one query for the chosen pixels.
    """
    from symcat.embed.preprocess import choose_channels

    modes = {r.id: r.imaging_mode for r in conn.execute(
        select(Scan.id, Scan.imaging_mode).where(Scan.id.in_(scan_ids)))}
    heads: dict[uuid.UUID, list[Any]] = {k: [] for k in modes}
    rows = conn.execute(
        select(Channel.scan_id, Channel.index, Channel.name, Channel.unit, Channel.shape)
        .where(Channel.scan_id.in_(scan_ids))
        .order_by(Channel.scan_id, Channel.index)
    )
    for row in rows:
        heads[row.scan_id].append(row)
    wanted: dict[tuple[uuid.UUID, int], Any] = {}
    for scan_id, channel_rows in heads.items():
        # Stand-in arrays of the right shape let the real chooser decide before loading.
        stand_ins = [
            StoredChannel(r.name, r.unit, np.empty(tuple(r.shape), dtype=np.uint8))
            for r in channel_rows
        ]
        try:
            chosen = choose_channels(modes[scan_id], stand_ins)
        except NoUsableChannel:
            continue
        row_of = {id(c): r for c, r in zip(stand_ins, channel_rows, strict=True)}
        for stand_in in chosen:
            row = row_of[id(stand_in)]
            wanted[(scan_id, row.index)] = row
    pixels: dict[tuple[uuid.UUID, int], np.ndarray] = {}
    if wanted:
        keys = list(wanted)
        for row in conn.execute(
            select(Channel.scan_id, Channel.index, Channel.shape, Channel.min, Channel.max,
                   Channel.pixels_u16)
            .where(tuple_(Channel.scan_id, Channel.index).in_(keys))
        ):
            pixels[(row.scan_id, row.index)] = dequantize_u16(
                row.pixels_u16, tuple(row.shape), row.min, row.max)
    return {
        scan_id: (modes[scan_id], [
            StoredChannel(r.name, r.unit, pixels[(scan_id, r.index)])
            for r in channel_rows if (scan_id, r.index) in pixels
        ])
        for scan_id, channel_rows in heads.items()
    }


# -- loading (in DataLoader workers) ----------------------------------------------------
class _Batches:
    """Map-style dataset: item i is batch i, read (and, unless `raw`, preprocessed) in a worker.

    `raw`: hand over the stored pixels (`symcat.embed.loading.RawBatch`) for preprocessing
    on the inference device.
    """

    def __init__(
        self, url: str, batches: list[list[uuid.UUID]], size: Sizing, raw: bool = False,
        slots: Slots | None = None,
    ) -> None:
        self.url = url
        self.batches = batches
        self.size = size
        self.raw = raw
        self.slots = slots
        self._engine: Engine | None = None

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> Any:
        if self._engine is None:  # in raw mode one connection per worker, kept
            self._engine = (create_engine(self.url, pool_size=1, max_overflow=0) if self.raw
                            else create_engine(self.url, poolclass=NullPool))
        with self._engine.connect() as conn:
            if self.raw:
                from symcat.embed.loading import read_raw_batch

                return read_raw_batch(conn.connection.driver_connection, self.batches[i],
                                      self.size, self.slots)
            scans = load_channels(conn, self.batches[i])
        return prepare_batch(scans, self.batches[i], self.size)


def prepare_batch(
    scans: Mapping[uuid.UUID, Any], order: Sequence[uuid.UUID], size: Sizing
) -> tuple[list[uuid.UUID], Any, list[tuple[Any, str]]]:
    """Preprocess loaded scans: (ids kept, images, [(id, why skipped)]); images are one
    uint8 array (n, 3, size, size) for a fixed size, a list of (3, h, w) for a native one."""
    ids: list[uuid.UUID] = []
    arrays: list[np.ndarray] = []
    skipped: list[tuple[Any, str]] = []
    for scan_id in order:
        mode, channels = scans.get(scan_id, (None, []))
        try:
            arrays.append(prepare(mode, channels, size))
            ids.append(scan_id)
        except NoUsableChannel as exc:
            skipped.append((scan_id, str(exc)))
    if not isinstance(size, int):
        return ids, arrays, skipped
    stacked = np.stack(arrays) if arrays else np.zeros((0, 3, size, size), np.uint8)
    return ids, stacked, skipped


def _batches(
    engine: Engine, batches: list[list[uuid.UUID]], size: Sizing, workers: int, pin: bool,
    raw: bool = False, slots: Slots | None = None,
) -> Iterator[Any]:
    """Loaded batches in order: (ids, uint8 tensor, skipped), or RawBatch when `raw`
    (its planes in `slots` where they fit).

    The loading processes start when this is called, not at the first batch, so the
    caller can move its model to the device while they read."""
    from torch.utils.data import DataLoader

    url = engine.url.render_as_string(hide_password=False)
    dataset = _Batches(url, batches, size, raw, slots)
    collate = _as_is if raw else _to_tensor
    if workers == 0:
        return _in_process(dataset, collate)
    context = "fork" if os.name != "nt" else "spawn"
    loader = DataLoader(
        dataset, batch_size=None, shuffle=False, num_workers=workers, pin_memory=pin,
        prefetch_factor=_prefetch(raw, slots),
        multiprocessing_context=context, collate_fn=collate,
        worker_init_fn=_init_worker,
    )
    return iter(loader)  # forks the workers


# Batches each loading worker reads ahead when its planes go into slots (the slots are
# counted for it).
SLOT_PREFETCH = 1


def _prefetch(raw: bool, slots: Slots | None) -> int:
    """Batches each loading worker reads ahead: raw batches are 4x larger (uint16, 3
    planes); with slots, SLOT_PREFETCH."""
    return SLOT_PREFETCH if slots is not None else 2 if raw else 4


def run_slots(conn: Connection, todo: Sequence[uuid.UUID], batch_size: int, workers: int,
              pin: bool) -> Slots | None:
    """Loading slots sized for a batch of the most common stored shape among `todo`
    (scans of other shapes take the old path), or None when they would pin too much."""
    if workers == 0 or not todo:
        return None
    sample = list(todo[:: max(1, len(todo) // 200)])[:200]
    shape = conn.execute(text(
        "SELECT shape FROM channels WHERE scan_id = ANY(:ids) GROUP BY shape "
        "ORDER BY count(*) DESC LIMIT 1"), {"ids": sample}).scalar()
    if not shape:
        return None
    from symcat.embed.slots import Slots

    planes = 3 * min(batch_size, len(todo)) * int(np.prod(shape))
    return Slots.for_run(workers, SLOT_PREFETCH, 2 * planes, pin)  # int16 planes


def _in_process(dataset: _Batches, collate: Any) -> Iterator[Any]:
    for i in range(len(dataset)):
        yield collate(dataset[i])
    if dataset._engine is not None:
        dataset._engine.dispose()


# The first batches of a run with loading workers are smaller (a quarter, then half of the
# batch size): every worker starts reading at once, so the first, smallest batch arrives
# soonest and the device starts while the others are read. Before (H200, 512 px, 12
# workers, batches of 128): 2.97 s to the first batch of a 5.4 s run.
RAMP = (4, 4, 2, 2)


def split_batches(todo: Sequence[uuid.UUID], batch_size: int, workers: int,
                  ramp: bool = True) -> list[list[uuid.UUID]]:
    """`todo` in batches of `batch_size`, the first ones smaller (RAMP) when workers load
    (unless `ramp` is False: a compiled network wants one batch size)."""
    sizes = [max(1, batch_size // d) for d in RAMP] \
        if ramp and workers and len(todo) > 4 * batch_size else []
    out: list[list[uuid.UUID]] = []
    start = 0
    while start < len(todo):
        size = sizes[len(out)] if len(out) < len(sizes) else batch_size
        out.append(list(todo[start : start + size]))
        start += size
    return out


def _to_tensor(item: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    import torch

    if isinstance(item[1], list):
        return item[0], [torch.from_numpy(a) for a in item[1]], item[2]
    return item[0], torch.from_numpy(item[1]), item[2]


def _as_is(item: Any) -> Any:
    return item


def _init_worker(_: int) -> None:
    from symcat.embed.loading import keep_freed_memory
    from symcat.store.engine import dispose_all

    dispose_all(close=False)  # never touch the parent's pooled sockets after fork
    keep_freed_memory()


# -- writing (in a thread) --------------------------------------------------------------
# The batch on its way in, each vector with its list when the model has lists: the
# trigger that writes the codes takes them from here (migration 0014).
NEW_VECTORS = ("CREATE TEMP TABLE IF NOT EXISTS symcat_new_vectors (scan_id uuid, "
               "model_id int, vector halfvec, list_id int) ON COMMIT DELETE ROWS; "
               "DELETE FROM symcat_new_vectors")  # an earlier batch of this transaction


def store_vectors(
    conn: Connection, model_id: int, ids: Sequence[uuid.UUID], vectors: np.ndarray,
    ahead: Ahead | None = None,
) -> int:
    """Insert vectors (already centred and normalized); rows already present are kept.

    Where the model has search lists, each vector's list is assigned here in numpy (or
    taken from `ahead`, computed before by `assign_ahead`, if of the current lists) and
    handed to the trigger that writes its code (`symcat.store.list_assignment`), in
    this transaction."""
    if len(set(ids)) != len(ids):
        raise ValueError("store_vectors: a scan id appears twice in one batch")
    lists = new_lists(conn, model_id, vectors, ahead)
    raw = conn.connection.driver_connection
    columns = "scan_id, model_id, vector" + ("" if lists is None else ", list_id")
    with raw.cursor() as cursor:
        cursor.execute(NEW_VECTORS)
        with cursor.copy(f"COPY symcat_new_vectors ({columns}) FROM STDIN (FORMAT BINARY)"
                         ) as copy:
            copy.write(copy_payload(ids, model_id, vectors, lists))
    return conn.execute(text(
        "INSERT INTO embeddings (scan_id, model_id, vector) "
        "SELECT n.scan_id, n.model_id, n.vector FROM symcat_new_vectors n "
        "JOIN scans s ON s.id = n.scan_id "  # a scan deleted meanwhile is simply skipped
        "ON CONFLICT (scan_id, model_id) DO NOTHING"
    )).rowcount


COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no extension
COPY_TRAILER = b"\xff\xff"


def copy_payload(ids: Sequence[uuid.UUID], model_id: int, vectors: np.ndarray,
                 lists: np.ndarray | None = None) -> bytes:
    """Rows (uuid, int4, halfvec, int4 list id or NULL) in PostgreSQL's binary COPY
    format, built in one go.

    Every row has the same size, so the rows are one numpy record array: no Python work
    per row under the GIL beside the inference thread (as `write_row` with pgvector's
    HalfVector had). halfvec's binary form, as `HalfVector.to_binary`: dim and 0
    (uint16), then big-endian float16s. `lists` None: every list id NULL.
    """
    n, dim = vectors.shape
    fields = [
        ("fields", ">i2"), ("id_len", ">i4"), ("id", "V16"), ("model_len", ">i4"),
        ("model", ">i4"), ("vector_len", ">i4"), ("dim", ">u2"), ("unused", ">u2"),
        ("vector", ">f2", (dim,)),
    ]
    row = np.dtype(fields if lists is None else [*fields, ("list_len", ">i4"),
                                                 ("list", ">i4")])
    rows = np.zeros(n, row)
    rows["fields"], rows["id_len"], rows["model_len"], rows["model"] = 3, 16, 4, model_id
    rows["id"] = np.frombuffer(b"".join(i.bytes for i in ids), "V16")
    rows["vector_len"], rows["dim"] = 4 + 2 * dim, dim
    rows["vector"] = vectors
    if lists is not None:
        rows["fields"], rows["list_len"], rows["list"] = 4, 4, lists
    return COPY_SIGNATURE + rows.tobytes() + COPY_TRAILER


class _Writer(threading.Thread):
    """Stores batches in order, one transaction each, while the next batch computes."""

    def __init__(self, engine: Engine, model_id: int) -> None:
        super().__init__(daemon=True, name="symcat-embed-writer")
        self.engine = engine
        self.model_id = model_id
        self.inbox: queue.Queue[Any] = queue.Queue(maxsize=4)
        self.stored = 0
        self.seconds = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        while (item := self.inbox.get()) is not None:
            if self.error is not None:
                continue
            started = time.perf_counter()
            try:
                with self.engine.begin() as conn:
                    self.stored += store_vectors(conn, self.model_id, *item)
            except BaseException as exc:  # surfaced by the main thread
                self.error = exc
            self.seconds += time.perf_counter() - started

    def put(self, ids: list[uuid.UUID], vectors: np.ndarray) -> None:
        """Queue a batch; its search lists are computed here, in the caller's thread
        (beside inference, while the writer stores the batch before), where the
        process holds the model's centroids (`symcat.store.list_assignment`)."""
        if self.error is not None:
            raise self.error
        self.inbox.put((ids, vectors, assign_ahead(self.engine.url, self.model_id, vectors)))

    def close(self) -> None:
        self.inbox.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class _CopyBack:
    """One batch's vectors copied back from the GPU while the next batch computes.

    `put` queues the copy of a batch's vectors into page-locked memory behind its
    kernels, then hands the previous batch (whose copy is done by then) to the writer:
    the GPU never waits for the host between batches."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer
        self.pending: tuple[list[uuid.UUID], Any, Any] | None = None
        self.copied: list[tuple[Any, Slots, int]] = []  # (event, slots, slot) to free

    def free_after(self, slots: Slots, slot: int, stream: Any) -> None:
        """Free `slot` once the copies queued so far on `stream` (the batch's) are done."""
        import torch

        done = torch.cuda.Event()
        done.record(stream)
        self.copied.append((done, slots, slot))
        while self.copied and self.copied[0][0].query():
            _, owner, number = self.copied.pop(0)
            owner.give_back(number)

    def release_all(self) -> None:
        for done, owner, number in self.copied:
            done.synchronize()
            owner.give_back(number)
        self.copied = []

    def put(self, ids: list[uuid.UUID], vectors: Any) -> None:
        import torch

        host = torch.empty(vectors.shape, dtype=vectors.dtype, pin_memory=True)
        host.copy_(vectors, non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        self.flush()
        self.pending = (ids, host, done)

    def flush(self) -> None:
        if self.pending is not None:
            ids, host, done = self.pending
            self.pending = None
            done.synchronize()
            self.writer.put(ids, host.numpy())


# -- the run ----------------------------------------------------------------------------
class _Clock:
    """Adds the time since the previous lap to `totals[name]`."""

    def __init__(self, totals: dict[str, float], start: float | None = None) -> None:
        self.totals = totals
        self.laps = 0
        self.last = time.perf_counter() if start is None else start

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.totals[name] = self.totals.get(name, 0.0) + now - self.last
        self.last = now
        self.laps += 1


def resolve_device(device: str | None) -> str:
    """'cuda' when there is a GPU and no choice was made, else the choice or 'cpu'."""
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def default_workers(device: str) -> int:
    """Loading processes: leave one core for inference on the CPU, use up to 12 with a GPU."""
    cores = os.cpu_count() or 1
    return min(12, cores - 1) if device.startswith("cuda") else max(0, min(4, cores - 1))


def embed_catalog(
    engine: Engine,
    model: str,
    *,
    filters: Mapping[str, Any] | None = None,
    where: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | None = None,
    workers: int | None = None,
    rebuild: bool = False,
    progress: bool = False,
    build_index: bool = True,
    device_preprocess: bool | None = None,
    pin_slots: bool = True,
    compile_model: bool | None = None,
    fold_layers: bool = True,
    autotune: bool = False,
    fixed_shapes: bool | None = None,
    native_depthwise: bool | None = None,
    warm_cudnn: bool | None = None,
) -> EmbedSummary:
    """Embed every image scan (matching `filters`) that lacks a vector for `model`.

    `rebuild=True` first deletes the model's vectors for those scans, so they are
    computed again (the same id means the same weights and recipe, so this is only
    needed after a bug fix in our own code). `device_preprocess`: preprocess batches on
    the inference device rather than in the loading workers (default: on a GPU).
    `pin_slots`: page-lock the loading slots (GPU); False copies from pageable memory.
    `compile_model`: run the network through torch.compile (`symcat.embed.compiled`);
    None decides by the device and the scans pending (`compiled.auto_compile`).
    `fold_layers`: False runs the network as published, without BatchNorm folded into its
    convolutions (`symcat.embed.folding`; the benchmarks' baseline).
    `autotune`: on a GPU, let cuDNN time its algorithms for each new batch shape
    (`torch.backends.cudnn.benchmark`): 4-5.6 s a shape in a fresh process, for a
    network 1-4% faster after it; False (the default) takes its heuristics' choice.
    `fixed_shapes`: every batch of one size, and short ones (the last; groups of scans of
    another size) padded to it (`symcat.embed.shapes`), since each new shape costs a GPU
    process seconds; None: on a GPU, unless compiled (which pads anyway).
    `native_depthwise`: depthwise convolutions through PyTorch's kernel, not cuDNN's, which
    costs a fresh process 0.1-0.8 s a layer for each new shape but runs them faster
    (`symcat.embed.depthwise`); None: on a GPU for a short run, unless compiled.
    `warm_cudnn`: on a GPU, cuDNN meets each new batch shape layer by layer, in a thread
    for each depthwise convolution, which then runs that layer's calls, while the run's
    calls of a layer not yet warm go through PyTorch's depthwise kernel
    (`symcat.embed.warmup`); None: where cuDNN's depthwise convolutions would run (a GPU
    run, not compiled, not short).
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    cfg = get_cfg(model)
    extractor = create_extractor(cfg.name, device="cpu", fold=fold_layers)  # fails early
    started = time.perf_counter()
    setup_times: dict[str, float] = {}
    setup = _Clock(setup_times, started)
    with engine.begin() as conn:
        model_id = ensure_model(conn, cfg)
        if rebuild:
            matching = select(Scan.id).where(*scan_conditions(where, filters or {}))
            conn.execute(delete(Embedding).where(
                Embedding.model_id == model_id, Embedding.scan_id.in_(matching)))
        todo = pending_scans(conn, model_id, filters, where)
    setup.lap("setup_todo")  # the model's row, what is pending
    summary = EmbedSummary(model=cfg.model_id, model_id=model_id, pending=len(todo),
                           timings=setup_times)
    device = resolve_device(device)
    workers = default_workers(device) if workers is None else workers
    cuda = device.startswith("cuda")
    on_device = cuda if device_preprocess is None else device_preprocess
    automatic = compile_model is None
    if automatic:
        from symcat.embed.compiled import auto_compile

        compile_model = auto_compile(cfg.name, device, len(todo))
        if compile_model:
            log.info("compiling the network for %d scans on the CPU (about twice the rate "
                     "after it; --no-compile to skip)", len(todo))
    if fixed_shapes is None:
        fixed_shapes = cuda and not compile_model
    batches = split_batches(todo, batch_size, workers,
                            ramp=not compile_model and not fixed_shapes)
    if native_depthwise is None:
        from symcat.embed.depthwise import pays_for

        native_depthwise = cuda and not compile_model and pays_for(len(batches))
    slots = None
    if cuda and on_device:
        with engine.connect() as conn:
            slots = run_slots(conn, todo, batch_size, workers, pin=pin_slots)
    setup.lap("setup_slots")
    loaded = _batches(engine, batches, cfg.sizing, workers, cuda, raw=on_device, slots=slots)
    setup.lap("setup_workers")  # forking the loading workers
    extractor = extractor.to(device)  # while the loading workers read their first batches
    if cuda:
        extractor = extractor.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = autotune
    if native_depthwise:
        from symcat.embed.depthwise import native_depthwise as through_native_kernel

        through_native_kernel(extractor)
    if warm_cudnn is None:
        warm_cudnn = cuda and not compile_model and not native_depthwise
    warming = None
    if warm_cudnn:
        from symcat.embed.warmup import WarmingLayers

        extractor = warming = WarmingLayers(extractor)
    if fixed_shapes and not compile_model:
        from symcat.embed.shapes import KnownShapes

        extractor = KnownShapes(extractor, batch_size)
    if compile_model:
        from symcat.embed.compiled import (
            AUTO_MAX_SHAPES,
            AUTO_WAIT_BATCHES,
            StaticBatches,
            recompile_limit,
        )

        extractor = StaticBatches(
            extractor, batch_size, wait_rows=AUTO_WAIT_BATCHES * batch_size if automatic else 0,
            max_shapes=AUTO_MAX_SHAPES if automatic else recompile_limit())
    if slots is not None:
        slots.start_pinning()  # after the model's copy, which would wait for it
    setup.lap("setup_to_device")
    writer = _Writer(engine, model_id)
    writer.start()
    from tqdm import tqdm

    bar = tqdm(total=len(todo), unit="scan", desc=cfg.name, disable=not progress,
               dynamic_ncols=True)
    if compile_model:  # else the bar stands still for a compile, unexplained
        extractor.on_compile = bar.set_postfix_str
    summary.timings["setup"] = time.perf_counter() - started
    clock = _Clock(summary.timings)
    copying = _CopyBack(writer) if cuda and on_device else None
    try:
        for item in loaded:
            clock.lap("first_batch" if clock.laps == 0 else "waiting")
            if on_device:
                from symcat.embed.loading import copy_stream, device_groups

                ids, skipped = item.ids, item.skipped
                if slots is not None and item.slot is not None:
                    slots.ready(item.slot)  # its page-locking (a thread, slot by slot)
                    clock.lap("pin_wait")
                images = device_groups(item, cfg.sizing, device, slots) if ids else None
                if slots is not None and item.slot is not None and copying is not None:
                    copying.free_after(slots, item.slot, copy_stream(device))
                for key, seconds in item.seconds.items():
                    summary.timings[key] = summary.timings.get(key, 0.0) + seconds
            else:
                ids, images, skipped = item
            summary.skipped.extend(skipped)
            if ids and copying is not None:  # queued; the previous batch is stored
                copying.put(ids, forward_groups_tensor(extractor, images, len(ids), device))
                clock.lap("device")
            elif ids:
                vectors = (forward_groups(extractor, images, len(ids), device) if on_device
                           else forward_any(extractor, images, device))
                clock.lap("device")
                writer.put(ids, vectors)
            if ids and not summary.start_up_scans:
                summary.start_up = time.perf_counter() - started
                summary.start_up_scans = len(ids)
            clock.lap("storing")
            bar.update(len(ids) + len(skipped))
        if copying is not None:
            copying.flush()
            clock.lap("device")
    finally:
        if copying is not None:
            copying.release_all()
        if slots is not None:
            del loaded  # workers stop before their slots go
            slots.close()
        bar.close()
        writer.close()
        clock.lap("storing")
        summary.timings["writer"] = writer.seconds
        if warming is not None:
            warming.close()
            summary.timings["native_batches"] = float(warming.native_calls)
            summary.timings["warmed_shapes"] = float(warming.shapes_met)
        if compile_model:  # part of `device`: the compiles' one-off cost
            summary.timings["compile"] = extractor.compile_seconds
            summary.compiled = extractor.compiled_shapes > 0
    summary.embedded = writer.stored
    summary.seconds = time.perf_counter() - started  # the rate excludes the one-off index
    if build_index and summary.embedded:
        summary.index_built = ensure_index(engine, model_id, cfg.dim)
    if cfg.details.get("symmetry_predictions"):  # plane groups stored beside the vectors
        from symcat.embed.symmetry_store import predict_catalog

        predict_catalog(engine, cfg.name, filters=filters, where=where, progress=progress)
    return summary


def embed_channels(
    extractor: Any, channels: Mapping[str, np.ndarray] | np.ndarray, mode: str | None = None,
    units: Mapping[str, str | None] | None = None,
) -> np.ndarray:
    """One image (not in the catalog) -> its stored-form vector, for a query by image.

    `channels` is {name: 2-D array} as `Catalog.scan(...).channels` gives, or one image
    array: 2-D grey, used for all three planes, or (H, W, 3) / (H, W, 4) colour, whose
    grey level is used (a picture of a scan, e.g. an exported PNG).
    """
    if isinstance(channels, np.ndarray):
        channels = {"Height": as_grey(channels)}
    units = units or {}
    stored = [StoredChannel(name, units.get(name, _unit_guess(name)), np.asarray(arr))
              for name, arr in channels.items()]
    array = prepare(mode, stored, extractor.cfg.sizing)
    device = next(extractor.parameters()).device.type
    return forward_any(extractor, [array], device)[0]


def as_grey(image: np.ndarray) -> np.ndarray:
    """A 2-D image as is; (H, W, 3 or 4) colour as its mean of R, G, B; else a clear error."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3].astype(np.float32).mean(2)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grey or (H, W, 3) colour image, got shape "
                         f"{image.shape}")
    return image


def _unit_guess(name: str) -> str | None:
    from symcat.ingest.channels import split_name

    return "deg" if split_name(name).base == "phase" else None

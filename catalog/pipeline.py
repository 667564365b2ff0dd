"""Ingest files and folders into the catalog: find, hash, read, store, one transaction each.

Parsing is CPU-bound, so files are spread over worker processes; each worker
has its own database connection and stores what it parsed, so the database
work overlaps with parsing instead of queueing behind it.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import multiprocessing
import os
import stat
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue

from sqlalchemy import Connection, Engine

from symcat.config import Settings
from symcat.ingest.files import (
    DEFAULT_MAX_FILE_BYTES,
    NotRead,
    display_path,
    path_bytes,
    read_regular,
    walk,
)
from symcat.ingest.read import read_file
from symcat.ingest.readers import SUFFIXES
from symcat.ingest.records import Refused
from symcat.ingest.site import SiteConfig
from symcat.store.engine import close_pooled, database_url, dispose_all, get_engine
from symcat.store.load import (
    LoadOutcome,
    PreparedRecord,
    known_status,
    prepare_record,
    store_refusal,
    store_result,
)

log = logging.getLogger(__name__)

BATCH_FILES = 16  # files a worker process takes at a time
# Files a pipeline stores at once while it parses the next: two, so that a slow fsync
# (a disk shared with other work) does not stall parsing.
STORE_DEPTH = 2


@dataclass
class IngestSummary:
    """What one ingest run did, file by file, with totals for the closing summary."""

    outcomes: list[LoadOutcome] = field(default_factory=list)
    skipped_other_suffix: int = 0
    seconds: float = 0.0
    bytes_read: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def present(self) -> int:
        return self.count("present")

    @property
    def refused(self) -> list[LoadOutcome]:
        return [o for o in self.outcomes if o.status == "refused"]

    def kinds(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes if o.status == "new" and o.kind)


def find_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], int, list[tuple[str, str]]]:
    """Files named directly, plus entries with a known suffix found under folders.

    Returns the candidates (sorted, de-duplicated; not only regular files: a
    FIFO or a broken link named like a data file is refused later, with its
    reason), how many other files the folders held, and the folders that
    could not be listed, with why. A named path that does not exist raises
    FileNotFoundError.
    """
    found: dict[Path, None] = {}
    others = 0
    unlisted: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            listing = walk(str(path), SUFFIXES)
            found.update((Path(os.path.abspath(f)), None) for f in listing.files)
            others += listing.others
            unlisted.extend(listing.unlisted)
        elif os.path.lexists(path):
            found[Path(os.path.abspath(path))] = None
        else:
            raise FileNotFoundError(f"{display_path(path)}: no such file or folder")
    return sorted(found), others, unlisted


def site_config(settings: Settings) -> SiteConfig:
    """The reader's view of this site: its name, this instrument, and filename rules."""
    config = SiteConfig() if settings.site_config is None else SiteConfig.from_toml(
        settings.site_config
    )
    return dataclasses.replace(
        config,
        site=config.site or settings.site,
        instrument=config.instrument or settings.instrument,
    )


def ingest_file(
    engine: Engine, path: Path, site: SiteConfig, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> LoadOutcome:
    """Read (regular files only, at most `max_bytes`), check and store one file in its own
    transaction."""
    with engine.connect() as probe:
        step = _prepare(probe, path, site, max_bytes)
    if isinstance(step, LoadOutcome):
        return step
    with engine.connect() as writer:
        return _store(writer, step, site)


def ingest_files(
    engine: Engine, paths: Iterable[Path], site: SiteConfig,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES, *, depth: int = STORE_DEPTH,
) -> Iterator[tuple[Path, LoadOutcome]]:
    """`ingest_file` over `paths`, pipelined: while this thread reads, parses and draws
    file n+1, up to `depth` earlier files are being stored, each in its own transaction on
    its own connection by its own thread (which waits on the server and its fsync with
    the GIL released). Outcomes come in the order of `paths`, each only once its
    transaction has committed.

    Each connection is kept for the run: a checkout per file cost a ping, and the
    "already known?" question a BEGIN and a ROLLBACK (it runs in autocommit here).
    """
    depth = max(1, depth)
    with (
        engine.connect() as probe,
        ExitStack() as connections,
        ThreadPoolExecutor(depth, thread_name_prefix="symcat-store") as storer,
    ):
        probe.execution_options(isolation_level="AUTOCOMMIT")
        writers: SimpleQueue[Connection] = SimpleQueue()
        for _ in range(depth):
            writers.put(connections.enter_context(engine.connect()))
        pending: deque[tuple[Path, Future[LoadOutcome]]] = deque()
        for path in paths:
            step = _prepare(probe, path, site, max_bytes)
            if isinstance(step, LoadOutcome):
                yield path, step
                continue
            if len(pending) == depth:
                done, future = pending.popleft()
                yield done, future.result()
            pending.append((path, storer.submit(_store_on_free, writers, step, site)))
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _store_on_free(writers: SimpleQueue[Connection], prepared: _Prepared, site: SiteConfig
                   ) -> LoadOutcome:
    writer = writers.get()
    try:
        return _store(writer, prepared, site)
    finally:
        writers.put(writer)


@dataclass(frozen=True)
class _Prepared:
    """A file read and parsed, its rows computed: what is left is the transaction."""

    result: PreparedRecord | Refused
    content: bytes


def _prepare(probe: Connection, path: Path, site: SiteConfig, max_bytes: int
             ) -> LoadOutcome | _Prepared:
    """Everything before the transaction: an outcome when there is nothing to store."""
    content = read_regular(str(path), max_bytes)
    if isinstance(content, NotRead):
        refused = Refused(display_path(path), None, content.reason, None, path_bytes(path))
        return _Prepared(refused, b"")
    sha = hashlib.sha256(content).hexdigest()
    status = known_status(probe, sha)
    if probe.in_transaction():
        probe.rollback()  # not in autocommit (`ingest_file`): end the read
    if status is not None:
        return LoadOutcome(display_path(path), status, sha)
    result = read_file(path, site, data=content, file_sha256=sha)
    return _Prepared(result if isinstance(result, Refused) else prepare_record(result), content)


def _store(writer: Connection, prepared: _Prepared, site: SiteConfig) -> LoadOutcome:
    """The file's one transaction; returns once it has committed."""
    with writer.begin():
        outcome = store_result(writer, prepared.result, prepared.content,
                               site=site.site or "local", instrument=site.instrument or "unknown")
    if outcome.status == "refused":
        log.info("refused %s: %s", outcome.path, outcome.reason)
    else:
        log.debug("%s %s (%s)", outcome.status, outcome.path, outcome.kind)
    return outcome


# Worker-process state: set once per process by `_init_worker`.
_worker_engine: Engine | None = None
_worker_site: SiteConfig | None = None
_worker_max_bytes: int = DEFAULT_MAX_FILE_BYTES


def _init_worker(url: str, site: SiteConfig, max_bytes: int) -> None:
    global _worker_engine, _worker_site, _worker_max_bytes
    dispose_all(close=False)  # never use a parent's pooled sockets after fork
    _worker_engine = get_engine(Settings(database_url=url), upgrade=False)
    _worker_site = site
    _worker_max_bytes = max_bytes
    # Parsing makes many short-lived containers, so the cyclic garbage collector runs
    # often, and each full pass walked the ~80k objects of symcat's imports: igor2's own
    # parsing took 22 ms a file instead of 15 (issue 17). Those objects live as long as
    # the worker; frozen, the collector skips them.
    gc.freeze()


def _ingest_in_worker(paths: list[Path]) -> list[tuple[LoadOutcome, int]]:
    assert _worker_engine is not None and _worker_site is not None
    return [(outcome, _file_size(path)) for path, outcome
            in ingest_files(_worker_engine, paths, _worker_site, _worker_max_bytes)]


def _file_size(path: Path) -> int:
    try:
        st = path.lstat()
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def ingest_paths(
    settings: Settings,
    paths: Sequence[str | os.PathLike[str]],
    *,
    jobs: int | None = None,
    progress: bool = False,
    on_outcome: Callable[[LoadOutcome], None] | None = None,
) -> IngestSummary:
    """Ingest every file under `paths`; safe to repeat and to run twice at once.

    `on_outcome` is called with each file's outcome once it is final: a new file's
    transaction has committed (and is durable) before it is called."""
    started = time.perf_counter()
    files, others, unlisted = find_files(paths)
    summary = IngestSummary(skipped_other_suffix=others)
    engine = get_engine(settings)  # starts and upgrades the embedded database if needed
    site = site_config(settings)
    for folder, reason in unlisted:
        refused = Refused(display_path(folder), None, reason, None, path_bytes(folder))
        with engine.begin() as conn:
            summary.outcomes.append(store_refusal(
                conn, refused, site=site.site or "local", instrument=site.instrument or "unknown"
            ))
    jobs = max(1, jobs or os.cpu_count() or 1)
    max_bytes = settings.max_file_bytes
    for outcome, size in _run(engine, settings, files, site, jobs, progress, max_bytes):
        summary.outcomes.append(outcome)
        summary.bytes_read += size
        if on_outcome is not None:
            on_outcome(outcome)
    summary.seconds = time.perf_counter() - started
    return summary


def _run(
    engine: Engine,
    settings: Settings,
    files: list[Path],
    site: SiteConfig,
    jobs: int,
    progress: bool,
    max_bytes: int,
) -> Iterator[tuple[LoadOutcome, int]]:
    from tqdm import tqdm

    bar = tqdm(total=len(files), unit="file", disable=not progress, dynamic_ncols=True)
    try:
        if jobs == 1 or len(files) < 2 * jobs:
            for path, outcome in ingest_files(engine, files, site, max_bytes):
                yield outcome, _file_size(path)
                bar.update()
            return
        url = database_url(settings)
        close_pooled()
        # Batches, so each worker's pipeline (ingest_files) runs over several files; small
        # enough that the workers finish together and the progress bar moves.
        size = max(1, min(BATCH_FILES, len(files) // (4 * jobs)))
        batches = [files[i:i + size] for i in range(0, len(files), size)]
        context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
        with context.Pool(jobs, initializer=_init_worker, initargs=(url, site, max_bytes)) as pool:
            for items in pool.imap_unordered(_ingest_in_worker, batches):
                for item in items:
                    yield item
                    bar.update()
    finally:
        bar.close()

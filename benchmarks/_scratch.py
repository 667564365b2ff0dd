"""A benchmark's scratch folder: the one the user named (kept, so that a later run reuses
its files and catalog), or a new temporary one, removed at the end with the embedded
server inside it stopped first.

Why: a 12,000-scan catalog with its files is several GB. Left in /tmp after each run,
a few runs fill a disk (session 53 found 8 GB of such folders on the project's VM).

    from _scratch import scratch_folder

    with scratch_folder("symcat-embed-", args.work) as work:
        ...
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_folder(prefix: str, given: Path | None = None) -> Iterator[Path]:
    """`given` (made if missing, never removed), or a new folder under the system's
    temporary folder that is removed when the block ends, however it ends."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        stop_servers(folder)
        shutil.rmtree(folder, ignore_errors=True)


def stop_servers(folder: Path) -> None:
    """Stop the embedded servers whose data lie in `folder` or a folder just below it
    (`DIR/pgdata`, `DIR/catalog/pgdata`), so none runs on over removed files."""
    for pgdata in [folder / "pgdata", *folder.glob("*/pgdata")]:
        if not (pgdata / "postmaster.pid").exists():
            continue
        from symcat.store.engine import stop_embedded

        try:
            stop_embedded(pgdata.parent)
        except Exception as exc:  # the folder goes anyway; say what was left running
            print(f"scratch: the server in {pgdata} did not stop ({exc}); PostgreSQL "
                  "shuts down within a minute of its folder going", file=sys.stderr)
            continue
        deadline = time.monotonic() + 30  # it writes its statistics as it shuts down:
        while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # removing the folder before then leaves some behind

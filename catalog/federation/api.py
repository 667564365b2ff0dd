"""`Federation`: the Python face of `symcat federation ...` (Catalog.federation)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from symcat.config import Settings
from symcat.federation import hub, lab, rules
from symcat.store import network as net
from symcat.store.engine import get_engine


class Federation:
    """Sharing rules and publishing (at a lab), labs and their status (at a hub)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- at a lab ---------------------------------------------------------------------
    def share(self, name: str, where: str, parts: list[str] | tuple[str, ...] = ()
              ) -> rules.RuleChange:
        """Share the scans matching `where` (the filter language) under rule `name`; `parts`:
        any of pixels, embeddings, originals (metadata always travels)."""
        return rules.set_rule(get_engine(self.settings), name, where, parts)

    def unshare(self, name: str) -> rules.RuleChange:
        return rules.remove_rule(get_engine(self.settings), name)

    def rules(self) -> pd.DataFrame:
        return rules.list_rules(get_engine(self.settings))

    def prepare(self, *, listen: str = "localhost", port: int | None = None,
                host: str | None = None, keep_password: bool = False,
                max_slot_wal_keep_size: str = net.DEFAULT_MAX_SLOT_WAL_KEEP) -> lab.PreparedLab:
        """Make this catalog publish to hubs; the result's `url` (with a new password,
        unless `keep_password`) is what a hub adds."""
        return lab.prepare_lab(self.settings, listen=listen, port=port, host=host,
                               keep_password=keep_password,
                               max_slot_wal_keep_size=max_slot_wal_keep_size)

    # -- at a hub ---------------------------------------------------------------------
    def _hub(self) -> Any:
        if self.settings.embedded:  # enough replication workers, and its memory share
            return lab.prepare_server(self.settings)[0]
        return get_engine(self.settings, upgrade=False)

    def add_lab(self, url: str, *, name: str | None = None, replace: bool = False
                ) -> dict[str, Any]:
        return hub.add_lab(self._hub(), url, name=name, replace=replace)

    def remove_lab(self, name: str, *, purge: bool = False) -> dict[str, Any]:
        return hub.remove_lab(get_engine(self.settings), name, purge=purge)

    def index(self) -> list[str]:
        """Build the HNSW index of every model whose vectors arrived from labs and has none
        yet (a lab's indexes do not replicate); returns the models indexed."""
        from sqlalchemy import text

        from symcat.embed.run import ensure_index

        engine = get_engine(self.settings)
        with engine.connect() as conn:
            models = conn.execute(text(
                "SELECT m.id, m.name, m.dim FROM embedding_models m WHERE EXISTS "
                "(SELECT 1 FROM embeddings e WHERE e.model_id = m.id) ORDER BY m.name")).all()
        return [m.name for m in models if ensure_index(engine, m.id, m.dim)]

    def status(self) -> list[hub.LabStatus]:
        return hub.status(get_engine(self.settings))

    def status_frame(self) -> pd.DataFrame:
        """`status()` as a table, one row per lab."""
        records = []
        for entry in self.status():
            records.append({
                "lab": entry.name, "sites": ",".join(entry.sites),
                "connected": entry.connected,
                "copying": ",".join(entry.copying) or None,
                "lag_s": entry.lag_seconds, "lag_bytes": entry.lag_bytes,
                "last_message": entry.last_message_at, "newest_scan": entry.newest_scan_at,
                **{f"rows_{t}": n for t, n in entry.rows.items()},
                "errors": entry.errors, "conflicts": sum(entry.conflicts.values()),
                "wal_retained_bytes": entry.wal_retained_bytes, "wal_status": entry.wal_status,
                "schema": f"{entry.lab_revision}/{entry.hub_revision}",
                "problem": entry.problem,
            })
        return pd.DataFrame.from_records(records)

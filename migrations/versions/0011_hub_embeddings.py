"""hub embeddings: a vector a lab sends replaces one the hub computed itself

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

A hub may embed scans whose lab shared pixels but not vectors (`symcat embed` at the
hub). If that lab later shares vectors of the same model, its INSERT meets the hub's own
row on the key (scan_id, model_id), and PostgreSQL 18 stops the subscription on such an
apply conflict. This replica-only trigger (it fires in the hub's apply workers, never in
anyone's own sessions) turns that INSERT into an update of the hub's row: the lab's
vector wins, since it is the lab's own record of its scan, and replication goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY = """
BEGIN
  UPDATE embeddings SET vector = NEW.vector, shared = NEW.shared,
                        created_at = NEW.created_at
   WHERE scan_id = NEW.scan_id AND model_id = NEW.model_id;
  IF FOUND THEN
    RETURN NULL;  -- the hub's own row now holds the lab's vector
  END IF;
  RETURN NEW;
END"""


def upgrade() -> None:
    op.execute("CREATE FUNCTION symcat_hub_embedding() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $${BODY}$$")
    op.execute("CREATE TRIGGER symcat_hub BEFORE INSERT ON embeddings "
               "FOR EACH ROW EXECUTE FUNCTION symcat_hub_embedding()")
    op.execute("ALTER TABLE embeddings ENABLE REPLICA TRIGGER symcat_hub")


def downgrade() -> None:
    op.execute("DROP TRIGGER symcat_hub ON embeddings")
    op.execute("DROP FUNCTION symcat_hub_embedding()")

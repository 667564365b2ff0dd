"""shared plane groups: symmetry predictions follow their scans to hubs

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

The pattern of migration 0010 for label predictions, applied to `symmetry_predictions`
(migration 0009): a `shared` flag copied from the scan at insert (the trigger function
`symcat_label_shared` of 0010, which reads only `scan_id`, `shared` and `received`), a
unique index of the key (scan, model) plus `shared` as replica identity, and a `received`
flag. At a hub a trigger enabled only for replication lets the hub's own prediction of a
scan under a model win over the one a lab sends for the same pair (PostgreSQL 18 would
stop replication on the duplicate key), and marks a lab's rows `received`. Rows already
there follow their scans' current flags. A plane group is the scan's metadata, so it
travels wherever the scan's row does (`shared`), as labels do.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "symmetry_predictions"
HUB_ROW = """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM symmetry_predictions WHERE scan_id = NEW.scan_id
                       AND model_id = NEW.model_id) THEN
              RETURN NULL;
            END IF;
            NEW.received := true;
            RETURN NEW;
          END IF;
          IF NOT OLD.received THEN
            RETURN NULL;
          END IF;
          IF TG_OP = 'UPDATE' THEN
            NEW.received := true;
            RETURN NEW;
          END IF;
          RETURN OLD;
        END"""


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("shared", sa.Boolean(), server_default=sa.text("false"),
                                   nullable=False, comment="Copied from scans.shared"))
    op.add_column(TABLE, sa.Column(
        "received", sa.Boolean(), server_default=sa.text("false"), nullable=False,
        comment="Arrived from a lab (at a hub); false for rows written in this catalog"))
    op.create_index(f"ix_{TABLE}_replica", TABLE, ["scan_id", "model_id", "shared"],
                    unique=True)
    op.execute(f"ALTER TABLE {TABLE} REPLICA IDENTITY USING INDEX ix_{TABLE}_replica")
    op.execute(f"CREATE TRIGGER symcat_shared BEFORE INSERT OR UPDATE ON {TABLE} "
               "FOR EACH ROW EXECUTE FUNCTION symcat_label_shared()")
    op.execute("CREATE FUNCTION symcat_hub_symmetry() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $${HUB_ROW}$$")
    op.execute(f"CREATE TRIGGER symcat_hub BEFORE INSERT OR UPDATE OR DELETE ON {TABLE} "
               "FOR EACH ROW EXECUTE FUNCTION symcat_hub_symmetry()")
    op.execute(f"ALTER TABLE {TABLE} ENABLE REPLICA TRIGGER symcat_hub")
    op.execute(f"UPDATE {TABLE} p SET shared = s.shared FROM scans s "
               "WHERE s.id = p.scan_id AND p.shared <> s.shared")


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS symcat_hub ON {TABLE}")
    op.execute("DROP FUNCTION IF EXISTS symcat_hub_symmetry()")
    op.execute(f"DROP TRIGGER IF EXISTS symcat_shared ON {TABLE}")
    op.execute(f"ALTER TABLE {TABLE} REPLICA IDENTITY DEFAULT")
    op.drop_index(f"ix_{TABLE}_replica", table_name=TABLE)
    op.drop_column(TABLE, "received")
    op.drop_column(TABLE, "shared")

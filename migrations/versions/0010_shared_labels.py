"""shared labels: labels, predictions and propagation runs follow their scans to hubs

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

The pattern of migration 0005 (docs/federation.md): `scan_labels` and `predictions` get a
`shared` flag copied from their scan at insert and a unique index of key + `shared` as
replica identity; `propagation_runs` is shared once one of its predictions is (set by a
statement trigger on predictions), so a run over private scans never leaves the lab.
`label_sets` are vocabularies (names and classes), published like model names.

At a hub two things would stop replication (PostgreSQL 18 does not resolve an apply
conflict): two labs with a label set of the same name, and the hub's own labels or
predictions on a lab's scan when the lab sends one. Triggers enabled only for
replication (they fire in a hub's apply workers, never in anyone's own sessions) resolve
them: a label set arriving again merges its classes into the hub's; a label or
prediction the hub wrote itself (`received` false) wins over what a lab sends about the
same scan, and a lab's rows are marked `received`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED_KEYS = {
    "scan_labels": ("scan_id", "label_set"),
    "predictions": ("scan_id", "label_set"),
    "propagation_runs": ("id",),
}
RECEIVED_TABLES = ("scan_labels", "predictions")

# A run is shared by its first shared prediction: once per statement (a COPY of 200,000
# predictions runs it once), its JSON rewritten out of line like scans in sharing.refresh.
SHARE_RUNS = """
        BEGIN
          UPDATE propagation_runs SET shared = true, graph = graph || '{}'::jsonb,
                 label_snapshot = label_snapshot || '{}'::jsonb,
                 timings = timings || '{}'::jsonb
           WHERE NOT shared AND id IN (SELECT run_id FROM new_rows WHERE shared);
          RETURN NULL;
        END"""

TRIGGER_FUNCTIONS = {
    # Lab side (origin mode): the scan's flag at insert; a row written here is not received.
    "symcat_label_shared": """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            NEW.shared := coalesce((SELECT shared FROM scans WHERE id = NEW.scan_id),
                                   NEW.shared);
          END IF;
          NEW.received := false;
          RETURN NEW;
        END""",
    "symcat_run_shared": SHARE_RUNS,
    # Hub side (replica mode): one vocabulary per name, the union of every lab's classes.
    "symcat_hub_label_set": """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM label_sets WHERE name = NEW.name) THEN
              UPDATE label_sets SET classes = NEW.classes WHERE name = NEW.name;
              RETURN NULL;
            END IF;
            RETURN NEW;
          END IF;
          IF TG_OP = 'UPDATE' THEN
            NEW.name := OLD.name;
            NEW.classes := ARRAY(SELECT c FROM unnest(OLD.classes || NEW.classes)
                                 WITH ORDINALITY AS t(c, i) GROUP BY c ORDER BY min(i));
            NEW.description := coalesce(OLD.description, NEW.description);
            NEW.created_by := OLD.created_by;
            NEW.created_at := OLD.created_at;
            RETURN NEW;
          END IF;
          RETURN NULL;  -- other labs' and the hub's labels may still use it
        END""",
}
# Hub side: the hub's own row about a scan wins; a lab's row is marked received.
HUB_ROW = """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM {table} WHERE scan_id = NEW.scan_id
                       AND label_set = NEW.label_set) THEN
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
# Hub side: a run copied again (a lab re-added with --replace) is the same run (a UUID).
TRIGGER_FUNCTIONS["symcat_hub_run"] = """
        BEGIN
          IF EXISTS (SELECT 1 FROM propagation_runs WHERE id = NEW.id) THEN
            RETURN NULL;
          END IF;
          RETURN NEW;
        END"""
TRIGGER_FUNCTIONS["symcat_hub_label"] = HUB_ROW.format(table="scan_labels")
TRIGGER_FUNCTIONS["symcat_hub_prediction"] = HUB_ROW.format(table="predictions")

TRIGGERS = [
    # name, table, timing/events, function, replica-only
    ("symcat_shared", "scan_labels", "BEFORE INSERT OR UPDATE", "symcat_label_shared", False),
    ("symcat_shared", "predictions", "BEFORE INSERT OR UPDATE", "symcat_label_shared", False),
    ("symcat_hub", "label_sets", "BEFORE INSERT OR UPDATE OR DELETE", "symcat_hub_label_set",
     True),
    ("symcat_hub", "propagation_runs", "BEFORE INSERT", "symcat_hub_run", True),
    ("symcat_hub", "scan_labels", "BEFORE INSERT OR UPDATE OR DELETE", "symcat_hub_label", True),
    ("symcat_hub", "predictions", "BEFORE INSERT OR UPDATE OR DELETE", "symcat_hub_prediction",
     True),
]

REFRESH = (
    "UPDATE scan_labels l SET shared = s.shared FROM scans s "
    "WHERE s.id = l.scan_id AND l.shared <> s.shared",
    "UPDATE predictions p SET shared = s.shared FROM scans s "
    "WHERE s.id = p.scan_id AND p.shared <> s.shared",
    "UPDATE propagation_runs r SET shared = EXISTS (SELECT 1 FROM predictions p "
    "WHERE p.run_id = r.id AND p.shared)",
)


def upgrade() -> None:
    for table in PUBLISHED_KEYS:
        comment = ("One of its predictions is shared" if table == "propagation_runs"
                   else "Copied from scans.shared")
        op.add_column(table, sa.Column("shared", sa.Boolean(), server_default=sa.text("false"),
                                       nullable=False, comment=comment))
    for table in RECEIVED_TABLES:
        op.add_column(table, sa.Column(
            "received", sa.Boolean(), server_default=sa.text("false"), nullable=False,
            comment="Arrived from a lab (at a hub); false for rows written in this catalog"))
    for table, key in PUBLISHED_KEYS.items():
        op.create_index(f"ix_{table}_replica", table, [*key, "shared"], unique=True)
        op.execute(f"ALTER TABLE {table} REPLICA IDENTITY USING INDEX ix_{table}_replica")
    for function, body in TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $${body}$$")
    for trigger, table, when, function, replica in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
        if replica:
            op.execute(f"ALTER TABLE {table} ENABLE REPLICA TRIGGER {trigger}")
    op.execute("CREATE TRIGGER symcat_shared_runs AFTER INSERT ON predictions "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION symcat_run_shared()")
    for statement in REFRESH:  # rows already there follow their scans' current flags
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS symcat_shared_runs ON predictions")
    for trigger, table, *_ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    for table in PUBLISHED_KEYS:
        op.execute(f"ALTER TABLE {table} REPLICA IDENTITY DEFAULT")
        op.drop_index(f"ix_{table}_replica", table_name=table)
    for table in RECEIVED_TABLES:
        op.drop_column(table, "received")
    for table in PUBLISHED_KEYS:
        op.drop_column(table, "shared")

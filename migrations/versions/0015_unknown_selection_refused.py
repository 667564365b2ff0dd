"""a filter on a saved selection that does not exist is refused, not empty

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

`selection = name` used to match nothing when no selection has that name, so a typo or a
selection deleted since a link was shared gave an empty map or table and no reason.
`symcat_require_selections(names)` is true when every name is saved and raises SQLSTATE
SC404 ("no saved selection named ...", with the saved names) otherwise. Every filter on
selections ANDs it with the membership test (symcat.query.selections.membership); with
constant arguments PostgreSQL evaluates it once per query (a one-time filter), so the
plan and its estimates stay those of the membership test. symcat.query.selections turns
SC404 into its SelectionError, which the CLI, the client and the dashboard already show
as one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUIRE = """
CREATE FUNCTION symcat_require_selections(names text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    missing text;
    known text;
BEGIN
    SELECT n INTO missing FROM unnest(names) AS n
     WHERE NOT EXISTS (SELECT 1 FROM selections s WHERE s.name = n) LIMIT 1;
    IF missing IS NULL THEN
        RETURN true;
    END IF;
    SELECT string_agg(quote_literal(name), ', ' ORDER BY name) INTO known
      FROM (SELECT name FROM selections ORDER BY name LIMIT 20) AS first;
    RAISE EXCEPTION USING ERRCODE = 'SC404',
        MESSAGE = format('no saved selection named %s (saved: %s)', quote_literal(missing),
                         coalesce(known, 'none saved yet'));
END
$$
"""


def upgrade() -> None:
    op.execute(REQUIRE)


def downgrade() -> None:
    op.execute("DROP FUNCTION symcat_require_selections(text[])")

"""A hub: one subscription per lab to the lab's `symcat_share` publication.

Every check that can fail is made before anything is created at the hub (the URL, the
lab being reachable, its wal_level and publication, the password, the schema revision,
the lab not being the hub itself nor added twice, its sites not used by another lab), so
a refused `add` leaves the hub as it was. Rows arrive with the lab's sites; a lab's rows
at the hub are the rows of its sites (`federation_labs.sites`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from symcat.federation import FederationError
from symcat.federation.lab import PUBLICATION
from symcat.store import migrate

CONNECT_TIMEOUT_S = 5
# Recognises a lab when it is added again (a copied data folder keeps the system
# identifier, so the port is part of it).
IDENTITY_SQL = ("SELECT system_identifier::text || '/' || current_database() || '/' || "
                "current_setting('port') FROM pg_control_system()")
SUBSCRIPTION_PREFIX = "symcat_lab_"
CONFLICT_COLUMNS = ("confl_insert_exists", "confl_update_origin_differs", "confl_update_exists",
                    "confl_update_missing", "confl_delete_origin_differs", "confl_delete_missing",
                    "confl_multiple_unique_conflicts")


def parse_lab_url(url: str) -> URL:
    """A PostgreSQL URL with host and database; anything else is refused in one line."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise FederationError(
            f"not a database URL: {_hide(url)!r}; expected "
            "postgresql://symcat_replicator:PASSWORD@HOST:PORT/DATABASE "
            "(printed by `symcat federation prepare` at the lab)") from None
    if not parsed.drivername.startswith(("postgresql", "postgres")):
        raise FederationError(f"not a PostgreSQL URL: {_hide(url)!r}")
    if not parsed.host or not parsed.database:
        raise FederationError(f"the lab URL needs a host and a database: {_hide(url)!r}")
    return parsed


def _hide(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def conninfo(url: URL) -> str:
    """libpq keywords for psycopg and for CREATE SUBSCRIPTION."""
    parts = {"host": url.host, "port": url.port or 5432, "dbname": url.database,
             "user": url.username, "password": url.password,
             "connect_timeout": CONNECT_TIMEOUT_S,
             **{k: v if isinstance(v, str) else v[0] for k, v in url.query.items()}}
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v is not None})


def connect_lab(url: URL) -> psycopg.Connection[Any]:
    """A plain connection to the lab (for checks and status); one-line errors."""
    try:
        return psycopg.connect(conninfo(url), autocommit=True)
    except psycopg.OperationalError as exc:
        detail = " ".join(str(exc).split())
        where = f"{url.host}:{url.port or 5432}/{url.database}"
        if "password authentication failed" in detail or "no password supplied" in detail:
            raise FederationError(
                f"the lab at {where} refused the password of {url.username}; use the URL that "
                "`symcat federation prepare` printed there (run it again for a new password)"
            ) from None
        raise FederationError(
            f"cannot reach the lab at {where}: {detail[:300]}. Check the address, that the lab "
            "ran `symcat federation prepare --listen ...`, and firewalls (docs/federation.md)"
        ) from None


@dataclass(frozen=True)
class LabFacts:
    system_identifier: str
    revision: str | None
    sites: list[str]


def _lab_facts(lab: psycopg.Connection[Any], where: str) -> LabFacts:
    level = lab.execute("SHOW wal_level").fetchone()[0]  # type: ignore[index]
    if level != "logical":
        raise FederationError(
            f"the lab at {where} has wal_level={level}; run `symcat federation prepare` there "
            "(an embedded lab restarts itself; a server needs wal_level = logical and a restart)")
    if lab.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,)).fetchone() \
            is None:
        raise FederationError(f"the lab at {where} publishes nothing yet; run "
                              "`symcat federation prepare` there")
    try:
        ident = lab.execute(IDENTITY_SQL).fetchone()[0]  # type: ignore[index]
        revision = lab.execute("SELECT version_num FROM alembic_version").fetchone()
        sites = [r[0] for r in lab.execute("SELECT DISTINCT site FROM scans ORDER BY 1")]
    except psycopg.Error as exc:
        raise FederationError(f"the lab at {where} does not let the replication role read "
                              f"what a hub needs ({str(exc).splitlines()[0]}); run "
                              "`symcat federation prepare` there again") from None
    return LabFacts(str(ident), revision[0] if revision else None, sites)


def _is_hub_itself(hub: Engine, lab: psycopg.Connection[Any]) -> bool:
    """True when the lab connection reaches the hub's own server and database: a session
    named with a random token at the hub is visible from the lab connection."""
    token = f"symcat-hub-{uuid.uuid4().hex}"
    with hub.connect() as conn:
        conn.execute(text("SELECT set_config('application_name', :t, false)"), {"t": token})
        hub_db = conn.execute(text("SELECT current_database()")).scalar_one()
        seen = lab.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                           "AND datname = %s", (token, hub_db)).fetchone()[0]  # type: ignore[index]
        conn.execute(text("RESET application_name"))
    return bool(seen)


def upgrade_advice(lab_revision: str | None, hub_revision: str | None) -> str:
    """What to do about a lab and hub on different revisions: the hub goes first, so a lab
    behind an upgraded hub only needs its own upgrade (docs/federation.md, upgrade order)."""
    if migrate.precedes(lab_revision, hub_revision):
        return ("upgrade the lab (`symcat db upgrade` there), then run `symcat federation "
                "prepare --keep-password` there")
    return ("upgrade the hub first, then the lab (`symcat db upgrade`), then run "
            "`symcat federation prepare --keep-password` at the lab")


def check_revisions(lab_revision: str | None, hub_revision: str | None, name: str) -> None:
    if lab_revision != hub_revision:
        raise FederationError(
            f"schema mismatch: lab {name} is at revision {lab_revision}, the hub at "
            f"{hub_revision}; {upgrade_advice(lab_revision, hub_revision)} "
            "(docs/federation.md, upgrade order)")


def subscription_name(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise FederationError(f"cannot make a lab name from {name!r}; give --name")
    return f"{SUBSCRIPTION_PREFIX}{cleaned}"[:63]


def add_lab(hub: Engine, url: str, *, name: str | None = None, replace: bool = False
            ) -> dict[str, Any]:
    """Subscribe the hub to the lab at `url`; the initial copy then runs in the background.

    Rows of the lab's sites already at the hub (a lab removed without purging) would meet
    their copies and stop replication: they are refused, or with `replace` deleted in the
    transaction before subscribing (the copy brings the lab's current state back).
    """
    parsed = parse_lab_url(url)
    where = f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"
    with connect_lab(parsed) as lab:
        if _is_hub_itself(hub, lab):
            raise FederationError(f"{where} is this hub's own database; a hub subscribes to "
                                  "other catalogs (labs)")
        facts = _lab_facts(lab, where)
    name = name or (facts.sites[0] if len(facts.sites) == 1 else parsed.host or "lab")
    subscription = subscription_name(name)
    with hub.begin() as conn:
        hub_revision = migrate_revision(conn)
        check_revisions(facts.revision, hub_revision, name)
        for row in conn.execute(text("SELECT name, subscription, system_identifier, sites "
                                     "FROM federation_labs")):
            if row.system_identifier == facts.system_identifier:
                raise FederationError(f"this lab is already added as {row.name!r}; remove it "
                                      "first to add it again")
            if row.name == name or row.subscription == subscription:
                raise FederationError(f"a lab named {name!r} is already added; give another "
                                      "--name")
            shared = sorted(set(row.sites) & set(facts.sites))
            if shared:
                raise FederationError(
                    f"lab {row.name!r} already brings site(s) {', '.join(shared)}; every lab "
                    "needs its own site name (SYMCAT_SITE at its instruments)")
        exists = conn.execute(text("SELECT 1 FROM pg_subscription WHERE subname = :s"),
                              {"s": subscription}).first()
        if exists:
            raise FederationError(f"a subscription {subscription} exists already at the hub; "
                                  f"remove it with `symcat federation remove {name}`")
        held = rows_per_table(conn, facts.sites)["scans"]
        if held and not replace:
            raise FederationError(
                f"the hub still holds {held} scans of site(s) {', '.join(facts.sites)} (a lab "
                "removed without --purge); add it with --replace to have them copied afresh")
        if held:
            purge_sites(conn, facts.sites)
    _create_subscription(hub, subscription, conninfo(parsed))
    with hub.begin() as conn:
        conn.execute(text(
            "INSERT INTO federation_labs (name, subscription, url, system_identifier, sites, "
            "schema_revision, checked_at) VALUES (:n, :s, :u, :i, :sites, :r, now())"),
            {"n": name, "s": subscription, "u": parsed.render_as_string(hide_password=True),
             "i": facts.system_identifier, "sites": facts.sites, "r": facts.revision})
    return {"name": name, "subscription": subscription, "sites": facts.sites,
            "revision": facts.revision}


def migrate_revision(conn: Connection) -> str | None:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _quiet(conn: Connection) -> None:
    """Keep statements that carry a lab's password out of the hub's log on failure."""
    try:
        conn.execute(text("SET log_min_error_statement = panic"))
        conn.execute(text("SET log_statement = 'none'"))
    except DBAPIError:  # not a superuser: the server's own settings apply
        conn.rollback()


def _create_subscription(hub: Engine, subscription: str, info: str) -> None:
    with hub.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        _quiet(conn)
        statement = conn.execute(
            text("SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I "
                 "WITH (binary = true, origin = none)', "
                 "CAST(:s AS text), CAST(:c AS text), CAST(:p AS text))"),
            {"s": subscription, "c": info, "p": PUBLICATION}).scalar_one()
        try:
            conn.exec_driver_sql(statement)
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise FederationError(f"the hub could not subscribe to the lab: {detail}") from None


def _lab_row(conn: Connection, name: str) -> Any:
    row = conn.execute(text("SELECT * FROM federation_labs WHERE name = :n"), {"n": name}).first()
    if row is None:
        known = ", ".join(conn.execute(text("SELECT name FROM federation_labs ORDER BY 1"))
                          .scalars()) or "none"
        raise FederationError(f"no lab named {name!r} at this hub; labs: {known}")
    return row


def remove_lab(hub: Engine, name: str, *, purge: bool = False) -> dict[str, Any]:
    """Drop the lab's subscription (and its slot at the lab when reachable); with `purge`,
    delete the lab's rows at the hub too, in one transaction."""
    with hub.connect() as conn:
        row = _lab_row(conn, name)
    note = ""
    with hub.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        exists = conn.execute(text("SELECT 1 FROM pg_subscription WHERE subname = :s"),
                              {"s": row.subscription}).first()
        if exists:
            conn.execute(text(f'ALTER SUBSCRIPTION "{row.subscription}" DISABLE'))
            try:
                conn.execute(text(f'DROP SUBSCRIPTION "{row.subscription}"'))
            except DBAPIError:  # the lab is unreachable: drop here, its slot stays there
                conn.execute(text(f'ALTER SUBSCRIPTION "{row.subscription}" '
                                  "SET (slot_name = NONE)"))
                conn.execute(text(f'DROP SUBSCRIPTION "{row.subscription}"'))
                note = (f"the lab was unreachable: drop its slot there with "
                        f"SELECT pg_drop_replication_slot('{row.subscription}')")
    deleted: dict[str, int] = {}
    with hub.begin() as conn:
        if purge:
            deleted = purge_sites(conn, list(row.sites))
        conn.execute(text("DELETE FROM federation_labs WHERE name = :n"), {"n": name})
    return {"name": name, "purged": deleted, "note": note}


def purge_sites(conn: Connection, sites: list[str]) -> dict[str, int]:
    """Delete the scans of `sites` (their channels, vectors and points go with them) and
    originals no remaining scan shares."""
    counts = rows_per_table(conn, sites)
    conn.execute(text("DELETE FROM scans WHERE site = ANY(:s)"), {"s": sites})
    originals = conn.execute(text(
        "DELETE FROM original_files o WHERE NOT EXISTS (SELECT 1 FROM scans s "
        "WHERE s.file_sha256 = o.file_sha256 AND s.share_original)")).rowcount
    counts["original_files"] = int(originals or 0)
    return counts


def rows_per_table(conn: Connection, sites: list[str]) -> dict[str, int]:
    row = conn.execute(text(
        "SELECT (SELECT count(*) FROM scans WHERE site = ANY(:s)) AS scans, "
        "(SELECT count(*) FROM channels c JOIN scans s ON s.id = c.scan_id "
        " WHERE s.site = ANY(:s)) AS channels, "
        "(SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id "
        " WHERE s.site = ANY(:s)) AS embeddings, "
        "(SELECT count(*) FROM symmetry_predictions p JOIN scans s ON s.id = p.scan_id "
        " WHERE s.site = ANY(:s)) AS plane_groups, "
        "(SELECT count(DISTINCT o.file_sha256) FROM original_files o JOIN scans s "
        " ON s.file_sha256 = o.file_sha256 WHERE s.site = ANY(:s)) AS original_files"),
        {"s": sites}).one()
    return dict(row._mapping)


@dataclass
class LabStatus:
    """One lab as the hub sees it (and as the lab reports, when reachable)."""

    name: str
    sites: list[str]
    url: str
    connected: bool
    copying: list[str] = field(default_factory=list)  # tables whose initial copy runs
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    last_message_at: datetime | None = None
    newest_scan_at: datetime | None = None
    rows: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    conflicts: dict[str, int] = field(default_factory=dict)
    wal_retained_bytes: int | None = None
    wal_status: str | None = None
    lab_revision: str | None = None
    hub_revision: str | None = None
    problem: str | None = None

    @property
    def schema_ok(self) -> bool:
        return self.lab_revision is None or self.lab_revision == self.hub_revision


def status(hub: Engine) -> list[LabStatus]:
    """Per lab: connected, initial copy, lag (bytes and seconds), last message, rows per
    table at the hub, apply errors and conflicts, WAL the lab retains, schema revisions."""
    result = []
    with hub.connect() as conn:
        hub_revision = migrate_revision(conn)
        labs = conn.execute(text("SELECT * FROM federation_labs ORDER BY name")).all()
        for lab in labs:
            result.append(_hub_side(conn, lab, hub_revision))
    for entry, lab in zip(result, labs, strict=True):
        _lab_side(hub, entry, lab)
    return result


def _hub_side(conn: Connection, lab: Any, hub_revision: str | None) -> LabStatus:
    live = conn.execute(text(
        "SELECT st.pid, st.last_msg_receipt_time, st.latest_end_time "
        "FROM pg_subscription s LEFT JOIN pg_stat_subscription st "
        "ON st.subid = s.oid AND st.relid IS NULL WHERE s.subname = :s"),
        {"s": lab.subscription}).first()
    stats = conn.execute(text(
        "SELECT * FROM pg_stat_subscription_stats WHERE subname = :s"),
        {"s": lab.subscription}).first()
    copying = conn.execute(text(
        "SELECT r.srrelid::regclass::text FROM pg_subscription_rel r JOIN pg_subscription s "
        "ON s.oid = r.srsubid WHERE s.subname = :s AND r.srsubstate <> 'r' ORDER BY 1"),
        {"s": lab.subscription}).scalars().all()
    entry = LabStatus(
        name=lab.name, sites=list(lab.sites), url=lab.url,
        connected=bool(live is not None and live.pid is not None), copying=list(copying),
        last_message_at=live.last_msg_receipt_time if live else None,
        rows=rows_per_table(conn, list(lab.sites)), hub_revision=hub_revision,
        lab_revision=lab.schema_revision)
    entry.newest_scan_at = conn.execute(text(
        "SELECT max(ingested_at) FROM scans WHERE site = ANY(:s)"), {"s": list(lab.sites)}
    ).scalar()
    if stats is not None:
        mapping = stats._mapping
        entry.errors = int(mapping.get("apply_error_count") or 0) + int(
            mapping.get("sync_error_count") or 0)
        entry.conflicts = {c.removeprefix("confl_"): int(mapping[c] or 0)
                           for c in CONFLICT_COLUMNS if c in mapping}
    if live is None:
        entry.problem = "the subscription is missing at the hub; remove and add the lab again"
    return entry


def _lab_side(hub: Engine, entry: LabStatus, lab: Any) -> None:
    """Ask the lab (through the subscription's own connection string) for the slot's
    position and the WAL it keeps; refresh the lab's sites and revision."""
    with hub.connect() as conn:
        info = conn.execute(text("SELECT subconninfo FROM pg_subscription WHERE subname = :s"),
                            {"s": lab.subscription}).scalar()
    if info is None:
        return
    try:
        with psycopg.connect(info, autocommit=True) as remote:
            slot = remote.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, wal_status "
                "FROM pg_replication_slots WHERE slot_name = %s", (lab.subscription,)).fetchone()
            lag = remote.execute(
                "SELECT extract(epoch FROM coalesce(replay_lag, interval '0'))::float8 "
                "FROM pg_stat_replication WHERE application_name = %s",
                (lab.subscription,)).fetchone()
            revision = remote.execute("SELECT version_num FROM alembic_version").fetchone()
            sites = [r[0] for r in remote.execute("SELECT DISTINCT site FROM scans ORDER BY 1")]
    except psycopg.Error as exc:
        entry.problem = entry.problem or f"lab unreachable: {' '.join(str(exc).split())[:200]}"
        return
    if slot is not None:
        entry.lag_bytes, entry.wal_retained_bytes, entry.wal_status = slot
    if lag is not None:
        entry.lag_seconds = float(lag[0]) if entry.lag_bytes else 0.0
    elif entry.last_message_at is not None:
        entry.lag_seconds = (datetime.now(UTC) - entry.last_message_at).total_seconds()
    entry.lab_revision = revision[0] if revision else None
    if not entry.schema_ok:
        entry.problem = (f"schema mismatch: lab at {entry.lab_revision}, hub at "
                         f"{entry.hub_revision}; "
                         f"{upgrade_advice(entry.lab_revision, entry.hub_revision)}")
    new_sites = sorted(set(sites) | set(entry.sites))
    with hub.begin() as conn:
        conn.execute(text("UPDATE federation_labs SET sites = :sites, schema_revision = :r, "
                          "checked_at = now() WHERE name = :n"),
                     {"sites": new_sites, "r": entry.lab_revision, "n": entry.name})
    entry.sites = new_sites


"""Federation: a lab's sharing rules, and a hub's list of the labs it subscribes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Text, false
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now, uuid_pk


class SharingRule(Base):
    """What a lab shares: the scans matching `where_text`, carrying the chosen parts.

    A scan is shared when any rule matches; it carries a part when any matching rule
    carries it. Metadata always travels with a shared scan.
    """

    __tablename__ = "sharing_rules"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(Text, unique=True)
    where_text: Mapped[str] = mapped_column(Text, comment="The filter expression, as given")
    predicate_sql: Mapped[str] = mapped_column(
        Text, comment="where_text compiled by symcat to SQL over scans (never typed by hand)"
    )
    channels: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="Share channel rows: pixels and thumbnails"
    )
    embeddings: Mapped[bool] = mapped_column(Boolean, server_default=false())
    originals: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[created_now]
    updated_at: Mapped[created_now]


class FederationLab(Base):
    """A lab this catalog (a hub) subscribes to. The password lives only in the
    subscription (pg_subscription, readable by superusers), never here."""

    __tablename__ = "federation_labs"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    subscription: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text, comment="The lab's URL without its password")
    system_identifier: Mapped[str] = mapped_column(
        Text, comment="The lab server's system identifier and database: recognises a lab"
    )
    sites: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="Sites the lab's scans carry")
    schema_revision: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[created_now]
    checked_at: Mapped[datetime | None]

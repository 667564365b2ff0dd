"""All tables; importing this registers them on `symcat.store.base.metadata`."""

from symcat.store.models.scan import Channel, OriginalFile, Refusal, Scan

__all__ = ["Channel", "OriginalFile", "Refusal", "Scan"]

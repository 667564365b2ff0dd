"""Structured logs for a service: one line per event, as text or JSON, secrets removed.

Every record goes through one handler on the root logger, whose formatter
removes the database password (and any other secret it is given) from the
final line, tracebacks included, so no library can leak it either.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REDACTED = "***"


def event(logger: logging.Logger, level: int, name: str, message: str, **fields: Any) -> None:
    """Log one named event with fields (a JSON line in JSON mode, `key=value`s in text)."""
    logger.log(level, message, extra={"event": name, "fields": fields})


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is removed whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(_Redacting):
    """`2026-11-21T10:00:00Z INFO file.ingested: message path=... status=new`."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        name = getattr(record, "event", None) or record.name
        fields = getattr(record, "fields", None) or {}
        line = f"{when} {record.levelname} {name}: {record.getMessage()}"
        if fields:
            line += " " + " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redact(line)


class JsonFormatter(_Redacting):
    """One JSON object per line: ts, level, logger, event, msg, and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None),
            "msg": record.getMessage(),
        }
        out.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(out, default=str))


def _text(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if (" " in text or not text) else text


def configure(
    *, fmt: str = "text", file: Path | None = None, verbose: int = 0, secrets: Iterable[str] = ()
) -> None:
    """Send every log record through one redacting handler (stderr, or `file`, appended)."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be 'text' or 'json', got {fmt!r}")
    secrets = list(secrets)
    formatter = JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets)
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    logging.getLogger("symcat").setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)

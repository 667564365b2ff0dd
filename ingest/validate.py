"""Check a document against the metadata standard, ``schemas/scan/v1.json``.

The schema ships in the repository's ``schemas/`` folder, beside the
``ingest`` package; an installed wheel carries it as the ``symcat.schemas``
package. Both are tried, so validation works from a checkout and when installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

SCHEMA_FILE = "scan/v1.json"


def schema_text(name: str = SCHEMA_FILE) -> str:
    """The JSON text of a schema file under ``schemas/`` (e.g. "scan/v1.json")."""
    local = Path(__file__).resolve().parent.parent / "schemas" / name
    if local.is_file():
        return local.read_text(encoding="utf-8")
    resource = resources.files("symcat.schemas").joinpath(*name.split("/"))
    return resource.read_text(encoding="utf-8")


@cache
def load_schema(name: str = SCHEMA_FILE) -> dict[str, Any]:
    """The parsed schema, loaded once per process."""
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def _compiled(name: str) -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: ~20x faster than jsonschema on a
    valid document (1.8 ms per file at ingest before; issue 17). The schema uses only
    keywords that draft 7, fastjsonschema's dialect, reads the same way as 2020-12 (a test
    checks that), so `$schema` is left out for it."""
    schema = {k: v for k, v in load_schema(name).items() if k != "$schema"}
    return fastjsonschema.compile(schema, use_default=False)


def _raw_note_errors(raw_note: Any) -> list[str]:
    """The schema's rule for raw_note (values: string or list of strings), in plain Python."""
    if not isinstance(raw_note, dict):
        return []  # jsonschema reports the wrong type
    out = []
    for key, value in raw_note.items():
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok or not isinstance(key, str):
            out.append(f"raw_note/{key}: {value!r} is not a string or a list of strings"[:240])
    return out


def validate_document(document: Any, schema: str = SCHEMA_FILE, *, full: bool = False) -> list[str]:
    """Every way `document` breaks the schema, as "path: message" lines; [] when valid.

    jsonschema spends ~10 ms on the 600-odd keys of an Asylum raw_note, more
    than igor2 takes to parse the file, so by default raw_note's entries are
    checked by `_raw_note_errors`, which applies the same rule in plain Python
    (tests check that both ways agree), and the rest by the compiled schema,
    with jsonschema called only to explain a document that fails it.
    `full=True` gives all to jsonschema.
    """
    extra: list[str] = []
    if not full and isinstance(document, dict) and isinstance(document.get("raw_note"), dict):
        extra = _raw_note_errors(document["raw_note"])
        document = {**document, "raw_note": {}}
        try:
            _compiled(schema)(document)
            return extra  # valid: the compiled check is enough
        except Exception:  # noqa: S110  (invalid, or odd values it does not handle)
            pass  # jsonschema decides, and says every way it is, in its words
    errors = sorted(_validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        message = error.message if len(error.message) < 200 else error.message[:197] + "..."
        out.append(f"{where}: {message}")
    return out + extra

"""The compiled schema check (fastjsonschema) never passes a document that jsonschema fails.

`validate_document` trusts the compiled check when it says "valid" and asks jsonschema
otherwise, so only one direction matters: every mutation of real documents that jsonschema
rejects must be rejected by the compiled check too (issue 17).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from symcat.ingest.records import Refused, ScanRecord
from symcat.ingest.validate import SCHEMA_FILE, _compiled, _validator, validate_document

DOCUMENTS = ["dart_pfm/mfp3d_dart_scan_0001.ibw", "curves/mfp3d_fd_SiN.ibw"]
REPLACEMENTS: list[Any] = [None, "x", -1, 1.5, True, [], {"k": 1}]
MISSING = object()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _mutated(doc: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    if new is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    out["raw_note"] = {}
    return out


@pytest.mark.parametrize("relative", DOCUMENTS)
def test_compiled_check_rejects_whatever_jsonschema_rejects(
    read_fixture: Callable[[str], ScanRecord | Refused], relative: str
) -> None:
    record = read_fixture(relative)
    assert isinstance(record, ScanRecord)
    doc = {**record.document, "raw_note": {}}
    compiled, reference = _compiled(SCHEMA_FILE), _validator(SCHEMA_FILE)
    compiled(doc)  # the real document passes both
    assert reference.is_valid(doc)
    rejected = 0
    for path in _paths(doc):
        for new in [MISSING, *REPLACEMENTS]:
            mutant = _mutated(doc, path, new)
            if reference.is_valid(mutant):
                continue
            rejected += 1
            with pytest.raises(Exception):  # noqa: B017  (its JsonSchemaException, or worse)
                compiled(mutant)
    assert rejected > 100  # the mutations did test something


def test_errors_are_still_explained_by_jsonschema(
    read_fixture: Callable[[str], ScanRecord | Refused],
) -> None:
    record = read_fixture(DOCUMENTS[0])
    assert isinstance(record, ScanRecord)
    doc = copy.deepcopy(record.document)
    doc["scan"]["pixels_x"] = "many"
    doc["raw_note"]["Odd"] = 3
    errors = validate_document(doc)
    assert any(e.startswith("scan/pixels_x: 'many' is not of type") for e in errors), errors
    assert any(e.startswith("raw_note/Odd: 3 is not a string") for e in errors), errors

"""Wave notes: "Key: value" lines as written by Asylum, or free text.

Quirks this handles (all seen in real files): lines end in CR only; values
contain colons ("Time:7:09:19 PM", "SaveImage: C:Users:..."), so a line is
split on its first colon only; many keys repeat in later blocks with other
meanings (NapMode "Off" then "0", Channel1DataType "1" then "Height"). Every
occurrence is kept in `raw` (a repeated key maps to the list of its values in
order); `first` holds the first value of each key, which is what normalized
fields use, because Asylum writes the scan's own parameter block first and the
later blocks (nap panel, channel panel, save paths, force-map block) after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A key is short and plain; this keeps prose such as "Experiment 'X' ... on
# 10-Jan-2023 22:53:08" from being read as key "Experiment 'X' ... 22".
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_ .#/()\[\]+\-]{0,79}")
_STRUCTURED_SHARE = 0.8


@dataclass(frozen=True)
class Note:
    """A parsed note. `raw` is what the document stores as `raw_note`."""

    raw: dict[str, str | list[str]]
    first: dict[str, str]
    structured: bool
    text: str

    def get(self, key: str) -> str | None:
        """First value of `key`, or None when absent."""
        return self.first.get(key)


def _split(line: str, sep: str) -> tuple[str, str] | None:
    key, found, value = line.partition(sep)
    if not found:
        return None
    key = key.strip()
    if not _KEY.fullmatch(key):
        return None
    return key, value.strip()


def _add(raw: dict[str, str | list[str]], first: dict[str, str], key: str, value: str) -> None:
    old = raw.get(key)
    if old is None:
        raw[key] = value
        first[key] = value
    elif isinstance(old, list):
        old.append(value)
    else:
        raw[key] = [old, value]


def parse_note(text: str) -> Note:
    """Split a note into keys and values without losing any line.

    A note is *structured* when at least 80% of its non-empty lines are
    "Key: value" pairs (Asylum notes). Its few other lines ("Cypher Temps
    Start") go to ``raw["_unparsed"]``. Any other note (MATRIX exports, Igor
    test waves) keeps its whole text in ``raw["_text"]``, plus whatever
    "Key: value" or "Key = value" pairs its lines hold.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    pairs: list[tuple[str, str] | None] = [_split(line, ":") for line in lines]
    n_pairs = sum(p is not None for p in pairs)
    structured = bool(lines) and n_pairs >= _STRUCTURED_SHARE * len(lines)
    raw: dict[str, str | list[str]] = {}
    first: dict[str, str] = {}
    if structured:
        unparsed = [line.strip() for line, p in zip(lines, pairs, strict=True) if p is None]
        if unparsed:
            raw["_unparsed"] = unparsed
    elif text.strip():
        raw["_text"] = text.strip("\n")
    for line, pair in zip(lines, pairs, strict=True):
        if pair is None and not structured:
            pair = _split(line, "=")
        if pair is not None:
            _add(raw, first, *pair)
    return Note(raw=raw, first=first, structured=structured, text=text)

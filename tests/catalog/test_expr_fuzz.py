"""Fuzzing the filter language on a real catalog.

1. Random token streams: every one either compiles and runs in PostgreSQL, or is
   refused with a one-line `FilterError`; nothing else escapes.
2. Random valid expressions: the scans PostgreSQL selects are exactly those a
   reference evaluation in Python selects (SQL's three-valued logic included).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from symcat.client import Catalog
from symcat.query.expr import compile_expression
from symcat.query.filters import FilterError
from symcat.store.models import Scan

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# -- 1. token streams ------------------------------------------------------------------------
TOKENS = [
    "mode", "kind", "sample", "material", "acquired_at", "ingested_at", "uncalibrated", "id",
    "scan_size_x_m", "pixels_x", "tip_bias_v", "note", "sha256", "colour",
    "and", "or", "not", "in", "between", "is", "null", "true", "false",
    "=", "!=", "<", "<=", ">", ">=", "~", "(", ")", ",", ";", "*", "?", "%", "'", '"',
    "5", "-3.2e-7", "2um", "300kHz", "5furlongs", "1e999", "2024-01-01", "2024-13-45",
    "2024-02-30T10:00", "2024-01-01T25:61:00", "0000-01-01", "9999-12-31T23:59:59",
    "'PZT*'", "'a''b'", "'\\\\'", "dart_pfm", "DART", "pfm", "image", "force_curve",
    "'3f2c1a2b-0000-4000-8000-000000000001'", "3f2c1a2b-0000-4000-8000-000000000001",
    "'abc'", "\x00", "\ud800", "\udcff", "'a\x00b'", "'\ud800'", "sample = '\udcff'", "é",
    "µm", "\n", "--", "/*",
]


@pytest.fixture()
def filled(catalog: Catalog, fixtures_root: Path) -> Catalog:
    catalog.ingest([fixtures_root])
    return catalog


NAMES = TOKENS[:14]
OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "~", "in", "between", "is"]
VALUES = [*TOKENS[TOKENS.index("5"):], "true", "false", "null", "(", ")"]



def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _chunk(names: list[str], ops: list[str], values: st.SearchStrategy[str]
           ) -> st.SearchStrategy[str]:
    return st.builds(lambda *p: " ".join(p), st.sampled_from(names), st.sampled_from(ops),
                     values)


# Any text, lone surrogates and NUL included, and the characters SQL patterns treat specially.
ODD_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=6),
    st.sampled_from(["a\x00b", "\ud800", "x\udcff", "''", "\\", "%", "_", "*", "PZT*"]))
# A column, an operator and a value: the shape most inputs have. Typed ones carry odd
# values (any text, NUL, surrogates, huge numbers, odd dates) through the parser to the
# compiler and the database.
CHUNKS = st.one_of(
    _chunk(NAMES, OPERATORS, st.one_of(st.sampled_from(VALUES), st.text(max_size=4))),
    _chunk(["sample", "material", "file_name", "note", "sha256", "site", "source_path"],
           ["=", "!=", "~", "<", ">="], ODD_TEXT.map(_quoted)),
    _chunk(["scan_size_x_m", "pixels_x", "tip_bias_v", "drive_frequency_hz"],
           ["=", "!=", "<", ">=", "~"],
           st.one_of(st.floats().map(repr), st.integers().map(str),
                     st.sampled_from(["1e999", "-0", "2um", "5furlongs", ".5", "1e-400"]))),
    _chunk(["acquired_at", "ingested_at"], ["=", "<", ">=", "~"],
           st.one_of(st.dates().map(str), st.sampled_from(VALUES[5:13]),
                     st.datetimes().map(lambda d: d.isoformat(timespec="seconds")))),
    _chunk(["mode", "kind"], ["=", "!=", "~"], st.one_of(
        st.sampled_from(["dart_pfm", "PFM", "image", "DART", "*", "pf?", "'%'", "'_'"]),
        ODD_TEXT.map(_quoted))),
)


@FUZZ
@given(parts=st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4), CHUNKS),
                      max_size=14),
       sep=st.sampled_from([" ", "", "  "]))
def test_token_streams_compile_run_or_fail_in_one_line(filled: Catalog, parts: list[str],
                                                       sep: str) -> None:
    text = sep.join(parts)
    try:
        clause = compile_expression(text)
    except FilterError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        return
    with filled.engine.connect() as conn:  # what compiles must also run
        conn.execute(select(Scan.id).where(clause)).all()


@FUZZ
@given(chunks=st.lists(CHUNKS, min_size=1, max_size=4),
       joins=st.lists(st.sampled_from(["and", "or", "and not", "or ("]), min_size=3,
                      max_size=3))
def test_near_valid_expressions_run_or_fail_in_one_line(filled: Catalog, chunks: list[str],
                                                        joins: list[str]) -> None:
    """Comparisons with odd values, joined as people join them: most reach the database."""
    text = chunks[0]
    for join, chunk in zip(joins, chunks[1:], strict=False):
        text += f" {join} {chunk}" + (")" if join.endswith("(") else "")
    test_token_streams_compile_run_or_fail_in_one_line.hypothesis.inner_test(  # type: ignore[attr-defined]
        filled, [text], "")


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    for text in ["(" * 330 + "uncalibrated" + ")" * 330, "not " * 990 + "uncalibrated",
                 "(not " * 700 + "uncalibrated" + ")" * 700]:
        with pytest.raises(FilterError, match="nested deeper than 40 levels"):
            compile_expression(text[:4000])
    compile_expression("(" * 20 + "not " * 20 + "uncalibrated" + ")" * 20)  # 40 is fine


# -- 2. valid expressions against a reference evaluation ------------------------------------
Row = dict[str, Any]
Eval = Callable[[Row], bool | None]
COLUMNS = {  # filter name -> scans column
    "sample": "sample_name", "material": "material", "file_name": "file_name",
    "site": "site", "mode": "imaging_mode", "kind": "record_kind",
    "scan_size_x_m": "scan_size_x_m", "pixels_x": "pixels_x",
    "drive_frequency_hz": "drive_frequency_hz", "tip_bias_v": "tip_bias_v",
    "acquired_at": "acquired_at", "uncalibrated": "uncalibrated",
}
TEXT = ["sample", "material", "file_name", "site"]
NUMBERS = ["scan_size_x_m", "pixels_x", "drive_frequency_hz", "tip_bias_v"]
MODES = ["dart_pfm", "pfm", "ac", "contact", "unknown", "force_curve"]
KINDS = ["image", "force_curve", "wave", "spectrum"]
UNITS = {"": 1.0, "um": 1e-6, "nm": 1e-9, "kHz": 1e3, "mV": 1e-3}


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _wild(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", "."),
                      re.DOTALL)


def _cmp(value: Any, op: str, other: Any) -> bool | None:
    if value is None:
        return None
    return {"=": value == other, "!=": value != other, "<": value < other,
            "<=": value <= other, ">": value > other, ">=": value >= other}[op]


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _in(value: Any, options: list[Any]) -> bool | None:
    if value is None:
        return None
    return value in options


def leaves(rows: list[Row]) -> st.SearchStrategy[tuple[str, Eval]]:
    """Single comparisons, their values drawn from the catalog and at random."""
    def seen(column: str, default: Any = 0.0) -> list[Any]:
        return sorted({r[column] for r in rows if r[column] is not None}, key=repr) or [default]

    @st.composite
    def text_leaf(draw: st.DrawFn) -> tuple[str, Eval]:
        name = draw(st.sampled_from(TEXT))
        col = COLUMNS[name]
        word = draw(st.one_of(st.sampled_from(seen(col, "PZT")),
                              st.text(st.characters(codec="ascii", exclude_characters="\x00"),
                                      max_size=5)))
        form = draw(st.sampled_from(["=", "!=", "~", "pattern", "in", "null", "not null"]))
        if form == "null":
            return f"{name} is null", lambda r: r[col] is None
        if form == "not null":
            return f"{name} is not null", lambda r: r[col] is not None
        if form == "in":
            other = draw(st.sampled_from(seen(col, "PZT")))
            return (f"{name} in ({_quote(word)}, {_quote(other)})",
                    lambda r: _in(r[col], [word, other]))
        if form == "pattern" or ("*" in word or "?" in word) and form in ("=", "~"):
            cut = draw(st.integers(0, len(word)))
            pattern = word[:cut] + "*" if form == "pattern" else word
            regex = _wild(pattern)
            op = "~" if form == "~" else "="
            return (f"{name} {op} {_quote(pattern)}",
                    lambda r: None if r[col] is None else bool(regex.fullmatch(r[col].lower())))
        if form == "~":
            return (f"{name} ~ {_quote(word)}",
                    lambda r: None if r[col] is None else word.lower() in r[col].lower())
        return f"{name} {form} {_quote(word)}", lambda r: _cmp(r[col], form, word)

    @st.composite
    def vocabulary_leaf(draw: st.DrawFn) -> tuple[str, Eval]:
        name = draw(st.sampled_from(["mode", "kind"]))
        col = COLUMNS[name]
        value = draw(st.sampled_from(MODES if name == "mode" else KINDS))
        shown = draw(st.sampled_from([value, value.upper(), _quote(value)]))
        op = draw(st.sampled_from(["=", "!="]))
        return f"{name} {op} {shown}", lambda r: _cmp(r[col], op, value)

    @st.composite
    def number_leaf(draw: st.DrawFn) -> tuple[str, Eval]:
        name = draw(st.sampled_from(NUMBERS))
        col = COLUMNS[name]
        unit = draw(st.sampled_from(list(UNITS)))
        base = draw(st.one_of(
            st.sampled_from([v / UNITS[unit] for v in seen(col)]),
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
            st.integers(-1000, 100000).map(float)))
        digits = repr(base)
        value = float(digits) * UNITS[unit] if unit else float(digits)
        form = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "between", "null"]))
        if form == "null":
            return f"{name} is null", lambda r: r[col] is None
        if form == "between":
            width = draw(st.floats(0, 1e6, allow_nan=False))
            high_digits = repr(base + width)
            high = float(high_digits) * UNITS[unit] if unit else float(high_digits)
            return (f"{name} between {digits}{unit} and {high_digits}{unit}",
                    lambda r: _and(_cmp(r[col], ">=", value), _cmp(r[col], "<=", high)))
        return f"{name} {form} {digits}{unit}", lambda r: _cmp(r[col], form, value)

    @st.composite
    def date_leaf(draw: st.DrawFn) -> tuple[str, Eval]:
        known = [v.replace(microsecond=0) for v in seen("acquired_at") if isinstance(v, datetime)]
        moment = draw(st.one_of(
            st.sampled_from(known or [datetime(2024, 1, 1, tzinfo=UTC)]),
            st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1)).map(
                lambda d: d.replace(microsecond=0, tzinfo=UTC))))
        moment = moment + timedelta(seconds=draw(st.sampled_from([0, 0, -1, 1, 86400])))
        day_only = draw(st.booleans())
        if day_only:
            moment = moment.replace(hour=0, minute=0, second=0)
            shown = moment.strftime("%Y-%m-%d")
        else:
            shown = moment.strftime("%Y-%m-%dT%H:%M:%S")
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "=", "!="]))
        return f"acquired_at {op} {shown}", lambda r: _cmp(r["acquired_at"], op, moment)

    @st.composite
    def boolean_leaf(draw: st.DrawFn) -> tuple[str, Eval]:
        form = draw(st.sampled_from(["bare", "true", "false", "null"]))
        if form == "bare":
            return "uncalibrated", lambda r: r["uncalibrated"] is True  # IS TRUE: never null
        if form == "null":
            return "uncalibrated is null", lambda r: r["uncalibrated"] is None
        value = form == "true"
        return f"uncalibrated = {form}", lambda r: _cmp(r["uncalibrated"], "=", value)

    return st.one_of(text_leaf(), vocabulary_leaf(), number_leaf(), date_leaf(),
                     boolean_leaf())


def combined(children: st.SearchStrategy[tuple[str, Eval]]
             ) -> st.SearchStrategy[tuple[str, Eval]]:
    def both(pair: tuple[tuple[str, Eval], tuple[str, Eval]], word: str) -> tuple[str, Eval]:
        (left, f), (right, g) = pair
        join = _and if word == "and" else _or
        return f"({left}) {word} ({right})", lambda r: join(f(r), g(r))

    def negate(child: tuple[str, Eval]) -> tuple[str, Eval]:
        text, f = child
        return f"not ({text})", lambda r: None if f(r) is None else not f(r)

    return st.one_of(
        st.tuples(children, children).map(lambda p: both(p, "and")),
        st.tuples(children, children).map(lambda p: both(p, "or")),
        children.map(negate),
    )


def _rows(catalog: Catalog) -> list[Row]:
    columns = [getattr(Scan, c) for c in ["id", *COLUMNS.values()]]
    with catalog.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*columns))]


def test_valid_expressions_select_what_python_selects(filled: Catalog) -> None:
    rows = _rows(filled)
    assert len(rows) == 11 and any(r["material"] is None for r in rows)
    expressions = st.recursive(leaves(rows), combined, max_leaves=8)

    @FUZZ
    @given(case=expressions)
    def check(case: tuple[str, Eval]) -> None:
        text, evaluate = case
        expected = {r["id"] for r in rows if evaluate(r) is True}
        with filled.engine.connect() as conn:
            got = set(conn.execute(select(Scan.id).where(compile_expression(text))).scalars())
        assert got == expected, text

    check()

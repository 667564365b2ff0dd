"""A small filter language over the standard columns, compiled to parameterized SQL.

    mode in (dart_pfm, pfm) and scan_size_x_m >= 2um and sample ~ 'PZT'
    acquired_at between 2024-01-01 and 2024-06-30 and not uncalibrated
    material = 'BiFeO3' or (drive_frequency_hz > 300kHz and tip_bias_v != 0)

Grammar (case-insensitive keywords)::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := NAME op value | NAME "in" "(" value ("," value)* ")"
                | NAME "between" value "and" value | NAME "~" value
                | NAME "is" ["not"] "null" | NAME            (a true boolean column)
                | "selection" ("=" | "!=") value | "selection" "in" "(" value, ... ")"
    op         := "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := 'text' | "text" | number[unit] | YYYY-MM-DD[Thh:mm[:ss]] | word | true | false

Numbers may carry an SI unit (nm, um, µm, mm, m, Hz, kHz, MHz, mV, V, s, ms);
they are converted to the column's SI unit. `~` is a case-insensitive
"contains" match; a value with * or ? after `=` or `~` is a case-insensitive
whole-value pattern (`sample = PZT*`).
Names are looked up in an allow-list; values only ever become bound
parameters, so no text of the expression is pasted into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement as _Column

from symcat.query.filters import FILTER_COLUMNS, FilterError, compile_filters
from symcat.store.models import Scan

UNITS: dict[str, float] = {
    "nm": 1e-9, "um": 1e-6, "µm": 1e-6, "mm": 1e-3, "m": 1.0,
    "hz": 1.0, "khz": 1e3, "mhz": 1e6,
    "mv": 1e-3, "v": 1.0,
    "s": 1.0, "ms": 1e-3,
}
TEXT_COLUMNS: dict[str, Any] = {
    "note": Scan.document["image_note"].astext,
}
MAX_EXPRESSION_LENGTH = 4000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
      | (?P<datetime>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?P<unit>[a-zA-Zµ]+)?
      | (?P<op><=|>=|!=|=|<|>|~|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.*?-]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "between", "is", "null", "true", "false"}


class ExpressionError(FilterError):
    """The filter expression cannot be parsed; the message shows where."""


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "datetime", "op", "word", "keyword", "end"
    value: Any
    position: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"filter expression longer than {MAX_EXPRESSION_LENGTH} characters")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise ExpressionError(f"unexpected character {text[start]!r} at position {start}")
        start = match.start(match.lastgroup or 0)
        if match.group("string") is not None:
            quoted = match.group("string")
            raw = quoted[1:-1].replace(quoted[0] * 2, quoted[0])  # SQL-style doubled quote
            tokens.append(Token("string", re.sub(r"\\(.)", r"\1", raw), start))
        elif match.group("datetime") is not None:
            tokens.append(Token("datetime", _parse_datetime(match.group("datetime")), start))
        elif match.group("number") is not None:
            tokens.append(Token("number", _number(match.group("number"),
                                                  match.group("unit"), start), start))
        elif match.group("op") is not None:
            tokens.append(Token("op", match.group("op"), start))
        else:
            word = match.group("word")
            kind = "keyword" if word.lower() in KEYWORDS else "word"
            tokens.append(Token(kind, word.lower() if kind == "keyword" else word, start))
        position = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def _parse_datetime(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)


def _number(digits: str, unit: str | None, position: int) -> float:
    value = float(digits)
    if unit is None:
        return value
    scale = UNITS.get(unit.lower() if unit != "µm" else unit)
    if scale is None:
        raise ExpressionError(
            f"unknown unit {unit!r} at position {position} (known: {', '.join(sorted(UNITS))})"
        )
    return value * scale


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self, kind: str, value: Any = None) -> Token | None:
        token = self.token
        if token.kind == kind and (value is None or token.value == value):
            self.i += 1
            return token
        return None

    def expect(self, kind: str, value: Any = None, what: str = "") -> Token:
        token = self.take(kind, value)
        if token is None:
            found = self.token.value if self.token.kind != "end" else "the end"
            wanted = what or repr(value)
            raise ExpressionError(
                f"expected {wanted} at position {self.token.position}, found {found!r}"
            )
        return token

    def parse(self) -> ColumnElement[bool]:
        if self.token.kind == "end":
            raise ExpressionError("empty filter expression")
        clause = self.expr()
        if self.token.kind != "end":
            raise ExpressionError(
                f"unexpected {self.token.value!r} at position {self.token.position}"
            )
        return clause

    def expr(self) -> ColumnElement[bool]:
        parts = [self.term()]
        while self.take("keyword", "or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else or_(*parts)

    def term(self) -> ColumnElement[bool]:
        parts = [self.factor()]
        while self.take("keyword", "and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else and_(*parts)

    def factor(self) -> ColumnElement[bool]:
        if self.take("keyword", "not"):
            return not_(self.factor())
        if self.take("op", "("):
            inner = self.expr()
            self.expect("op", ")", "')'")
            return inner
        return self.comparison()

    def column(self) -> tuple[str, _Column[Any]]:
        token = self.expect("word", what="a column name")
        name = token.value
        column = TEXT_COLUMNS[name] if name in TEXT_COLUMNS else FILTER_COLUMNS.get(name)
        if column is None:
            valid = ", ".join(sorted({*FILTER_COLUMNS, *TEXT_COLUMNS, "selection"}))
            raise ExpressionError(
                f"unknown column {name!r} at position {token.position}; valid: {valid}"
            )
        return name, column

    def value(self, column: _Column[Any] | None = None) -> Any:
        token = self.token
        if column is not None:
            _check_type(column, token)
        if token.kind in ("string", "number", "datetime", "word"):
            self.i += 1
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.i += 1
            return token.value == "true"
        found = token.value if token.kind != "end" else "the end"
        raise ExpressionError(f"expected a value at position {token.position}, found {found!r}")

    def selection(self) -> ColumnElement[bool]:
        """`selection = name`, `selection != name`, `selection in (a, b)`: saved selections."""
        from symcat.query.selections import membership

        self.i += 1
        if self.take("keyword", "in"):
            self.expect("op", "(", "'(' after 'in'")
            names = [str(self.value())]
            while self.take("op", ","):
                names.append(str(self.value()))
            self.expect("op", ")", "')'")
            return membership(names)
        op = self.take("op")
        if op is None or op.value not in ("=", "!="):
            raise ExpressionError(f"expected '=', '!=' or 'in' after 'selection' at position "
                                  f"{self.token.position}")
        clause = membership([str(self.value())])
        return clause if op.value == "=" else not_(clause)

    def comparison(self) -> ColumnElement[bool]:
        if self.token.kind == "word" and self.token.value == "selection":
            return self.selection()
        name, column = self.column()
        if self.take("keyword", "in"):
            self.expect("op", "(", "'(' after 'in'")
            values = [self.value(column)]
            while self.take("op", ","):
                values.append(self.value(column))
            self.expect("op", ")", "')'")
            return column.in_(values)
        if self.take("keyword", "between"):
            low = self.value(column)
            self.expect("keyword", "and", "'and' in 'between ... and ...'")
            return column.between(low, self.value(column))
        if self.take("keyword", "is"):
            negated = self.take("keyword", "not") is not None
            self.expect("keyword", "null", "'null'")
            return column.is_not(None) if negated else column.is_(None)
        op = self.take("op")
        if op is None or op.value not in ("=", "!=", "<", "<=", ">", ">=", "~"):
            if op is not None:
                self.i -= 1
            return column.is_(True)  # a bare boolean column
        value = self.value(None if op.value == "~" else column)
        wildcard = isinstance(value, str) and ("*" in value or "?" in value)
        if op.value == "~" or (op.value == "=" and wildcard):
            text = str(value)
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            if "*" in text or "?" in text:
                pattern = escaped.replace("*", "%").replace("?", "_")
            else:
                pattern = f"%{escaped}%"
            return column.ilike(pattern, escape="\\")
        return {
            "=": column == value, "!=": column != value, "<": column < value,
            "<=": column <= value, ">": column > value, ">=": column >= value,
        }[op.value]


def _check_type(column: _Column[Any], token: Token) -> None:
    """Refuse a value that cannot be compared with the column, before SQL sees it."""
    try:
        expected = column.type.python_type
    except NotImplementedError:
        return
    numeric = expected in (int, float)
    if numeric and token.kind not in ("number",):
        raise ExpressionError(
            f"column expects a number at position {token.position}, found {token.value!r}"
        )
    if expected in (datetime, date) and token.kind != "datetime":
        raise ExpressionError(
            f"column expects a date (YYYY-MM-DD) at position {token.position}, "
            f"found {token.value!r}"
        )
    if expected is str and token.kind == "number":
        raise ExpressionError(
            f"column expects text at position {token.position}; quote it: '{token.value}'"
        )


def compile_expression(text: str | None) -> ColumnElement[bool]:
    """Parse `text` into one SQLAlchemy clause; None or blank means "everything"."""
    if text is None or not text.strip():
        return true()
    return _Parser(text).parse()


def scan_conditions(where: str | None, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """The WHERE clauses of an expression and keyword filters together (ANDed)."""
    clauses = compile_filters(filters)
    if where is not None and where.strip():
        clauses.append(compile_expression(where))
    return clauses


__all__ = ["ExpressionError", "compile_expression", "scan_conditions", "tokenize"]

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
parameters, so no text of the expression is pasted into SQL. Every mistake
(unknown name, a value of the wrong type, an invalid date, a mode that does not
exist, nesting deeper than MAX_DEPTH) is an `ExpressionError` of one line that
says what and where, raised before the database sees anything.
"""

from __future__ import annotations

import operator
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement as _Column

from symcat.query.filters import FILTER_COLUMNS, FilterError, check_vocabulary, compile_filters
from symcat.query.label_filters import label_column
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
MAX_DEPTH = 40  # nested parentheses and `not`s; deeper is a mistake, not a query

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
      | (?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
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
    text: str = ""  # as typed, for messages


def _check_characters(text: str) -> None:
    """Characters no database text can hold: refused here, with their position."""
    for position, char in enumerate(text):
        if char == "\x00":
            raise ExpressionError(f"NUL character at position {position}; remove it")
        if "\ud800" <= char <= "\udfff":
            raise ExpressionError(
                f"invalid character {char!r} at position {position} (a lone UTF-16 surrogate, "
                "not text); retype the expression")


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise ExpressionError(f"a filter expression is text, not {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"filter expression longer than {MAX_EXPRESSION_LENGTH} characters")
    _check_characters(text)
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
        elif match.group("uuid") is not None:
            tokens.append(Token("word", match.group("uuid"), start))
        elif match.group("datetime") is not None:
            tokens.append(Token("datetime", _parse_datetime(match.group("datetime"), start),
                                start))
        elif match.group("number") is not None:
            tokens.append(Token("number", _number(match.group("number"),
                                                  match.group("unit"), start), start))
        elif match.group("op") is not None:
            tokens.append(Token("op", match.group("op"), start))
        else:
            word = match.group("word")
            kind = "keyword" if word.lower() in KEYWORDS else "word"
            tokens.append(Token(kind, word.lower() if kind == "keyword" else word, start))
        last = tokens[-1]
        tokens[-1] = Token(last.kind, last.value, last.position, text[start:match.end()])
        position = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def _parse_datetime(text: str, position: int) -> date | datetime:
    try:
        return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    except ValueError as exc:
        raise ExpressionError(f"invalid date {text!r} at position {position}: {exc}") from exc


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
        self.depth = 0
        self.selections: list[str] = []  # saved selections named (checked when queried)

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
            found = (self.token.text or self.token.value) if self.token.kind != "end" \
                else "the end"
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
        token = self.token
        opening = token.kind == "op" and token.value == "("
        if opening or (token.kind == "keyword" and token.value == "not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(
                    f"expression nested deeper than {MAX_DEPTH} levels (parentheses and "
                    f"'not') at position {token.position}; simplify it")
            try:
                if self.take("keyword", "not"):
                    return not_(self.factor())
                self.expect("op", "(")
                inner = self.expr()
                self.expect("op", ")", "')'")
                return inner
            finally:
                self.depth -= 1
        return self.comparison()

    def column(self) -> tuple[str, _Column[Any]]:
        self.name_token = token = self.expect("word", what="a column name")
        name = token.value
        column = TEXT_COLUMNS[name] if name in TEXT_COLUMNS else FILTER_COLUMNS.get(name)
        if column is None:  # label.<set>, predicted.<set>, predicted_p (query/label_filters.py)
            column = label_column(name, [t.value for t in self.tokens if t.kind == "word"])
        if column is None:
            valid = ", ".join([*sorted({*FILTER_COLUMNS, *TEXT_COLUMNS, "selection"}),
                               "label.<set>", "predicted.<set>", "predicted_p"])
            raise ExpressionError(
                f"unknown column {name!r} at position {token.position}; valid: {valid}"
            )
        return name, column

    def value(self, name: str, column: _Column[Any], *, pattern: bool = False) -> Any:
        """The next token as a value of `column`'s type (bound, never pasted into SQL)."""
        token = self.token
        if token.kind in ("string", "number", "datetime", "word"):
            value = token.value
        elif token.kind == "keyword" and token.value in ("true", "false"):
            value = token.value == "true"
        else:
            found = token.value if token.kind != "end" else "the end"
            raise ExpressionError(
                f"expected a value at position {token.position}, found {found!r}")
        self.i += 1
        value = _coerce(name, column, token, value)
        return check_vocabulary(name, value, f" at position {token.position}", pattern=pattern)

    def selection(self) -> ColumnElement[bool]:
        """`selection = name`, `selection != name`, `selection in (a, b)`: saved selections."""
        from symcat.query.selections import membership

        self.i += 1
        if self.take("keyword", "in"):
            self.expect("op", "(", "'(' after 'in'")
            names = [self.selection_name()]
            while self.take("op", ","):
                names.append(self.selection_name())
            self.expect("op", ")", "')'")
            self.selections += names
            return membership(names)
        op = self.take("op")
        if op is None or op.value not in ("=", "!="):
            raise ExpressionError(f"expected '=', '!=' or 'in' after 'selection' at position "
                                  f"{self.token.position}")
        name = self.selection_name()
        self.selections.append(name)
        return membership([name], negated=op.value == "!=")

    def selection_name(self) -> str:
        """A saved selection's name: a quoted string or a bare word."""
        token = self.token
        if token.kind not in ("string", "word"):
            found = token.value if token.kind != "end" else "the end"
            raise ExpressionError(
                f"expected a selection name at position {token.position}, found {found!r}")
        self.i += 1
        return str(token.value)

    def comparison(self) -> ColumnElement[bool]:
        if self.token.kind == "word" and self.token.value == "selection":
            return self.selection()
        name, column = self.column()
        kind = _kind(column)
        if self.take("keyword", "in"):
            self.expect("op", "(", "'(' after 'in'")
            values = [self.value(name, column)]
            while self.take("op", ","):
                values.append(self.value(name, column))
            self.expect("op", ")", "')'")
            return column.in_(values)
        if kind == "boolean" and self.token.value in ("between", "<", "<=", ">", ">=", "~") \
                and self.token.kind in ("keyword", "op"):
            raise ExpressionError(
                f"{self.token.value!r} at position {self.token.position} does not apply to "
                f"{name}, which is true or false: use {name}, not {name}, = or !=")
        if self.take("keyword", "between"):
            low = self.value(name, column)
            self.expect("keyword", "and", "'and' in 'between ... and ...'")
            return column.between(low, self.value(name, column))
        if self.take("keyword", "is"):
            negated = self.take("keyword", "not") is not None
            self.expect("keyword", "null", "'null'")
            return column.is_not(None) if negated else column.is_(None)
        op = self.take("op")
        if op is None or op.value not in ("=", "!=", "<", "<=", ">", ">=", "~"):
            if op is not None:
                self.i -= 1
            if kind != "boolean":
                raise ExpressionError(
                    f"expected an operator after {name!r} at position {self.token.position} "
                    f"(=, !=, <, <=, >, >=, ~, in, between, is null); only a true/false column "
                    "stands alone")
            return column.is_(True)  # a bare boolean column
        if op.value == "~" and kind != "text":
            raise ExpressionError(
                f"'~' (contains) at position {op.position} needs a text column; {name} is "
                f"{_KIND_WORDS[kind]}: use =, <, >, between")
        token = self.token
        text_like = kind == "text" and token.kind in ("string", "word")
        wildcard = text_like and ("*" in str(token.value) or "?" in str(token.value))
        value = self.value(name, column, pattern=op.value == "~" or wildcard)
        if op.value == "~" or (op.value == "=" and wildcard):
            text = str(value)
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            if "*" in text or "?" in text:
                pattern = escaped.replace("*", "%").replace("?", "_")
            else:
                pattern = f"%{escaped}%"
            return column.ilike(pattern, escape="\\")
        compare = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                   ">": operator.gt, ">=": operator.ge}[op.value]
        return compare(column, value)  # type: ignore[no-any-return]


_KIND_WORDS = {"number": "a number", "date": "a date", "boolean": "true or false",
               "uuid": "an id", "text": "text"}


def _kind(column: _Column[Any]) -> str:
    """What kind of value a column holds: number, date, boolean, uuid or text."""
    try:
        expected = column.type.python_type
    except NotImplementedError:
        return "text"
    if expected is bool:
        return "boolean"
    if expected in (int, float):
        return "number"
    if expected in (datetime, date):
        return "date"
    if expected is uuid.UUID:
        return "uuid"
    return "text"


def _coerce(name: str, column: _Column[Any], token: Token, value: Any) -> Any:
    """Refuse a value that cannot be compared with the column, before SQL sees it."""
    kind = _kind(column)
    where = f"at position {token.position}"
    shown = token.text or token.value
    if kind == "number":
        if token.kind != "number":
            raise ExpressionError(f"{name} expects a number {where}, found {shown!r}")
        return value
    if kind == "date":
        if token.kind != "datetime":
            raise ExpressionError(
                f"{name} expects a date (YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]) {where}, "
                f"found {shown!r}")
        if not isinstance(value, datetime):  # a day means its first instant, in UTC
            value = datetime(value.year, value.month, value.day)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ExpressionError(f"{name} expects true or false {where}, found {shown!r}")
        return value
    if kind == "uuid":
        if token.kind in ("string", "word"):
            try:
                return uuid.UUID(str(value))
            except ValueError:
                pass
        raise ExpressionError(
            f"{name} expects a full id (32 hex digits, as `symcat show` prints) {where}, "
            f"found {shown!r}; quote it if it starts with a digit")
    if token.kind == "number":
        raise ExpressionError(f"{name} expects text {where}; quote it: '{shown}'")
    if token.kind == "datetime":
        raise ExpressionError(f"{name} expects text {where}; quote it: '{shown}'")
    if isinstance(value, bool):
        raise ExpressionError(f"{name} expects text {where}; quote it: '{shown}'")
    return value


def compile_expression(text: str | None) -> ColumnElement[bool]:
    """Parse `text` into one SQLAlchemy clause; None or blank means "everything"."""
    if text is None or not text.strip():
        return true()
    return _Parser(text).parse()


def scan_conditions(where: str | None, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """The WHERE clauses of an expression and keyword filters together (ANDed), and,
    where they name saved selections, the check that those exist (a query naming one
    that does not fails with SelectionError rather than matching nothing)."""
    from symcat.query.selections import as_names, required

    clauses = compile_filters(filters)
    selections = as_names(filters["selection"]) if "selection" in filters else []
    if where is not None and where.strip():
        parser = _Parser(where)
        clauses.append(parser.parse())
        selections += parser.selections
    if selections:
        clauses.append(required(selections))
    return clauses


__all__ = ["ExpressionError", "compile_expression", "scan_conditions", "tokenize"]

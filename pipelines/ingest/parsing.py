"""Pure value parsers for contract §2, plus the helpers that apply them to polars columns.

Every parser takes an already trimmed, non-null string and returns the parsed value or
None when the string cannot be parsed (the caller decides between quarantine and the
`bad_value` flag). Vectorised application goes through `map_unique`, so each distinct
raw value is parsed once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import polars as pl

from pipelines.contract import load_contract

# --- text -----------------------------------------------------------------------------

TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"
NULL_TOKENS = frozenset(load_contract().null_tokens)

# U+FF01..U+FF5E -> U+0021..U+007E, and the ideographic space -> space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
FULLWIDTH_CHARS = [chr(cp) for cp in range(0xFF01, 0xFF5F)] + ["\u3000"]
ASCII_CHARS = [chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)] + [" "]


def clean_text(value: str | None) -> str | None:
    """Trim ASCII/ideographic/no-break spaces; null tokens become None."""
    if value is None:
        return None
    v = value.strip(TRIM_CHARS)
    return None if v in NULL_TOKENS else v


def to_ascii(value: str) -> str:
    """Full-width ASCII forms -> ASCII (for codes, numbers and dates only)."""
    return value.translate(_FULLWIDTH)


def clean_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised `clean_text`."""
    v = col.str.strip_chars(TRIM_CHARS)
    return pl.when(v.is_in(list(NULL_TOKENS))).then(None).otherwise(v).alias(col.meta.output_name())


def ascii_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised `to_ascii`."""
    return col.str.replace_many(FULLWIDTH_CHARS, ASCII_CHARS)


def map_unique(s: pl.Series, fn: Callable[[str], object], dtype: pl.DataType) -> pl.Series:
    """Apply a Python parser once per distinct non-null value of `s`."""
    uniq = s.drop_nulls().unique()
    values = pl.Series([fn(v) for v in uniq.to_list()], dtype=dtype)
    return s.replace_strict(uniq, values, default=None, return_dtype=dtype)


# Canonical text each kind's parser would accept, read by polars' own cast instead (same
# values: correctly rounded floats, money with at most 2 decimals needs no rounding).
_FAST_PATHS: dict[str, tuple[str, pl.DataType]] = {
    "int": (r"^[+-]?\d{1,18}$", pl.Int64),
    "float": (r"^[+-]?\d+(\.\d+)?$", pl.Float64),
    "money": (r"^[+-]?\d+(\.\d{1,2})?$", pl.Float64),
}


# Dates and times polars reads itself (chrono), each pattern with its format: the spellings
# of contract §2 that exports use for whole columns (ISO, as calamine renders real cells;
# 瓜沥's slashed minutes `2021/4/11 14:13`; compact `20220601083000`; 年月日 时分), where
# every value is distinct and `parse_datetime` would run once per row. The patterns admit
# valid hours, minutes and seconds only (chrono would take a leap second); an impossible
# day, year 0 (chrono's, not Python's) and every other spelling are left to
# `parse_datetime`, so the result is the same (tests/ingest/test_parsing.py).
_HOUR, _MIN = r"([01]?\d|2[0-3])", r"[0-5]\d"
_DATE_FAST_PATHS: tuple[tuple[str, str], ...] = (
    (rf"^\d{{4}}-\d{{2}}-\d{{2}} {_HOUR}:{_MIN}:{_MIN}$", "%Y-%m-%d %H:%M:%S"),
    (rf"^\d{{4}}-\d{{2}}-\d{{2}} {_HOUR}:{_MIN}$", "%Y-%m-%d %H:%M"),
    (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    (rf"^\d{{4}}/\d{{1,2}}/\d{{1,2}} {_HOUR}:{_MIN}:{_MIN}$", "%Y/%m/%d %H:%M:%S"),
    (rf"^\d{{4}}/\d{{1,2}}/\d{{1,2}} {_HOUR}:{_MIN}$", "%Y/%m/%d %H:%M"),
    (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
    (rf"^\d{{8}}([01]\d|2[0-3]){_MIN}{_MIN}$", "%Y%m%d%H%M%S"),
    (r"^\d{8}$", "%Y%m%d"),
    (rf"^\d{{4}}年\d{{1,2}}月\d{{1,2}}日 {_HOUR}时[0-5]?\d分$", "%Y年%m月%d日 %H时%M分"),
    (r"^\d{4}年\d{1,2}月\d{1,2}日$", "%Y年%m月%d日"),
)


def _fast(s: pl.Series, kind: str) -> pl.Series | None:
    v = pl.col("v")
    if kind in ("timestamp", "date"):
        year_zero = v.str.starts_with("0000")
        e = pl  # pl.when(…).then(…).when(…)…: the first pattern that matches
        for pattern, fmt in _DATE_FAST_PATHS:
            parsed = v.str.strptime(pl.Datetime("us") if "%H" in fmt else pl.Date, fmt, strict=False)
            e = e.when(v.str.contains(pattern) & ~year_zero).then(parsed.cast(pl.Datetime("us")))
        e = e.dt.date() if kind == "date" else e
    elif kind in _FAST_PATHS:
        pattern, dtype = _FAST_PATHS[kind]
        e = pl.when(v.str.contains(pattern)).then(v.cast(dtype, strict=False))
    else:
        return None
    return s.to_frame("v").select(e)["v"]


def parse_series(s: pl.Series, kind: str, fn: Callable[[str], object], dtype: pl.DataType) -> pl.Series:
    """`map_unique(s, fn)`, with a vectorised fast path for the canonical text of dates,
    times and numbers (what calamine renders for real cells and most systems export).
    Values the fast path does not take go through `fn`, so the result is the same as
    `map_unique`; numbers are mostly distinct (coordinates), so that saves a Python call
    per row."""
    fast = _fast(s, kind)
    if fast is None:
        return map_unique(s, fn, dtype)
    if not (fast.is_null() & s.is_not_null()).any():
        return fast
    rest = pl.select(pl.when(fast.is_null()).then(s).alias("v"))["v"]
    return fast.fill_null(map_unique(rest, fn, dtype))


# --- dates and times -----------------------------------------------------------------

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Serials outside this range are not taken for dates (1954-10-04 .. 2119-01-07).
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20000, 80000

_SEP_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*(?=\d))(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:分)?"
    r"(?:\s*[:]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\s*(\d{2})(\d{2})(\d{2})?)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


def parse_datetime(value: str) -> dt.datetime | None:
    """Every form of contract §2: ISO, slashes, 年月日[时分[秒]], compact, Excel serial."""
    v = to_ascii(value).strip(TRIM_CHARS)
    m = _SEP_DATE.fullmatch(v)
    if m is None:
        m = _COMPACT.fullmatch(v)
    if m is not None:
        y, mo, d, h, mi, s = m.groups()
        try:
            return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        except ValueError:
            return None
    if _SERIAL.fullmatch(v):
        serial = float(v)
        if EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
            days = int(serial)
            seconds = round((serial - days) * 86400)
            return EXCEL_EPOCH + dt.timedelta(days=days, seconds=seconds)
    return None


def parse_date(value: str) -> dt.date | None:
    """A date; a time part, if any, is dropped."""
    ts = parse_datetime(value)
    return None if ts is None else ts.date()


# --- numbers ----------------------------------------------------------------------------

_MONEY = re.compile(r"(?:[¥￥]|RMB|CNY)?\s*([+-]?[\d,]*\.?\d+)\s*(万元|万|元)?")


def parse_money(value: str) -> float | None:
    """Yuan: `500`, `500.00`, `500元`, `￥1,200`, `0.2万元` (= 2000)."""
    m = _MONEY.fullmatch(to_ascii(value).strip(TRIM_CHARS).replace("￥", "¥"))
    if m is None:
        return None
    number, unit = m.groups()
    digits = number.replace(",", "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None
    if "," in number and not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})*(\.\d+)?", number):
        return None  # a comma that is not a thousands separator (e.g. a decimal comma)
    if unit and unit.startswith("万"):
        amount *= 10000
    try:
        return float(round(amount, 2))
    except InvalidOperation:  # beyond 28 digits: not an amount any system exports
        return None


def parse_int(value: str) -> int | None:
    v = to_ascii(value).strip(TRIM_CHARS).replace(",", "")
    if re.fullmatch(r"[+-]?\d+", v):
        return int(v)
    if re.fullmatch(r"[+-]?\d+\.0*", v):  # integral float, e.g. from an xlsx numeric cell
        return int(v.split(".")[0])
    return None


def parse_float(value: str) -> float | None:
    v = to_ascii(value).strip(TRIM_CHARS)
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", v):
        return None
    return float(v)


_TRUE = frozenset({"是", "y", "yes", "1", "true", "t", "√", "✓", "✔", "1.0"})
_FALSE = frozenset({"否", "n", "no", "0", "false", "f", "×", "✗", "✘", "x", "0.0"})


def parse_bool(value: str) -> bool | None:
    """是/否, Y/N, 1/0, true/false, √/×."""
    v = to_ascii(value).strip(TRIM_CHARS).lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


# --- identifiers ---------------------------------------------------------------------

MAX_EXACT_FLOAT_INT = 2**53
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d+\.\d*")


def normalise_id(value: str) -> str:
    """IDs are text: trimmed, full-width mapped, internal spaces removed; digits kept as given."""
    return re.sub(r"\s+", "", to_ascii(value))


def id_precision_lost(value: str, arrived_as_number: bool = False) -> bool:
    """True when the text shows the id went through a floating-point number.

    Scientific notation (`3.30109E+17`) or a decimal form (`12345.0`) always; a value that
    arrived as a number (xlsx numeric cell, JSON number) when it is not an integer or is
    beyond 2^53, where doubles stop representing every integer.
    """
    v = normalise_id(value)
    if _SCIENTIFIC.fullmatch(v) or _DECIMAL.fullmatch(v):
        return True
    if arrived_as_number:
        if not re.fullmatch(r"[+-]?\d+", v):
            return True
        return abs(int(v)) > MAX_EXACT_FLOAT_INT
    return False


_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


def resident_id_checksum_ok(value: str) -> bool:
    """GB 11643-1999 check character of an 18-character resident ID."""
    v = normalise_id(value).upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    total = sum(int(d) * w for d, w in zip(v[:17], _GB11643_WEIGHTS))
    return _GB11643_CHECK[total % 11] == v[17]


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _GB11643_WEIGHTS))
    return _GB11643_CHECK[total % 11]


def looks_like_resident_id(value: str) -> bool:
    """18 characters of digits (last may be X): the form GB 11643 applies to."""
    return re.fullmatch(r"\d{17}[\dXx]", normalise_id(value)) is not None

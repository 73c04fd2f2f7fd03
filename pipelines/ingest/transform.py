"""From an all-text table to typed lake rows and quarantine rows (contract §2, §5, v1.1).

Generic over the sources: column types and PII classes come from contract.yaml; the
few source-specific rules come from each source module's `Rules`. `transform` runs named
stages over one file:

1. `_clean`        trim, null tokens, full width -> ASCII in ids, codes, numbers and dates;
                   blank lines dropped.
2. `_parse_values` typed values. An unparseable date that is not the row's primary counting
                   date becomes NULL with flag `bad_date`; any other unparseable value NULL
                   with `bad_value`. Ids and codes are normalised; damaged ids flagged
                   `id_precision_lost`.
3. `_locate`       township (hard) and grid (soft: `unknown_grid`, or located from lon/lat
                   in the micro-grid polygons: `grid_from_location`).
4. `_personal`     personal data pseudonymised (`*_unless_unit` columns kept raw for
                   organisations), free text and extra columns scrubbed.
5. `_checks`       quarantine reasons, first failing check wins: bad_line (a csv line that
                   could not be parsed, readers.py), missing_key, missing_date
                   (primary counting date empty), bad_date (primary counting date
                   unparseable), unknown_township; with the column, the raw value and a
                   Chinese sentence.
6. `_lineage`      `_source_file`, `_sheet`, `_row_number`, `_flags`, `_extra`, `_file_name`,
                   `_file_date`, `_counting_date`, `_record_key`, `_flag_details`, `_mapping`
                   (see lake.py for their meaning).

Raw values shown to staff (`_flag_details`, quarantine `raw_value`) are masked for personal
columns (pii.mask) and scrubbed of ID/phone patterns and the file's personal values otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from pipelines.contract import Column, Source

from .. import pii
from . import parsing as P
from .lake import QUARANTINE_SCHEMA, file_date, file_name, row_schema
from .readers import BAD_LINE, BAD_LINE_DETAIL, NUMERIC_PREFIX, ROW, RawTable
from .reference import Reference

FLAG_ORDER = ("id_precision_lost", "id_checksum_failed", "unknown_grid", "grid_from_location", "bad_date", "bad_value")

_VALUE_PARSERS: dict[str, tuple[Callable[[str], object], pl.DataType]] = {
    "timestamp": (P.parse_datetime, pl.Datetime("us")),
    "date": (P.parse_date, pl.Date),
    "int": (P.parse_int, pl.Int64),
    "money": (P.parse_money, pl.Float64),
    "bool": (P.parse_bool, pl.Boolean),
    "float": (P.parse_float, pl.Float64),
}
_DATE_TYPES = {"timestamp": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}
_ASCII_TYPES = {"id", "code", "timestamp", "date", "int", "money", "bool", "float", "township", "grid"}
_ASCII_PII = {"phone", "id_number", "id_number_unless_unit"}
_NAME_PII = {"name", "name_unless_unit"}
_ID_PII = {"id_number", "id_number_unless_unit"}

# Extra (non-contract) columns whose header says they hold personal identifiers.
EXTRA_PII_HEADERS: tuple[tuple[str, str], ...] = (
    ("id_number", r"身份证|证件号"),
    ("phone", r"电话|手机|联系方式"),
    ("name", r"姓名|联系人|负责人|法定代表人|法人代表|户主|举报人|报警人|当事人|经营者|房东"),
)


@dataclass(frozen=True)
class Rules:
    """What one source needs beyond the contract's column types and PII classes."""

    source: str
    suffixes: frozenset[str]
    # Rows whose `*_unless_unit` PII columns are an organisation's, kept raw (cases: 当事人类型 = 单位).
    is_unit: Callable[[], pl.Expr] | None = None
    # A final source-specific step on the typed frame (before lineage columns are added).
    finish: Callable[[pl.DataFrame], pl.DataFrame] | None = None


@dataclass(frozen=True)
class _Flag:
    code: str
    column: str
    when: pl.Expr
    raw: pl.Expr  # the value as exported (before masking / scrubbing)


@dataclass
class _Work:
    """One file in transformation: the frame and what the stages gather."""

    df: pl.DataFrame
    source: Source
    out: dict[str, pl.Expr] = field(default_factory=dict)
    flags: list[_Flag] = field(default_factory=list)
    personal: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in pii.KINDS})

    def flag(self, code: str, column: str, when: pl.Expr, raw: pl.Expr | None = None) -> None:
        self.flags.append(_Flag(code, column, when.fill_null(False), pl.col(column) if raw is None else raw))

    def scrub(self, e: pl.Expr) -> pl.Expr:
        p = self.personal
        size = tuple(len(p[k]) for k in ("name", "phone", "id_number"))
        if getattr(self, "_patterns_for", None) != size:  # built once the personal values are gathered
            self._patterns = pii.value_patterns(p["name"], p["phone"], p["id_number"])
            self._patterns_for = size
        return pii.scrub_values_expr(pii.scrub_expr(e), patterns=self._patterns)

    def _personal_column(self, column: str) -> bool:
        c = next((c for c in self.source.columns if c.name == column), None)
        return c is not None and c.pii not in (None, "free_text")

    def shown(self, column: str, raw: pl.Expr) -> pl.Expr:
        """A raw value as staff may see it: masked for personal columns, else scrubbed."""
        return pii.mask_expr(raw) if self._personal_column(column) else self.scrub(raw)


def _id_precision_expr(v: pl.Expr, arrived_as_number: pl.Expr) -> pl.Expr:
    """Vectorised `parsing.id_precision_lost` on a normalised id."""
    integer = v.str.contains(r"^[+-]?\d+$")
    digits = v.str.replace(r"^[+-]", "")
    too_big = integer & ((digits.str.len_chars() > 16) | ((digits.str.len_chars() == 16) & (digits > str(P.MAX_EXACT_FLOAT_INT))))
    float_text = v.str.contains(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$") | v.str.contains(r"^[+-]?\d+\.\d*$")
    return (float_text | (arrived_as_number & (~integer | too_big))).fill_null(False)


def _normalise_id_expr(v: pl.Expr) -> pl.Expr:
    return P.ascii_expr(v).str.replace_all(r"\s+", "")


def _short(expr: pl.Expr, n: int = 40) -> pl.Expr:
    """A raw value for a quarantine detail: shortened."""
    return pl.when(expr.str.len_chars() > n).then(expr.str.slice(0, n) + "…").otherwise(expr)


# --- 1. clean ----------------------------------------------------------------------------


def _clean(raw: RawTable, source: Source) -> pl.DataFrame:
    value_cols = [*(c.name for c in source.columns), *raw.extras]
    df = raw.df.with_columns(P.clean_expr(pl.col(c)) for c in value_cols)
    df = df.with_columns(P.ascii_expr(pl.col(c.name)) for c in source.columns if c.type in _ASCII_TYPES or c.pii in _ASCII_PII)
    blank = pl.all_horizontal([pl.col(c).is_null() for c in value_cols])
    if BAD_LINE in df.columns:
        blank = blank & ~pl.col(BAD_LINE)
    return df.filter(~blank)


# --- 2. typed values -------------------------------------------------------------------


def _parse_value(w: _Work, c: Column) -> None:
    fn, dtype = _VALUE_PARSERS[c.type]
    v = f"__v__{c.name}"
    w.df = w.df.with_columns(P.parse_series(w.df[c.name], c.type, fn, dtype).alias(v))
    w.out[c.name] = pl.col(v)
    unparseable = pl.col(c.name).is_not_null() & pl.col(v).is_null()
    # Dates: a primary counting date that cannot be parsed is quarantined (bad_date) before
    # the flag could matter, so every unparseable date is flagged alike.
    w.flag("bad_date" if c.type in _DATE_TYPES else "bad_value", c.name, unparseable)
    if c.type == "float" and c.name in ("longitude", "latitude"):
        limit = 180 if c.name == "longitude" else 90
        w.out[c.name] = pl.when(pl.col(v).abs() <= limit).then(pl.col(v))
        w.flag("bad_value", c.name, pl.col(v).abs() > limit)


def _parse_values(w: _Work) -> None:
    for c in w.source.columns:
        if c.type in _VALUE_PARSERS:
            _parse_value(w, c)
        elif c.type in ("id", "code"):
            w.df = w.df.with_columns(_normalise_id_expr(pl.col(c.name)).alias(c.name))
            w.out[c.name] = pl.col(c.name)
            if c.type == "id":
                lost = _id_precision_expr(pl.col(c.name), pl.col(NUMERIC_PREFIX + c.name))
                w.flag("id_precision_lost", c.name, lost)
                if c.name == w.source.key:
                    w.df = w.df.with_columns(lost.alias("__key_damaged__"))
        elif c.type == "text" and c.pii is None:
            w.out[c.name] = pl.col(c.name)


# --- 3. township and grid ----------------------------------------------------------------


def _locate(w: _Work, ref: Reference) -> None:
    twp = next(c for c in w.source.columns if c.type == "township")
    w.df = w.df.with_columns(P.map_unique(w.df[twp.name], ref.township_code, pl.String).alias("__twp__"))
    w.out[twp.name] = pl.col("__twp__")
    grid = next((c for c in w.source.columns if c.type == "grid"), None)
    if grid is None:
        return
    pairs = w.df.select(pl.col(grid.name), pl.col("__twp__")).unique().filter(pl.col(grid.name).is_not_null())
    known = [ref.grid_code(g, t) for g, t in pairs.iter_rows()]
    resolved = pairs.with_columns(pl.Series("__grid__", known, dtype=pl.String))
    w.df = w.df.join(resolved, on=[grid.name, "__twp__"], how="left", nulls_equal=True, maintain_order="left")
    w.out[grid.name] = pl.coalesce(pl.col("__grid__"), pl.col(grid.name))
    w.flag("unknown_grid", grid.name, pl.col(grid.name).is_not_null() & pl.col("__grid__").is_null())
    names = {c.name for c in w.source.columns}
    if "longitude" in names and "latitude" in names and ref.polygons.codes:
        _locate_by_position(w, grid.name, ref)


def _locate_by_position(w: _Work, grid: str, ref: Reference) -> None:
    """An empty grid located from 经度/纬度 in the micro-grid polygons."""
    need = w.df.select(
        (pl.col(grid).is_null() & pl.col("__v__longitude").is_not_null() & pl.col("__v__latitude").is_not_null()).alias("n")
    )["n"]
    located = [None] * w.df.height
    idx = need.arg_true().to_list()
    if idx:
        sub = w.df[idx]
        for i, code in zip(idx, ref.polygons.locate(sub["__v__longitude"].to_numpy(), sub["__v__latitude"].to_numpy())):
            located[i] = code
    w.df = w.df.with_columns(pl.Series("__loc__", located, dtype=pl.String), need.alias("__need__"))
    w.out[grid] = pl.coalesce(w.out[grid], pl.col("__loc__"))
    position = pl.concat_str([pl.col("longitude"), pl.col("latitude")], separator=",")
    w.flag("grid_from_location", grid, pl.col("__loc__").is_not_null(), position)
    w.flag("unknown_grid", grid, pl.col("__need__") & pl.col("__loc__").is_null(), position)


# --- 4. personal data --------------------------------------------------------------------


def _kind(c: Column) -> str:
    return "name" if c.pii in _NAME_PII else "phone" if c.pii == "phone" else "id_number"


def _gather_personal(w: _Work, rules: Rules) -> None:
    """Raw personal values of the file (natural persons only): free text is scrubbed of them."""
    is_unit = rules.is_unit() if rules.is_unit is not None else pl.lit(False)
    w.df = w.df.with_columns(is_unit.fill_null(False).alias("__unit__"))
    for c in w.source.columns:
        if c.pii in (None, "free_text"):
            continue
        natural = w.df.filter(~pl.col("__unit__")) if c.pii.endswith("_unless_unit") else w.df
        w.personal[_kind(c)].update(natural[c.name].drop_nulls().unique().to_list())
    w.personal["name"] = {v for v in w.personal["name"] if len(v) >= 2}


def _pseudonymise(w: _Work, c: Column, secret: bytes) -> None:
    w.df = w.df.with_columns(pii.pseudonymise(w.df[c.name], secret, _kind(c)).alias(f"__p__{c.name}"))
    if c.pii.endswith("_unless_unit"):
        w.out[c.name] = pl.when(pl.col("__unit__")).then(pl.col(c.name)).otherwise(pl.col(f"__p__{c.name}"))
    else:
        w.out[c.name] = pl.col(f"__p__{c.name}")
    if c.pii in _ID_PII:
        v = _normalise_id_expr(pl.col(c.name))
        w.flag("id_precision_lost", c.name, _id_precision_expr(v, pl.col(NUMERIC_PREFIX + c.name)), v)
        eighteen = v.str.contains(r"^\d{17}[\dXx]$").fill_null(False)
        ok = P.map_unique(w.df[c.name], P.resident_id_checksum_ok, pl.Boolean)
        w.df = w.df.with_columns(ok.alias(f"__ck__{c.name}"))
        w.flag("id_checksum_failed", c.name, ~pl.col("__unit__") & eighteen & ~pl.col(f"__ck__{c.name}").fill_null(False), v)


def _extra_json(w: _Work, extras: list[str], secret: bytes) -> pl.Expr:
    """Extra columns as JSON: pseudonymised when the header names an identifier, else scrubbed."""
    exprs = []
    for e in extras:
        kind = next((k for k, pat in EXTRA_PII_HEADERS if re.search(pat, e)), None)
        if kind is not None:
            w.df = w.df.with_columns(pii.pseudonymise(w.df[e], secret, kind).alias(f"__x__{e}"))
            exprs.append(pl.col(f"__x__{e}").alias(e))
        else:
            exprs.append(w.scrub(pl.col(e)).alias(e))
    return pl.struct(exprs).struct.json_encode() if exprs else pl.lit("{}")


def _personal(w: _Work, rules: Rules, extras: list[str], secret: bytes) -> pl.Expr:
    """Pseudonyms and scrubbed free text into `w.out`; returns the `_extra` expression."""
    _gather_personal(w, rules)
    for c in w.source.columns:
        if c.pii == "free_text":
            w.out[c.name] = w.scrub(pl.col(c.name))
        elif c.pii is not None:
            _pseudonymise(w, c, secret)
    return _extra_json(w, extras, secret)


# --- 5. quarantine checks ----------------------------------------------------------------


def _primary(w: _Work) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """The primary counting date: (column name, raw text, parsed value, text for _record_key).

    The first column of contract `counting_date` with a value (cases: 立案日期, else 结案日期).
    """
    cols = [w.source.column(n) for n in w.source.counting_dates]
    name = raw = parsed = text = None
    for c in reversed(cols):
        has = pl.col(c.name).is_not_null()
        v = pl.col(f"__v__{c.name}")

        def pick(a, b, has=has):
            return a if b is None else pl.when(has).then(a).otherwise(b)

        name = pick(pl.lit(c.name), name)
        raw = pick(pl.col(c.name), raw)
        parsed = pick(v.cast(pl.Datetime("us")), parsed)
        text = pick(v.dt.strftime(_DATE_TYPES[c.type]), text)
    return name, raw, parsed, text


def _checks(w: _Work) -> list[tuple[pl.Expr, str, pl.Expr, pl.Expr, pl.Expr]]:
    """Quarantine checks in order: (condition, reason, column, raw value shown, detail)."""
    s = w.source
    key, twp = s.key_column, next(c for c in s.columns if c.type == "township")
    name, raw, parsed, _ = _primary(w)
    zh = {c.name: c.zh for c in s.columns}
    dates_zh = "、".join(zh[n] for n in s.counting_dates)
    not_json = (
        pl.when(pl.col(BAD_LINE)).then(pl.lit("该行不是有效的 JSON 对象；")).otherwise(pl.lit(""))
        if BAD_LINE in w.df.columns
        else pl.lit("")
    )
    zh_of = pl.lit(None, pl.String)
    for n in s.counting_dates:
        zh_of = pl.when(name == n).then(pl.lit(zh[n])).otherwise(zh_of)
    none = pl.lit(None, pl.String)
    bad_line = (
        [(pl.col(BAD_LINE_DETAIL).is_not_null(), "bad_line", none, none, pl.col(BAD_LINE_DETAIL))]
        if BAD_LINE_DETAIL in w.df.columns
        else []
    )
    return [
        *bad_line,
        (pl.col(key.name).is_null(), "missing_key", pl.lit(key.name), none, not_json + pl.lit(f"{key.zh}为空")),
        (
            raw.is_null(),
            "missing_date",
            pl.lit(s.counting_date),
            none,
            pl.lit(f"{dates_zh}为空" if len(s.counting_dates) == 1 else f"{dates_zh}均为空"),
        ),
        (
            parsed.is_null(),
            "bad_date",
            name,
            w.shown(s.counting_date, raw),
            zh_of + pl.lit("无法解析为日期：'") + _short(w.scrub(raw)) + pl.lit("'"),
        ),
        (
            pl.col("__twp__").is_null(),
            "unknown_township",
            pl.lit(twp.name),
            w.shown(twp.name, pl.col(twp.name)),
            pl.when(pl.col(twp.name).is_null())
            .then(pl.lit(f"{twp.zh}为空"))
            .otherwise(pl.lit(f"{twp.zh}'") + _short(w.scrub(pl.col(twp.name))) + pl.lit("'不是镇街编码、名称或别名")),
        ),
    ]


def _first(checks: list, i: int) -> pl.Expr:
    """Item i of the first check whose condition holds (the reason when i == 1)."""
    e = None
    for check in checks:
        value = pl.lit(check[1]) if i == 1 else check[i]
        e = pl.when(check[0]).then(value) if e is None else e.when(check[0]).then(value)
    return e.otherwise(pl.lit(None, pl.String))


# --- 6. lineage --------------------------------------------------------------------------


def _flags_expr(w: _Work) -> pl.Expr:
    """`_flags`: the codes of the row's flags in FLAG_ORDER, `;`-joined ('' when none)."""
    codes = [
        pl.when(pl.any_horizontal([f.when for f in w.flags if f.code == code])).then(pl.lit(code))
        for code in FLAG_ORDER
        if any(f.code == code for f in w.flags)
    ]
    return (pl.concat_str(codes, separator=";", ignore_nulls=True) if codes else pl.lit("")).fill_null("")


def _json_string(e: pl.Expr) -> pl.Expr:
    """A string column as JSON string literals (`"…"`, or `null`), vectorised."""
    encoded = pl.struct(e.alias("v")).struct.json_encode()  # {"v":"…"}
    return encoded.str.slice(5, encoded.str.len_chars() - 6)


def _with_flag_details(w: _Work, df: pl.DataFrame) -> pl.DataFrame:
    """`_flag_details` (JSON array of {flag, column, raw_value}), computed on flagged rows only;
    raw values are masked (personal columns) or scrubbed (others), vectorised."""
    ordered = sorted(w.flags, key=lambda f: FLAG_ORDER.index(f.code))
    df = df.with_columns(pl.lit("[]").alias("_flag_details"))
    if not ordered:
        return df
    df = df.with_columns([f.when.fill_null(False).alias(f"__f{i}__") for i, f in enumerate(ordered)])
    idx = df.select(pl.any_horizontal([pl.col(f"__f{i}__") for i in range(len(ordered))]).alias("f"))["f"].arg_true()
    if idx.len() == 0:
        return df
    sub = df[idx]
    items = []
    for i, f in enumerate(ordered):
        head = json.dumps({"flag": f.code, "column": f.column}, ensure_ascii=False)[:-1] + ', "raw_value": '
        shown = _json_string(w.shown(f.column, f.raw.cast(pl.String)))
        items.append(pl.when(pl.col(f"__f{i}__")).then(pl.lit(head) + shown + pl.lit("}")))
    text = sub.select(pl.lit("[") + pl.concat_str(items, separator=", ", ignore_nulls=True) + pl.lit("]")).to_series()
    return df.with_columns(df["_flag_details"].scatter(idx, text))


def _lineage(w: _Work, raw: RawTable, source_file: str, extra: pl.Expr) -> list[pl.Expr]:
    key = pl.col(w.source.key)
    _, _, parsed, text = _primary(w)
    damaged = pl.col("__key_damaged__") if "__key_damaged__" in w.df.columns else pl.lit(False)
    return [
        pl.lit(source_file, pl.String).alias("_source_file"),
        pl.lit(raw.sheet, pl.String).alias("_sheet"),
        pl.col(ROW).cast(pl.Int64).alias("_row_number"),
        _flags_expr(w).alias("_flags"),
        extra.alias("_extra"),
        pl.lit(file_name(source_file), pl.String).alias("_file_name"),
        pl.lit(file_date(source_file), pl.Datetime("us")).alias("_file_date"),
        parsed.cast(pl.Date).alias("_counting_date"),
        pl.when(damaged).then(key + pl.lit("|") + text).otherwise(key).alias("_record_key"),
        pl.lit(raw.mapping, pl.String).alias("_mapping"),
    ]


def _quarantine(w: _Work, raw: RawTable, source_file: str, checks: list) -> pl.DataFrame:
    # Column, raw value and detail are computed on the refused rows only (scrubbing is costly).
    return (
        w.df.filter(pl.col("__reason__").is_not_null())
        .select(
            pl.lit(w.source.name).alias("source"),
            pl.lit(source_file, pl.String).alias("_source_file"),
            pl.lit(raw.sheet, pl.String).alias("_sheet"),
            pl.col(ROW).cast(pl.Int64).alias("_row_number"),
            pl.col(w.source.key).alias("record_key"),
            _first(checks, 2).alias("column"),
            _first(checks, 3).alias("raw_value"),
            pl.col("__reason__").alias("reason"),
            _first(checks, 4).alias("detail"),
        )
        .select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])
    )


def transform(
    raw: RawTable, source: Source, rules: Rules, ref: Reference, secret: bytes, source_file: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed lake rows and quarantine rows of one file."""
    w = _Work(df=_clean(raw, source), source=source)
    _parse_values(w)
    _locate(w, ref)
    extra = _personal(w, rules, raw.extras, secret)
    checks = _checks(w)
    w.df = w.df.with_columns(_first(checks, 1).alias("__reason__"))
    schema = row_schema(source)
    good = _with_flag_details(w, w.df.filter(pl.col("__reason__").is_null()))
    lake_df = good.select(
        *[w.out.get(c.name, pl.lit(None)).cast(schema[c.name]).alias(c.name) for c in source.columns],
        *_lineage(w, raw, source_file, extra),
        pl.col("_flag_details"),
    )
    if rules.finish is not None:
        lake_df = rules.finish(lake_df)
    lake_df = lake_df.select([pl.col(c).cast(t) for c, t in schema.items()])
    return lake_df, _quarantine(w, raw, source_file, checks)

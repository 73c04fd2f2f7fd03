"""From an all-text table to typed lake rows and quarantine rows (contract §2, §5).

Generic over the sources: column types and PII classes come from contract.yaml; the
few source-specific rules come from each source module's `Rules`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .. import pii
from . import parsing as P
from .lake import QUARANTINE_SCHEMA, row_schema
from .readers import NUMERIC_PREFIX, ROW, RawTable
from .reference import Reference
from .spec import Source

FLAG_ORDER = ("id_precision_lost", "id_checksum_failed", "unknown_grid", "grid_from_location", "bad_value")
BAD_LINE = "__bad_line__"

_VALUE_PARSERS: dict[str, tuple[Callable[[str], object], pl.DataType]] = {
    "timestamp": (P.parse_datetime, pl.Datetime("us")),
    "date": (P.parse_date, pl.Date),
    "int": (P.parse_int, pl.Int64),
    "money": (P.parse_money, pl.Float64),
    "bool": (P.parse_bool, pl.Boolean),
    "float": (P.parse_float, pl.Float64),
}
_ASCII_TYPES = {"id", "timestamp", "date", "int", "money", "bool", "float", "township", "grid"}
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


def _id_precision_expr(v: pl.Expr, arrived_as_number: pl.Expr) -> pl.Expr:
    """Vectorised `parsing.id_precision_lost` on a normalised id."""
    integer = v.str.contains(r"^[+-]?\d+$")
    digits = v.str.replace(r"^[+-]", "")
    too_big = integer & ((digits.str.len_chars() > 16)
                         | ((digits.str.len_chars() == 16) & (digits > str(P.MAX_EXACT_FLOAT_INT))))
    float_text = v.str.contains(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$") | v.str.contains(r"^[+-]?\d+\.\d*$")
    return (float_text | (arrived_as_number & (~integer | too_big))).fill_null(False)


def _normalise_id_expr(v: pl.Expr) -> pl.Expr:
    return P.ascii_expr(v).str.replace_all(r"\s+", "")


def _short(expr: pl.Expr, n: int = 40) -> pl.Expr:
    """A raw value for a quarantine detail: scrubbed of ID/phone patterns and shortened."""
    s = pii.scrub_expr(expr)
    return pl.when(s.str.len_chars() > n).then(s.str.slice(0, n) + "…").otherwise(s)


def transform(raw: RawTable, source: Source, rules: Rules, ref: Reference, secret: bytes,
              source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed lake rows and quarantine rows of one file."""
    df = raw.df
    cols = {c.name: c for c in source.columns}
    value_cols = [*cols, *raw.extras]
    has_bad_line = BAD_LINE in df.columns

    # 1. Trim and null tokens everywhere; full-width -> ASCII in codes, numbers, dates.
    df = df.with_columns(P.clean_expr(pl.col(c)) for c in value_cols)
    df = df.with_columns(P.ascii_expr(pl.col(c.name)) for c in source.columns
                         if c.type in _ASCII_TYPES or c.pii in _ASCII_PII)
    blank = pl.all_horizontal([pl.col(c).is_null() for c in value_cols])
    if has_bad_line:
        blank = blank & ~pl.col(BAD_LINE)
    df = df.filter(~blank)

    flags: dict[str, list[pl.Expr]] = {f: [] for f in FLAG_ORDER}
    out: dict[str, pl.Expr] = {}

    # 2. Typed values. An unparseable non-required value becomes NULL with `bad_value`.
    counting = source.counting_date
    for c in source.columns:
        if c.type in _VALUE_PARSERS:
            fn, dtype = _VALUE_PARSERS[c.type]
            parsed = P.parse_series(df[c.name], c.type, fn, dtype)
            df = df.with_columns(parsed.alias(f"__v__{c.name}"))
            out[c.name] = pl.col(f"__v__{c.name}")
            if c.name != counting:
                flags["bad_value"].append(pl.col(c.name).is_not_null() & pl.col(f"__v__{c.name}").is_null())
            if c.type == "float" and c.name in ("longitude", "latitude"):
                limit = 180 if c.name == "longitude" else 90
                out[c.name] = pl.when(pl.col(f"__v__{c.name}").abs() <= limit).then(pl.col(f"__v__{c.name}"))
                flags["bad_value"].append(pl.col(f"__v__{c.name}").abs() > limit)
        elif c.type == "id":
            df = df.with_columns(_normalise_id_expr(pl.col(c.name)).alias(c.name))
            out[c.name] = pl.col(c.name)
            flags["id_precision_lost"].append(_id_precision_expr(pl.col(c.name), pl.col(NUMERIC_PREFIX + c.name)))
        elif c.type == "text" and c.pii is None:
            out[c.name] = pl.col(c.name)

    # 3. Township (hard) and grid (soft, or located from lon/lat).
    twp = next(c for c in source.columns if c.type == "township")
    df = df.with_columns(P.map_unique(df[twp.name], ref.township_code, pl.String).alias("__twp__"))
    out[twp.name] = pl.col("__twp__")
    grid = next((c for c in source.columns if c.type == "grid"), None)
    if grid is not None:
        pairs = df.select(pl.col(grid.name), pl.col("__twp__")).unique().filter(pl.col(grid.name).is_not_null())
        known = [ref.grid_code(g, t) for g, t in pairs.iter_rows()]
        resolved = pairs.with_columns(pl.Series("__grid__", known, dtype=pl.String))
        df = df.join(resolved, on=[grid.name, "__twp__"], how="left", nulls_equal=True, maintain_order="left")
        grid_value = pl.coalesce(pl.col("__grid__"), pl.col(grid.name))
        flags["unknown_grid"].append(pl.col(grid.name).is_not_null() & pl.col("__grid__").is_null())
        if "longitude" in cols and "latitude" in cols and ref.polygons.codes:
            need = df.select((pl.col(grid.name).is_null() & pl.col("__v__longitude").is_not_null()
                              & pl.col("__v__latitude").is_not_null()).alias("n"))["n"]
            located = [None] * df.height
            idx = need.arg_true().to_list()
            if idx:
                sub = df[idx]
                for i, code in zip(idx, ref.polygons.locate(sub["__v__longitude"].to_numpy(),
                                                            sub["__v__latitude"].to_numpy())):
                    located[i] = code
            df = df.with_columns(pl.Series("__loc__", located, dtype=pl.String), need.alias("__need__"))
            grid_value = pl.coalesce(grid_value, pl.col("__loc__"))
            flags["grid_from_location"].append(pl.col("__loc__").is_not_null())
            flags["unknown_grid"].append(pl.col("__need__") & pl.col("__loc__").is_null())
        out[grid.name] = grid_value

    # 4. Personal data. Raw values are gathered first: free text is scrubbed of them.
    is_unit = rules.is_unit() if rules.is_unit is not None else pl.lit(False)
    df = df.with_columns(is_unit.fill_null(False).alias("__unit__"))
    personal: dict[str, set[str]] = {"name": set(), "phone": set(), "id_number": set()}
    for c in source.columns:
        if c.pii in (None, "free_text"):
            continue
        kind = "name" if c.pii in _NAME_PII else "phone" if c.pii == "phone" else "id_number"
        natural = df.filter(~pl.col("__unit__")) if c.pii.endswith("_unless_unit") else df
        personal[kind].update(v for v in natural[c.name].drop_nulls().unique().to_list())
    personal["name"] = {v for v in personal["name"] if len(v) >= 2}

    def scrub(e: pl.Expr) -> pl.Expr:
        return pii.scrub_values_expr(pii.scrub_expr(e), personal["name"], personal["phone"], personal["id_number"])

    for c in source.columns:
        if c.pii == "free_text":
            out[c.name] = scrub(pl.col(c.name))
        elif c.pii is not None:
            kind = "name" if c.pii in _NAME_PII else "phone" if c.pii == "phone" else "id_number"
            pseudo = pii.pseudonymise(df[c.name], secret, kind)
            df = df.with_columns(pseudo.alias(f"__p__{c.name}"))
            if c.pii.endswith("_unless_unit"):
                out[c.name] = pl.when(pl.col("__unit__")).then(pl.col(c.name)).otherwise(pl.col(f"__p__{c.name}"))
            else:
                out[c.name] = pl.col(f"__p__{c.name}")
            if c.pii in _ID_PII:
                natural = ~pl.col("__unit__")
                v = pl.col(c.name)
                flags["id_precision_lost"].append(
                    _id_precision_expr(_normalise_id_expr(v), pl.col(NUMERIC_PREFIX + c.name)))
                eighteen = _normalise_id_expr(v).str.contains(r"^\d{17}[\dXx]$").fill_null(False)
                ok = P.map_unique(df[c.name], P.resident_id_checksum_ok, pl.Boolean)
                df = df.with_columns(ok.alias(f"__ck__{c.name}"))
                flags["id_checksum_failed"].append(natural & eighteen & ~pl.col(f"__ck__{c.name}").fill_null(False))

    # Extra columns: pseudonymised when the header names an identifier, else scrubbed; as JSON.
    extra_exprs = []
    for e in raw.extras:
        kind = next((k for k, pat in EXTRA_PII_HEADERS if re.search(pat, e)), None)
        if kind is not None:
            df = df.with_columns(pii.pseudonymise(df[e], secret, kind).alias(f"__x__{e}"))
            extra_exprs.append(pl.col(f"__x__{e}").alias(e))
        else:
            extra_exprs.append(scrub(pl.col(e)).alias(e))
    extra = (pl.struct(extra_exprs).struct.json_encode() if extra_exprs else pl.lit("{}"))

    # 5. Hard checks -> quarantine (first failing check names the reason).
    key = source.key_column
    cd = cols[counting]
    reason = (
        pl.when(pl.col(key.name).is_null()).then(pl.lit("missing_key"))
        .when(pl.col(f"__v__{counting}").is_null()).then(pl.lit("bad_required_date"))
        .when(pl.col("__twp__").is_null()).then(pl.lit("unknown_township"))
    )
    detail = (
        pl.when(pl.col(key.name).is_null()).then(
            (pl.when(pl.col(BAD_LINE)).then(pl.lit("该行不是有效的 JSON 对象；")).otherwise(pl.lit(""))
             if has_bad_line else pl.lit("")) + pl.lit(f"{key.zh}为空"))
        .when(pl.col(f"__v__{counting}").is_null()).then(
            pl.when(pl.col(counting).is_null()).then(pl.lit(f"{cd.zh}为空"))
            .otherwise(pl.lit(f"{cd.zh}无法解析为日期：'") + _short(pl.col(counting)) + pl.lit("'")))
        .when(pl.col("__twp__").is_null()).then(
            pl.when(pl.col(twp.name).is_null()).then(pl.lit(f"{twp.zh}为空"))
            .otherwise(pl.lit(f"{twp.zh}'") + _short(pl.col(twp.name)) + pl.lit("'不是镇街编码、名称或别名")))
    )
    df = df.with_columns(reason.alias("__reason__"), detail.alias("__detail__"))

    flag_exprs = [pl.when(pl.any_horizontal(exprs)).then(pl.lit(f)) for f, exprs in flags.items() if exprs]
    flag_col = pl.concat_str(flag_exprs, separator=";", ignore_nulls=True) if flag_exprs else pl.lit("")
    lineage = [
        pl.lit(source_file, pl.String).alias("_source_file"),
        pl.lit(raw.sheet, pl.String).alias("_sheet"),
        pl.col(ROW).cast(pl.Int64).alias("_row_number"),
        flag_col.fill_null("").alias("_flags"),
        extra.alias("_extra"),
    ]
    schema = row_schema(source)
    good = df.filter(pl.col("__reason__").is_null())
    lake_df = good.select(*[out.get(c.name, pl.lit(None)).cast(schema[c.name]).alias(c.name) for c in source.columns],
                          *lineage)
    if rules.finish is not None:
        lake_df = rules.finish(lake_df)
    lake_df = lake_df.select([pl.col(c).cast(t) for c, t in schema.items()])

    quarantine = df.filter(pl.col("__reason__").is_not_null()).select(
        pl.lit(source.name).alias("source"),
        pl.lit(source_file, pl.String).alias("_source_file"),
        pl.lit(raw.sheet, pl.String).alias("_sheet"),
        pl.col(ROW).cast(pl.Int64).alias("_row_number"),
        pl.col(key.name).alias("record_key"),
        pl.col("__reason__").alias("reason"),
        pl.col("__detail__").alias("detail"),
    ).select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])
    return lake_df, quarantine

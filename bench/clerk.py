"""The clerk's version: `python -m bench.clerk --inbox DIR --out township_daily.csv [--as-of D]`.

township_daily as a careful data clerk would compute it with pandas: read every export,
normalise it by the contract's load rules, keep the latest version of each record, count
the §7 indicators. One pass, no framework, no checks. Headers come from
pipelines/contract.yaml; xlsx is read with fastexcel (the venv has no openpyxl).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import io
import json
import re
from pathlib import Path

import pandas as pd
import yaml

from bench.floor import SOURCES, SUFFIXES, TRIM, Spec, contract, decode, mtext, norm_header, sniff_csv

NULLS = {"", "无", "/", "-", "—", "暂无", "NULL", "null", "NaN"}
FW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
SEP_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*(?=\d))(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:分)?"
    r"(?:\s*[:]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
)
COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\s*(\d{2})(\d{2})(\d{2})?)?")
MONEY = re.compile(r"(?:[¥￥]|RMB|CNY)?\s*([+-]?[\d,]*\.?\d+)\s*(万元|万|元)?")
TRUE = {"是", "y", "yes", "1", "true", "t", "√", "✓", "✔", "1.0"}
FALSE = {"否", "n", "no", "0", "false", "f", "×", "✗", "✘", "x", "0.0"}


def parse_ts(v: str) -> dt.datetime | None:
    m = SEP_DATE.fullmatch(v) or COMPACT.fullmatch(v)
    if m:
        y, mo, d, h, mi, s = m.groups()
        try:
            return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        except ValueError:
            return None
    if re.fullmatch(r"\d{5}(?:\.\d+)?", v) and 20000 <= float(v) <= 80000:
        days = int(float(v))
        return dt.datetime(1899, 12, 30) + dt.timedelta(days=days, seconds=round((float(v) - days) * 86400))
    return None


def parse_money(v: str) -> float | None:
    from decimal import Decimal

    m = MONEY.fullmatch(v.replace("￥", "¥"))
    if not m:
        return None
    n, unit = m.groups()
    if "," in n and not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})*(\.\d+)?", n):
        return None
    amount = Decimal(n.replace(",", "")) * (10000 if unit and unit.startswith("万") else 1)
    return float(round(amount, 2))


def parse_int(v: str) -> int | None:
    v = v.replace(",", "")
    if re.fullmatch(r"[+-]?\d+", v):
        return int(v)
    if re.fullmatch(r"[+-]?\d+\.0*", v):
        return int(v.split(".")[0])
    return None


def parse_bool(v: str) -> bool | None:
    v = v.lower()
    return True if v in TRUE else False if v in FALSE else None


def id_lost(v: str | None, num: bool) -> bool:
    if v is None:
        return False
    if re.fullmatch(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+", v) or re.fullmatch(r"[+-]?\d+\.\d*", v):
        return True
    if num:
        return not re.fullmatch(r"[+-]?\d+", v) or abs(int(v)) > 2**53
    return False


def file_date(name: str) -> pd.Timestamp | None:
    for digits in reversed(re.findall(r"(?<!\d)\d{8}(?!\d)", name)):
        try:
            return pd.Timestamp(dt.datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:]), 23, 59, 59))
        except ValueError:
            continue
    return None


# --- reading -------------------------------------------------------------------------------


def read_one(path: Path, rel: str, spec: Spec, zh: str) -> pd.DataFrame | None:
    """One export as the source's columns (strings or None) plus lineage columns; None if
    no header row is found."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        read = _read_jsonl(path, spec)
    elif suffix in (".csv", ".txt", ".tsv"):
        read = _read_csv(path, spec)
    else:
        read = _read_excel(path, spec, zh)
    if read is None:
        return None
    df, num = read
    df = df.loc[:, ~df.columns.duplicated()]
    df = df.reindex(columns=spec.columns).astype(object).where(lambda d: d.notna(), None)
    df["_key_num"] = num.to_numpy() if num is not None else False
    df["_source_file"] = rel
    df["_file_name"] = Path(rel).name
    df["_row"] = range(len(df))
    return df


def _read_jsonl(path: Path, spec: Spec) -> tuple[pd.DataFrame, pd.Series]:
    """(records, whether each one's key was a JSON number)."""
    text, _ = decode(path.read_bytes())
    recs, nums = [], []
    for line in text.splitlines():
        if not line.strip(TRIM):
            continue
        try:
            obj = json.loads(line, parse_int=lambda s: ("#num", s), parse_float=lambda s: ("#num", s))
        except json.JSONDecodeError:
            obj = None
        rec, isnum = {}, False
        for k, v in (obj or {}).items() if isinstance(obj, dict) else ():
            col = spec.lookup(k)
            if col is None or col in rec:
                continue
            if isinstance(v, tuple):
                v, isnum = v[1], isnum or col == spec.key
            elif isinstance(v, bool):
                v = "true" if v else "false"
            elif v is not None and not isinstance(v, str):
                v = json.dumps(v, ensure_ascii=False)
            rec[col] = v
        recs.append(rec)
        nums.append(isnum)
    return pd.DataFrame.from_records(recs, columns=spec.columns), pd.Series(nums, dtype=bool)


def _read_csv(path: Path, spec: Spec) -> tuple[pd.DataFrame, None] | None:
    text, _ = decode(path.read_bytes())
    sniffed = sniff_csv(text, spec)
    if sniffed is None:
        return None
    sep, idx, rows = sniffed
    names = spec.names(rows[idx])
    df = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        header=None,
        skiprows=idx + 1,
        names=names,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=True,
        engine="c",
    )
    return df, None


def _read_excel(path: Path, spec: Spec, zh: str) -> tuple[pd.DataFrame, pd.Series | None] | None:
    """The sheet named like the source (else the first), from its header row; which keys
    were numeric cells, if any key looks like a number."""
    import fastexcel

    reader = fastexcel.read_excel(path)
    sheets = [norm_header(s).lower() for s in reader.sheet_names]
    z = norm_header(zh).lower()
    i = next(
        (sheets.index(t) for t in (spec.name.lower(), z) if t in sheets),
        next((k for k, s in enumerate(sheets) if len(s) >= 2 and (z in s or s in z)), 0),
    )
    grid = reader.load_sheet(i, header_row=None, dtypes="string").to_pandas()
    h = spec.header_index([list(r) for r in grid.head(30).itertuples(index=False)])
    if h is None:
        return None
    names = spec.names(list(grid.iloc[h]))
    df = grid.iloc[h + 1 :].reset_index(drop=True)
    df.columns = names
    num = None
    if spec.key in names and len(df):
        pos = names.index(spec.key)
        if df[spec.key].astype("string").str.strip().str.contains(r"^[+-]?[\d.]+(?:[eE][+-]?\d+)?$").fillna(False).any():
            mask = (
                reader.load_sheet(i, header_row=None, dtypes="boolean", use_columns=[grid.columns[pos]])
                .to_pandas()
                .iloc[h + 1 :, 0]
            )
            num = mask.notna().reset_index(drop=True)
    return df, num


def read_inbox(inbox: Path) -> dict[str, pd.DataFrame]:
    c = contract()
    mdir = inbox / "_mappings"
    mappings = [yaml.safe_load(p.read_text(encoding="utf-8-sig")) for p in sorted(mdir.glob("*.y*ml"))] if mdir.is_dir() else []
    out = {}
    for source in SOURCES:
        src = c["sources"][source]
        frames = []
        folder = inbox / source
        for p in sorted(folder.rglob("*")) if folder.is_dir() else []:
            rel = p.relative_to(inbox).as_posix()
            if (
                not p.is_file()
                or p.suffix.lower() not in SUFFIXES[source]
                or any(part.startswith((".", "~$")) for part in p.relative_to(folder).parts)
            ):
                continue
            m = next((m for m in mappings if fnmatch.fnmatchcase(rel, m.get("files") or "")), None)
            spec = Spec(source, src, m)
            df = read_one(p, rel, spec, src["zh"])
            if df is None:
                continue
            if m:
                for col, table in (m.get("values") or {}).items():
                    col = Spec._col(src, col)
                    t = {mtext(k): mtext(v) for k, v in table.items()}
                    df[col] = omap(df[col], lambda x, t=t: None if x is None else t.get(x.strip(TRIM), x.strip(TRIM)))
                for col, v in (m.get("constants") or {}).items():
                    col = Spec._col(src, col)
                    blank = df[col].isna() | (df[col].astype("string").str.strip(TRIM) == "")
                    df.loc[blank, col] = mtext(v)
            frames.append(df)
        out[source] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=src["columns"])
    return out


# --- normalising ---------------------------------------------------------------------------


def omap(s: pd.Series, f) -> pd.Series:
    """f over the values (missing ones as None), as an object Series (None stays None)."""
    return pd.Series(
        [f(None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v) for v in s], index=s.index, dtype=object
    )


def clean(s: pd.Series, ascii_: bool = False) -> pd.Series:
    def f(v):
        if v is None:
            return None
        v = str(v).strip(TRIM)
        if v in NULLS:
            return None
        return v.translate(FW) if ascii_ else v

    return omap(s, f)


def nid(s: pd.Series) -> pd.Series:
    return omap(clean(s, True), lambda v: None if v is None else re.sub(r"\s+", "", v))


def parsed(s: pd.Series, fn) -> pd.Series:
    u = {v: fn(v) for v in s.dropna().unique()}
    return omap(s, lambda v: None if v is None else u[v])


def townships(inbox: Path) -> tuple[dict[str, str], dict[str, str]]:
    text, _ = decode((inbox / "reference" / "townships.csv").read_bytes())
    rows = list(csv.DictReader(io.StringIO(text)))
    lookup, names = {}, {}
    for r in rows:
        code = re.sub(r"\s+", "", r["镇街编码"].strip(TRIM).translate(FW))
        names[code] = r["镇街名称"].strip(TRIM)
        for n in [code, r["镇街名称"], *(r.get("别名") or "").replace("；", ";").split(";")]:
            n = re.sub(r"[\s\u3000\u00a0]+", "", (n or "").translate(FW))
            if n:
                lookup[n] = code
    return lookup, names


def typed(df: pd.DataFrame, key: str, primary: list[str], lookup: dict) -> pd.DataFrame:
    """Hard checks of ingest (missing key/date, bad date, unknown township) and the record key."""
    df = df.copy()
    df["k"] = nid(df[key])
    raw = {c: clean(df[c], True) for c in primary}
    prim_raw = raw[primary[0]]
    for c in primary[1:]:
        prim_raw = prim_raw.where(prim_raw.notna(), raw[c])
    df["counting_at"] = parsed(prim_raw, parse_ts)
    df["township_code"] = omap(
        clean(df["township_code"], True), lambda v: None if v is None else lookup.get(re.sub(r"[\s\u3000\u00a0]+", "", v))
    )
    df = df[df["k"].notna() & prim_raw.notna() & df["counting_at"].notna() & df["township_code"].notna()].copy()
    date_only = key != "event_id" and key != "alarm_id"
    fmt = "%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S"
    lost = [id_lost(k, n) for k, n in zip(df["k"], df["_key_num"])]
    df["record_key"] = [f"{k}|{t.strftime(fmt)}" if x else k for k, t, x in zip(df["k"], df["counting_at"], lost)]
    df["counting_date"] = pd.to_datetime(df["counting_at"]).dt.date
    return df


def current(df: pd.DataFrame, as_of: dt.date, secondary: dict[str, int], has_updated: bool = True) -> pd.DataFrame:
    df = df[df["counting_date"] <= as_of + dt.timedelta(days=1)].copy()
    for col, days in secondary.items():
        v = df[col]
        limit = as_of + dt.timedelta(days=days)
        late = omap(v, lambda x, limit=limit: x is not None and pd.Timestamp(x).date() > limit)
        df[col] = v.where(~late.astype(bool), None)
    if has_updated:
        fd = df["_file_name"].map(file_date)
        upd = pd.to_datetime(df["updated_at"])
        has = upd.groupby(df["record_key"]).transform("max").notna()
        df["eff"] = upd.where(upd.notna(), pd.to_datetime(fd)).where(has)
    else:
        df["eff"] = pd.NaT
    df = df.sort_values(
        ["record_key", "eff", "_file_name", "_source_file", "_row"],
        ascending=[True, False, False, False, False],
        na_position="last",
    )
    return df.drop_duplicates("record_key", keep="first")


def township_daily(inbox: Path, as_of: dt.date | None = None, today: dt.date | None = None) -> pd.DataFrame:
    raw = read_inbox(inbox)
    lookup, names = townships(inbox)
    ev = typed(raw["grid_events"], "event_id", ["reported_at"], lookup)
    ins = typed(raw["inspections"], "inspection_id", ["inspected_on"], lookup)
    cs = typed(raw["cases"], "case_id", ["filed_on", "closed_on"], lookup)
    nt = typed(raw["notices"], "notice_id", ["notice_date"], lookup)
    al = typed(raw["police_alarms"], "alarm_id", ["reported_at"], lookup)
    if as_of is None:
        today = today or dt.date.today()
        as_of = max(d for t in (ev, ins, cs, nt, al) for d in t["counting_date"] if d <= today)
    _normalise(ev, ins, cs, nt, al)
    ev = current(ev, as_of, {"updated_at": 1})
    ins = current(ins, as_of, {"updated_at": 1, "accepted_on": 1})
    cs = current(cs, as_of, {"updated_at": 1, "closed_on": 1, "police_transfer_on": 1})
    nt = current(nt, as_of, {"updated_at": 1})
    al = current(al, as_of, {}, has_updated=False)
    parts = [*_event_counts(ev), *_inspection_counts(ins), *_case_counts(cs), *_notice_counts(nt), *_alarm_counts(al)]
    out = pd.concat(parts, ignore_index=True)
    out = out[(out["date"] <= as_of) & (out["value"] != 0)]
    out["township_name"] = out["township_code"].map(names)
    out["date"] = out["date"].map(lambda x: x.isoformat())
    return out[["township_code", "township_name", "date", "indicator", "breakdown", "value"]].sort_values(
        ["township_code", "date", "indicator", "breakdown"]
    )


def _ts(df: pd.DataFrame, col: str) -> pd.Series:
    return parsed(clean(df[col], True), parse_ts)


def _date(df: pd.DataFrame, col: str) -> pd.Series:
    return omap(_ts(df, col), lambda x: None if x is None else x.date())


def _normalise(ev, ins, cs, nt, al) -> None:
    """Parse (in place) the columns the indicators read."""
    for df in (ev, ins, cs, nt):
        df["updated_at"] = _ts(df, "updated_at")
    ev["status"], ev["event_category"] = clean(ev["status"]), clean(ev["event_category"])
    ev["lead"] = parsed(clean(ev["is_enforcement_lead"], True), parse_bool)
    ins["accepted_on"] = _date(ins, "accepted_on")
    ins["hazards"] = parsed(clean(ins["hazards_found"], True), parse_int)
    for c_ in ("target_type", "inspection_method", "rectification_status"):
        ins[c_] = clean(ins[c_])
    cs["filed"], cs["closed_on"] = _date(cs, "filed_on"), _date(cs, "closed_on")
    cs["police_transfer_on"] = _date(cs, "police_transfer_on")
    cs["fine"] = parsed(clean(cs["fine_yuan"], True), parse_money)
    cs["outcome"], cs["enforcement_domain"] = clean(cs["outcome"]), clean(cs["enforcement_domain"])
    nt["notice_type"], nt["matter_code"] = clean(nt["notice_type"]), nid(nt["matter_code"])
    al["valid"] = omap(parsed(clean(al["is_valid"], True), parse_bool), lambda v: bool(v)).astype(bool)
    al["merge"] = nid(al["merge_id"])
    al["sub"] = clean(al["alarm_subcategory"])


def _count(df: pd.DataFrame, date_col: str, indicator: str, breakdown: str | None = None, value: str | None = None):
    """Rows (or the sum of `value`) per township, day and breakdown ("all" without one)."""
    df = df[df[date_col].notna()]
    by = [df["township_code"], df[date_col]]
    bd = df[breakdown].fillna("未知") if breakdown else pd.Series("all", index=df.index)
    g = (df[value] if value else pd.Series(1.0, index=df.index)).groupby(by + [bd]).sum()
    r = g.reset_index()
    r.columns = ["township_code", "date", "breakdown", "value"]
    r["indicator"] = indicator
    return r


def _event_counts(ev: pd.DataFrame) -> list[pd.DataFrame]:
    ev = ev[ev["status"].fillna("") != "已作废"]
    ev["date"] = ev["counting_at"].map(lambda x: x.date())
    return [
        _count(ev, "date", "events_reported"),
        _count(ev[ev["lead"].fillna(False).astype(bool)], "date", "enforcement_leads"),
        _count(ev[ev["event_category"].isin(["矛盾纠纷", "信访"])], "date", "petitions_disputes"),
    ]


def _inspection_counts(ins: pd.DataFrame) -> list[pd.DataFrame]:
    accepted = ins[(ins["rectification_status"] == "已整改") & ins["hazards"].notna()]
    return [
        _count(ins, "counting_date", "inspections"),
        _count(ins, "counting_date", "inspections", "target_type"),
        _count(ins[ins["inspection_method"] == "综合查一次"], "counting_date", "one_visit_inspections"),
        _count(ins[ins["hazards"].notna()], "counting_date", "hazards_found", value="hazards"),
        _count(accepted, "accepted_on", "hazards_accepted", value="hazards"),
    ]


def _case_counts(cs: pd.DataFrame) -> list[pd.DataFrame]:
    cs = cs[cs["outcome"].fillna("") != "撤销立案"]
    pt = cs[cs["outcome"] == "移送公安"].copy()
    pt["pt_date"] = pt["police_transfer_on"].where(pt["police_transfer_on"].notna(), pt["closed_on"])
    return [
        _count(cs, "filed", "cases_filed"),
        _count(cs, "filed", "cases_filed", "enforcement_domain"),
        _count(cs, "closed_on", "cases_closed"),
        _count(cs[cs["fine"].notna()], "closed_on", "fines_yuan", value="fine"),
        _count(pt, "pt_date", "police_transfers"),
    ]


def _notice_counts(nt: pd.DataFrame) -> list[pd.DataFrame]:
    fv = nt[nt["notice_type"] == "首违提醒"]
    return [
        _count(fv, "counting_date", "first_violation_notices"),
        _count(fv, "counting_date", "first_violation_notices", "matter_code"),
        _count(nt[nt["notice_type"] == "以服代罚"], "counting_date", "service_in_lieu"),
    ]


def _alarm_counts(al: pd.DataFrame) -> list[pd.DataFrame]:
    """Alarms count once per incident (merged calls), on its first call's day."""
    al["incident"] = ["m:" + m if m else "a:" + k for m, k in zip(al["merge"], al["record_key"])]
    al["rank"] = (~al["valid"]).astype(int)
    al = al.sort_values(["incident", "rank", "counting_at", "record_key"])
    first = al.groupby("incident").agg(
        township_code=("township_code", "first"), first_at=("counting_at", "min"), valid=("valid", "any")
    )
    first["sub"] = al.drop_duplicates("incident").set_index("incident")["sub"]
    first["date"] = first["first_at"].map(lambda x: x.date())
    inc = first.reset_index()
    return [
        _count(inc, "date", "alarms_received"),
        _count(inc[inc["valid"]], "date", "valid_alarms"),
        _count(inc[inc["valid"]], "date", "valid_alarms", "sub"),
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.clerk")
    ap.add_argument("--inbox", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    a = ap.parse_args(argv)
    df = township_daily(a.inbox, a.as_of)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    print(json.dumps({"rows": len(df)}))


if __name__ == "__main__":
    main()

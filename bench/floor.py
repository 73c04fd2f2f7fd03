"""The FLOOR: `python -m bench.floor --inbox DIR --out township_daily.csv [--as-of D]`.

What the warehouse's one published table costs with no framework at all: the inbox files
are loaded into DuckDB as text (nothing parsed; GBK re-encoded, title rows skipped, xlsx
read with fastexcel/calamine because DuckDB has no xlsx reader without an extension), and
one SQL script (bench/floor.sql) applies the contract's load rules, versions and §7
counting. Headers come from pipelines/contract.yaml (the single place they live); nothing
of the pipeline's code runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import io
import json
import re
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

HERE = Path(__file__).resolve().parent
CONTRACT = HERE.parent / "pipelines" / "contract.yaml"
SOURCES = ("grid_events", "inspections", "cases", "notices", "police_alarms")
SUFFIXES = {
    "grid_events": {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"},
    "inspections": {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"},
    "cases": {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"},
    "notices": {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"},
    "police_alarms": {".csv", ".txt", ".tsv", ".jsonl", ".ndjson", ".json"},
}
TRIM = " \t\r\n\u3000\u00a0\ufeff"
TRIM_SQL = "' ' || chr(9) || chr(13) || chr(10) || chr(12288) || chr(160) || chr(65279)"


def lit(v: str | None) -> str:
    return "null" if v is None else "'" + v.replace("'", "''") + "'"


def contract() -> dict:
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))


def norm_header(h: object) -> str:
    s = "" if h is None else str(h)
    s = s.strip(TRIM).replace("*", "").replace("＊", "")
    return re.sub(r"[\s\u3000\u00a0]+", "", s)


class Spec:
    """A source's columns, header spellings and required columns (from contract.yaml)."""

    def __init__(self, name: str, src: dict, mapping: dict | None = None):
        self.name = name
        self.columns = [c["name"] for c in src["columns"]]
        self.key = src["key"]
        self.hmap: dict[str, str] = {}
        for h, target in ((mapping or {}).get("columns") or {}).items():
            self._add(h, self._col(src, target))
        for c in src["columns"]:
            for h in (c["zh"], c.get("pinyin"), c["name"]):
                if h:
                    self._add(h, c["name"])
        given = set()
        for k in (mapping or {}).get("constants") or {}:
            given.add(self._col(src, k))
        self.required = {c["name"] for c in src["columns"] if c.get("required") and c["name"] not in given}

    @staticmethod
    def _col(src: dict, header: str) -> str:
        h = norm_header(header)
        for c in src["columns"]:
            if h in (norm_header(c["zh"]), norm_header(c.get("pinyin") or ""), c["name"]):
                return c["name"]
        raise SystemExit(f"mapping names an unknown column {header!r}")

    def _add(self, h: str, name: str) -> None:
        self.hmap.setdefault(norm_header(h), name)
        self.hmap.setdefault(norm_header(h).lower(), name)

    def lookup(self, h: object) -> str | None:
        n = norm_header(h)
        return self.hmap.get(n) or self.hmap.get(n.lower())

    def header_index(self, rows: list[list]) -> int | None:
        for i, row in enumerate(rows[:30]):
            if not self.required - {self.lookup(v) for v in row}:
                return i
        return None

    def names(self, header: list) -> list[str]:
        """Contract column per header position; the first of a duplicate wins; others are extras."""
        taken, out = set(), []
        for i, h in enumerate(header):
            n = self.lookup(h)
            if n is not None and n not in taken:
                taken.add(n)
                out.append(n)
            else:
                out.append(f"__x{i}")
        return out


def decode(data: bytes) -> tuple[str, bool]:
    """(text, already plain UTF-8 without BOM)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), False
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("gb18030"), False


def sniff_csv(text: str, spec: Spec) -> tuple[str, int, list[list[str]]] | None:
    """(separator, header row index, the first rows) of a delimited export; None without a header."""
    head = "\n".join(text.splitlines()[:35])
    for sep in (",", "\t", ";", "|"):
        rows = list(csv.reader(io.StringIO(head), delimiter=sep))
        idx = spec.header_index(rows)
        if idx is not None:
            return sep, idx, rows
    return None


def select_list(spec: Spec, present: dict[str, str], num: str, source_file: str) -> str:
    """Contract columns (NULL when absent) + lineage, from a relation with positional names."""
    cols = [f"{present[c]} as {c}" if c in present else f"null::varchar as {c}" for c in spec.columns]
    name = Path(source_file).name
    return ", ".join(
        [*cols, f"{num} as _key_num", f"'{sql_str(source_file)}' as _source_file", f"'{sql_str(name)}' as _file_name"]
    )


def sql_str(s: str) -> str:
    return s.replace("'", "''")


def load_csv(con, path: Path, rel: str, spec: Spec, table: str, tmp: Path) -> None:
    text, plain = decode(path.read_bytes())
    sniffed = sniff_csv(text, spec)
    if sniffed is None:
        print(f"  floor: no header in {rel}: skipped")
        return
    sep, idx, rows = sniffed
    header = rows[idx]
    names = spec.names(header)
    if not plain:  # DuckDB reads UTF-8: GBK / BOM files are re-encoded once
        conv = tmp / f"{abs(hash(rel))}.csv"
        conv.write_text(text, encoding="utf-8")
        path = conv
    width = len(header)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    # physical line of the header = the number of csv records above it (title rows are one line)
    present = {n: f"c{i}" for i, n in enumerate(names) if not n.startswith("__x")}
    con.execute(f"""
        insert into {table} select {select_list(spec, present, "false", rel)}, row_number() over () as _row
        from read_csv('{sql_str(str(path))}', header = false, skip = {idx + 1}, delim = '{sep}', quote = '"',
                      escape = '"', columns = {cols}, null_padding = true, strict_mode = false,
                      parallel = false)""")


def load_jsonl(con, path: Path, rel: str, spec: Spec, table: str) -> None:
    text, plain = decode(path.read_bytes())
    src = str(path)
    if not plain:
        raise SystemExit(f"{rel}: JSON Lines not in UTF-8")
    keys = [
        k
        for (k,) in con.execute(
            f"select distinct unnest(json_keys(json)) from read_ndjson_objects('{sql_str(src)}', ignore_errors = true)"
        ).fetchall()
    ]
    present: dict[str, str] = {}
    key_col = None
    for k in keys:
        n = spec.lookup(k)
        if n is not None and n not in present:
            q = json.dumps("$." + k if re.fullmatch(r"\w+", k) else '$."' + k + '"', ensure_ascii=False)[1:-1]
            j = f"json_extract(json, '{sql_str(q)}')"
            present[n] = f"case json_type({j}) when 'VARCHAR' then {j} ->> '$' when 'NULL' then null else {j}::varchar end"
            if n == spec.key:
                key_col = f"coalesce(json_type({j}) in ('UBIGINT', 'BIGINT', 'DOUBLE'), false)"
    con.execute(f"""
        insert into {table} select {select_list(spec, present, key_col or "false", rel)}, row_number() over () as _row
        from read_ndjson_objects('{sql_str(src)}', ignore_errors = true)""")


def load_excel(con, path: Path, rel: str, spec: Spec, table: str, src_zh: str) -> None:
    import fastexcel

    reader = fastexcel.read_excel(path)
    sheets = reader.sheet_names

    def n(s: str) -> str:
        return norm_header(s).lower()

    idx = 0
    zh = n(src_zh)
    for target in (spec.name.lower(), zh):
        if target in [n(s) for s in sheets]:
            idx = [n(s) for s in sheets].index(target)
            break
    else:
        for i, s in enumerate(sheets):
            if len(n(s)) >= 2 and (zh in n(s) or n(s) in zh):
                idx = i
                break
    grid = reader.load_sheet(idx, header_row=None, dtypes="string").to_polars()
    h = spec.header_index([list(r) for r in grid.head(30).rows()])
    if h is None:
        print(f"  floor: no header in {rel}: skipped")
        return
    names = spec.names(list(grid.row(h)))
    body = grid.slice(h + 1)
    body.columns = [f"c{i}" for i in range(body.width)]
    present = {nm: f"c{i}" for i, nm in enumerate(names) if not nm.startswith("__x")}
    num = "false"
    k = next((i for i, nm in enumerate(names) if nm == spec.key), None)
    if k is not None and body.height and body[f"c{k}"].str.strip_chars().str.contains(r"^[+-]?[\d.]+([eE][+-]?\d+)?$").any():
        mask = reader.load_sheet(idx, header_row=None, dtypes="boolean", use_columns=[grid.columns[k]]).to_polars()
        body = body.with_columns(mask.slice(h + 1).to_series().is_not_null().alias("__num"))
        num = "__num"
    body = body.with_row_index("__row")
    con.register("xl", body.to_arrow())
    con.execute(f"insert into {table} select {select_list(spec, present, num, rel)}, __row + 1 as _row from xl")
    con.unregister("xl")


def apply_mapping(con, table: str, rel: str, spec: Spec, mapping: dict, src: dict) -> None:
    """values replaced on the trimmed text, then constants where the cell is empty."""
    sets = []
    for col, tbl in (mapping.get("values") or {}).items():
        c = Spec._col(src, col)
        cases = " ".join(f"when {lit(mtext(k))} then {lit(mtext(v))}" for k, v in (tbl or {}).items() if k is not None)
        t = f"trim({c}, {TRIM_SQL})"
        sets.append(f"{c} = case {t} {cases} else {t} end" if cases else f"{c} = {t}")
    for col, v in (mapping.get("constants") or {}).items():
        c = Spec._col(src, col)
        val = lit(mtext(v))
        sets.append(f"{c} = case when {c} is null or trim({c}, {TRIM_SQL}) = '' then {val} else {c} end")
    if sets:
        con.execute(f"update {table} set {', '.join(sets)} where _source_file = '{sql_str(rel)}'")


def mtext(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v).strip(TRIM)


def load_inbox(con, inbox: Path) -> dict[str, int]:
    c = contract()
    mappings = []
    mdir = inbox / "_mappings"
    if mdir.is_dir():
        for p in sorted(mdir.iterdir()):
            if p.is_file() and p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith((".", "~$")):
                mappings.append(yaml.safe_load(p.read_text(encoding="utf-8-sig")))
    files = {}
    with tempfile.TemporaryDirectory(prefix="zhifa-floor-") as tmp:
        for source in SOURCES:
            src = c["sources"][source]
            table = f"raw_{source}"
            cols = ", ".join(f"{col['name']} varchar" for col in src["columns"])
            con.execute(
                f"create or replace table {table} ({cols}, _key_num boolean, _source_file varchar, "
                "_file_name varchar, _row bigint)"
            )
            folder = inbox / source
            paths = (
                sorted(
                    p
                    for p in folder.rglob("*")
                    if p.is_file() and not any(part.startswith((".", "~$")) for part in p.relative_to(folder).parts)
                )
                if folder.is_dir()
                else []
            )
            for p in paths:
                rel = p.relative_to(inbox).as_posix()
                if p.suffix.lower() not in SUFFIXES[source]:
                    continue
                m = next((m for m in mappings if fnmatch.fnmatchcase(rel, m.get("files") or "")), None)
                spec = Spec(source, src, m)
                if p.suffix.lower() in (".jsonl", ".ndjson", ".json"):
                    load_jsonl(con, p, rel, spec, table)
                elif p.suffix.lower() in (".csv", ".txt", ".tsv"):
                    load_csv(con, p, rel, spec, table, Path(tmp))
                else:
                    load_excel(con, p, rel, spec, table, src["zh"])
                if m:
                    apply_mapping(con, table, rel, spec, m, src)
            files[source] = len(paths)
    t = (inbox / "reference" / "townships.csv").read_bytes()
    text, _ = decode(t)
    rows = list(csv.reader(io.StringIO(text)))
    zh = {c_["zh"]: c_["name"] for c_ in c["reference"]["townships"]["columns"]}
    header = [zh.get(norm_header(h)) for h in rows[0]]
    body = [dict(zip(header, r)) for r in rows[1:] if any(x.strip(TRIM) for x in r)]
    con.execute("create or replace table ref_townships (township_code varchar, township_name varchar, aliases varchar)")
    con.executemany(
        "insert into ref_townships values (?, ?, ?)",
        [(r.get("township_code"), r.get("township_name"), r.get("aliases")) for r in body],
    )
    return files


def run(
    inbox: Path,
    out: Path,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    database: str = ":memory:",
    keep: bool = False,
) -> dict:
    t0 = time.perf_counter()
    con = duckdb.connect(database)
    load_inbox(con, inbox)
    t1 = time.perf_counter()
    con.execute("create or replace table params as select ?::date as as_of, ?::date as today", [as_of, today or dt.date.today()])
    con.execute((HERE / "floor.sql").read_text(encoding="utf-8"))
    t2 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select * from township_daily order by all) to '{sql_str(str(out))}' (header, delimiter ',')")
    (as_of_date,) = con.execute("select as_of_date from as_of").fetchone()
    rows = con.execute("select count(*) from township_daily").fetchone()[0]
    if not keep:
        con.close()
    return {"as_of": as_of_date.isoformat(), "rows": rows, "load_s": t1 - t0, "sql_s": t2 - t1, "con": con if keep else None}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.floor")
    ap.add_argument("--inbox", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    ap.add_argument("--database", default=":memory:", help="a DuckDB file to keep the floor's tables in")
    a = ap.parse_args(argv)
    res = run(a.inbox, a.out, a.as_of, database=a.database)
    res.pop("con")
    print(json.dumps(res))


if __name__ == "__main__":
    main()

"""Turn record histories into the overlapping export files a data clerk would drop in the inbox.

Each record is a list of versions `(time, row)`, oldest first (the row carries the same time
as 更新时间 where the source has one). An export covering the window [start, end] holds every
record that changed inside the window (or inside `overlap_days` before it), in its state as
of `end` — so a record reported late in May and closed in June shows up as 处置中 in the May
export and as 已办结, with a later 更新时间, in the June one. The versioning rule (latest
更新时间 wins) recovers the final state, which is exactly what the clean inbox holds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from .common import END, END_TS, EXPORT_CUTOFF, START, Column, Ctx, Town
from .writers import JsonNumber, Raw, Style, clean_style, write_csv, write_jsonl, write_xlsx

Version = tuple[dt.datetime, dict]


@dataclass(frozen=True)
class Window:
    label: dt.date  # export date (in the file name)
    start: dt.datetime
    end: dt.datetime


def _ts(d: dt.date, end: bool = False) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, 23, 59, 59) if end else dt.datetime(d.year, d.month, d.day)


def windows(period: str) -> list[Window]:
    """Monthly or quarterly exports 2021-01 … 2022-08, plus the mid-August export of 8/24."""
    step = {"month": 1, "quarter": 3}[period]
    out, y, m = [], START.year, START.month
    while dt.date(y, m, 1) <= END:
        first = dt.date(y, m, 1)
        ny, nm = (y + (m - 1 + step) // 12, (m - 1 + step) % 12 + 1)
        last = min(dt.date(ny, nm, 1) - dt.timedelta(days=1), END)
        out.append(Window(last, _ts(first), _ts(last, end=True)))
        y, m = ny, nm
    # the export the article quotes: everything changed since the start of the last window, as of 8/24
    out.append(Window(EXPORT_CUTOFF, out[-1].start, _ts(EXPORT_CUTOFF, end=True)))
    return out


def rows_per_window(records: list[list[Version]], wins: list[Window], overlap_days: int = 0) -> list[list[dict]]:
    """For each window, the rows it exports (state as of the window's end)."""
    out: list[list[dict]] = [[] for _ in wins]
    lag = dt.timedelta(days=overlap_days)
    for versions in records:
        times = [t for t, _ in versions]
        for i, w in enumerate(wins):
            lo = bisect.bisect_left(times, w.start - lag)
            if lo < len(times) and times[lo] <= w.end:  # changed inside the window
                state = versions[bisect.bisect_right(times, w.end) - 1]
                out[i].append(state[1])
    return out


def final_rows(records: list[list[Version]]) -> list[dict]:
    """The clean inbox: one row per record, its latest state up to the end of the data."""
    rows = []
    for versions in records:
        live = [v for v in versions if v[0] <= END_TS]
        if live:
            rows.append(live[-1][1])
    return rows


# how the platforms title and name their exports (the demo's towns and the district's alike)
TITLES = {
    "grid_events": "一网统管事件导出",
    "inspections": "检查任务导出",
    "cases": "行政执法案件导出",
    "notices": "柔性执法记录",
}
SHEETS = {"grid_events": "事件列表", "inspections": "检查任务", "cases": "案件", "notices": "柔性执法"}
DEPT_COLUMN = (("处置部门", "dept"),)  # the event platform's non-contract column
# a file's dominant date and yes/no spellings, drawn per file (repeats weight the draw)
DATE_FORMS = ("iso", "iso", "iso", "iso_min", "slash", "slash", "cn", "compact")
BOOL_FORM_CHOICES = ("zh", "zh", "zh", "10", "yn")
# the police exports: mostly ISO dates (some compact), booleans as 1/0 (sometimes 是/否)
ALARM_STYLE = {
    "date_form": ["iso", "iso", "compact"],
    "mix": 0.15,
    "mix_forms": ("iso", "compact"),
    "bool_form": ["10", "10", "zh"],
}


def title_rows(town: str, title: str, label: dt.date, n_rows: int, draw) -> tuple[str, ...]:
    """An export's title row, and (if `draw()` < 0.4) a second one with the export time and row count."""
    titles = (f"{town}{title}（截至{label.year}年{label.month}月{label.day}日）",)
    if draw() < 0.4:
        titles += (f"导出时间：{label:%Y-%m-%d} 18:00　共{n_rows}条",)
    return titles


@dataclass
class FilePlan:
    """How one town's export files of one source look."""

    source: str
    town: Town
    stem: str  # file name stem, e.g. "yiqiao_grid_events"
    fmt: str  # csv | xlsx | jsonl (jsonl uses the contract's pinyin keys)
    period: str = "month"
    overlap_days: int = 0
    title: str = ""  # title row text ("" = none); the export date is appended
    title_share: float = 1.0  # share of files that carry the title row(s)
    sheet: str = "Sheet1"
    encodings: tuple[str, ...] = ("utf-8",)  # csv: rotated per file
    serial_no: bool = False  # a leading 序号 column (xlsx exports have one)
    extras: tuple[tuple[str, str], ...] = ()  # non-contract columns: (header, record key)
    dup_rate: float = 0.003  # exact duplicate rows per file
    sort_key: str = ""
    style: dict = field(default_factory=dict)  # Style overrides (a list value: one choice per file)
    wins: list | None = None  # explicit export windows instead of `period`
    defects: bool = True  # carries the source's quarantine-bound rows (one plan per source and town)
    drop: tuple[str, ...] = ()  # contract columns the export does not have (e.g. the optional 更新时间)
    omit_empty: bool = False  # jsonl: leave out keys whose value is empty (a push feed, contract §4 v1.1)


def _file_style(ctx: Ctx, rng: random.Random, plan: FilePlan, key: str, gbk: bool, xlsx: bool) -> Style:
    if ctx.clean:
        return clean_style()
    s = Style(
        rng=random.Random(rng.getrandbits(64)),
        date_form=rng.choice(DATE_FORMS),
        date_cells=rng.choice(("text", "text", "cells", "serial")) if xlsx else "text",
        mix=0.03,
        pad=0.01,
        nbsp=not gbk,
        fullwidth=0.004,
        null_tokens=0.35,
        bool_form=rng.choice(BOOL_FORM_CHOICES),
        money_mixed=True,
        township="mixed",
        key=key,
    )
    for k, v in plan.style.items():  # a list means: pick one per file
        setattr(s, k, rng.choice(v) if isinstance(v, list) else v)
    return s


def write_source(
    ctx: Ctx, out: Path, plan: FilePlan, cols: list[Column], records: list[list[Version]], defects: list[dict]
) -> dict[str, int]:
    """Write all export files of one source for one town. Returns {relative path: data rows}."""
    rng = ctx.rng(f"files:{plan.stem}")
    cols = [c for c in cols if c.name not in plan.drop]
    key = cols[0].name
    sort_key = plan.sort_key or cols[1].name
    if ctx.clean:
        batches = [(Window(END, _ts(START), END_TS), final_rows(records))]
    else:
        wins = plan.wins or windows(plan.period)
        batches = list(zip(wins, rows_per_window(records, wins, plan.overlap_days)))
        # defect rows ride along in the export of the window their (intended) date falls in
        for d in defects:
            t = d.pop("_t")
            i = next((i for i, (w, _) in enumerate(batches) if w.start <= t <= w.end), len(batches) - 2)
            batches[i][1].append(d)
    written: dict[str, int] = {}
    for n, (w, rows) in enumerate(batches):
        if not rows:
            continue
        rows.sort(key=lambda r: (_sortable(r.get(sort_key)), str(r.get(key))))
        ext = plan.fmt
        encoding = "utf-8" if ctx.clean else plan.encodings[n % len(plan.encodings)]
        gbk = encoding == "gbk"
        style = _file_style(ctx, rng, plan, key, gbk, ext == "xlsx")
        rel = f"{plan.source}/{plan.stem}_{w.label:%Y%m%d}.{ext}"
        titles: tuple[str, ...] = ()
        if plan.title and not ctx.clean and rng.random() < plan.title_share:
            titles = title_rows(plan.town.name, plan.title, w.label, len(rows), rng.random)
        if ext == "jsonl":
            lines = [_json_row(cols, r, style, plan.omit_empty) for r in rows]
            lines = _with_duplicates(ctx, rng, lines, plan.dup_rate)
            write_jsonl(out / rel, lines)
            written[rel] = len(lines)
            continue
        header = [c.zh for c in cols] + [h for h, _ in plan.extras]
        xlsx = ext == "xlsx"
        body = [[style.render(c, r.get(c.name), xlsx) for c in cols] + [r.get(k) for _, k in plan.extras] for r in rows]
        body = _with_duplicates(ctx, rng, body, plan.dup_rate)
        if plan.serial_no and not ctx.clean:
            header = ["序号", *header]
            body = [[i, *row] for i, row in enumerate(body, start=1)]
        if xlsx:
            write_xlsx(out / rel, plan.sheet, header, body, titles)
        else:
            write_csv(out / rel, header, body, encoding, titles)
        written[rel] = len(body)
    return written


def _sortable(v):
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return dt.datetime.min  # defect rows (Raw values) sort first


def _with_duplicates(ctx: Ctx, rng: random.Random, rows: list, rate: float) -> list:
    """Exact duplicate rows (a clerk pasting a block twice)."""
    if ctx.clean or not rate or not rows:
        return rows
    out = list(rows)
    for i in sorted(rng.sample(range(len(rows)), max(1, int(len(rows) * rate))), reverse=True):
        out.insert(i + 1, rows[i])
    return out


def _json_row(cols: list[Column], r: dict, style: Style, omit_empty: bool = False) -> dict:
    """One police-feed object with pinyin keys: numbers stay numbers, empties are "" or null
    (or, with `omit_empty`, left out altogether)."""
    obj = {}
    for c in cols:
        v = r.get(c.name)
        if v is None and omit_empty:
            continue
        if isinstance(v, (Raw, JsonNumber)):
            obj[c.pinyin] = v if isinstance(v, JsonNumber) else v.text
        elif v is None:
            obj[c.pinyin] = None if style.rng.random() < 0.3 else ""
        elif c.type == "bool":
            obj[c.pinyin] = 1 if v else 0
        elif c.type == "float":
            obj[c.pinyin] = round(v, 6)
        else:
            obj[c.pinyin] = style.render(c, v)
    return obj

"""Render records the way real exports look, and write them as csv / xlsx / jsonl.

A record is a dict keyed by the contract's English column names holding typed values
(datetime, date, int, bool, str, None). A `Style` decides, per file, how those values turn
into text or cells: date forms, boolean spellings, money forms, township code/name/alias,
padding, full-width digits, null tokens. `Raw` values bypass rendering: defect rows use it
to carry exactly the broken text they need (an impossible date, an unknown township).
With `clean=True` every style collapses to plain ISO text and nothing is injected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from .common import TOWNS, Column

NULL_TOKENS = ("无", "/", "-", "—", "暂无", "NULL")
# The workbook's metadata date is fixed so the same seed gives byte-identical xlsx files.
XLSX_CREATED = dt.datetime(2022, 8, 31, 18, 0, 0)
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Raw:
    """Text written verbatim (no rendering, no quirks)."""

    text: str


@dataclass(frozen=True)
class JsonNumber:
    """A JSON number literal (an id the police feed sent as a number)."""

    literal: str


@dataclass(frozen=True)
class NumericId:
    """A long all-digit id that went through a spreadsheet number: an xlsx numeric cell
    (a double, 15 significant digits survive), in csv the text Excel shows for it in the
    General format (`3.30109E+18`), in JSON a number literal. Different ids sharing their
    leading digits arrive identical: the damaged ids of contract §2 v1.1."""

    digits: str

    def cell(self) -> float:
        return float(f"{int(self.digits):.14E}")  # Excel keeps 15 significant digits

    def excel_text(self) -> str:
        return f"{int(self.digits):.5E}"  # 3301092022071250123 -> 3.30109E+18


_TOWN_FORMS = {t.code: (t.code, t.name, *t.aliases) for t in TOWNS}
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def fmt_ts(d: dt.datetime, form: str) -> str:
    if form == "iso":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    if form == "iso_min":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}"
    if form == "slash":
        return f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}"
    if form == "cn":
        return f"{d.year}年{d.month}月{d.day}日 {d.hour}时{d.minute}分"
    if form == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}{d.hour:02d}{d.minute:02d}{d.second:02d}"
    raise ValueError(form)


def fmt_date(d: dt.date, form: str) -> str:
    if form in ("iso", "iso_min"):
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if form == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if form == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if form == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    raise ValueError(form)


def fmt_money(yuan: float, form: str) -> str:
    if form == "int" or (form == "wan" and (yuan < 1000 or yuan % 100)):
        return f"{yuan:.0f}" if yuan == int(yuan) else f"{yuan:.2f}"
    if form == "dec":
        return f"{yuan:.2f}"
    if form == "yuan":
        return f"{yuan:.0f}元"
    if form == "rmb":
        return f"￥{yuan:,.0f}"
    if form == "wan":
        return f"{yuan / 10000:.4f}".rstrip("0").rstrip(".") + "万元"
    raise ValueError(form)


BOOL_FORMS = {"zh": ("是", "否"), "yn": ("Y", "N"), "10": ("1", "0"), "check": ("√", "×"), "tf": ("true", "false")}


@dataclass
class Style:
    """How one export file spells its values. Defaults are the clean (plain) style."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))
    date_form: str = "iso"  # dominant text form of dates/timestamps
    date_cells: str = "text"  # xlsx only: "text" | "cells" (real date cells) | "serial" (numbers)
    mix: float = 0.0  # share of date cells in another text form
    mix_forms: tuple[str, ...] = ("iso", "iso_min", "slash", "cn", "compact")
    pad: float = 0.0  # share of text cells padded with spaces / U+3000 / U+00A0
    nbsp: bool = True  # U+00A0 is not in GBK: off for GBK files
    fullwidth: float = 0.0  # share of dates / codes / numbers in full-width ASCII
    null_tokens: float = 0.0  # share of empty cells spelled as a null token
    bool_form: str = "zh"  # key of BOOL_FORMS, or "mixed"
    money_mixed: bool = False
    township: str = "code"  # "code" | "name" | "mixed"
    key: str = ""  # primary-key column: never padded or made full-width (codes elsewhere are)

    def empty(self):
        if self.null_tokens and self.rng.random() < self.null_tokens:
            return self.rng.choice(NULL_TOKENS)
        return None

    def _quirk(self, text: str, fw: bool) -> str:
        rng = self.rng
        if fw and self.fullwidth and rng.random() < self.fullwidth:
            text = fullwidth(text)
        if self.pad and rng.random() < self.pad:
            pad = rng.choice(("\u3000", " ", "  ", "\u00a0" if self.nbsp else "\u3000"))
            text = rng.choice((pad + text, text + pad, pad + text + pad))
        return text

    def render(self, col: Column, value, xlsx: bool = False):
        """Text (or an xlsx cell value) for one value; None means an empty cell."""
        if value is None:
            return self.empty()
        if isinstance(value, Raw):
            return value.text
        if isinstance(value, JsonNumber):
            return value.literal
        if isinstance(value, NumericId):
            return value.cell() if xlsx else value.excel_text()
        t = col.type
        if t in ("timestamp", "date"):
            if xlsx and self.date_cells != "text":
                if self.date_cells == "serial" and t == "date":
                    return (value - EXCEL_EPOCH).days  # a bare Excel serial number
                return value  # a real date cell
            form = self.date_form
            if self.mix and self.rng.random() < self.mix:
                form = self.rng.choice(self.mix_forms)
            text = fmt_ts(value, form) if t == "timestamp" else fmt_date(value, form)
            return self._quirk(text, True)
        if t == "bool":
            form = self.bool_form if self.bool_form != "mixed" else self.rng.choice(tuple(BOOL_FORMS))
            return BOOL_FORMS[form][0 if value else 1]
        if t == "money":
            if xlsx and self.date_cells == "cells" and not self.money_mixed:
                return value
            form = self.rng.choice(("int", "int", "dec", "yuan", "rmb", "wan")) if self.money_mixed else "int"
            return self._quirk(fmt_money(value, form), False)
        if t == "int":
            return value if xlsx else self._quirk(str(value), True)
        if t == "float":
            return f"{value:.6f}"
        if t == "township":
            forms = _TOWN_FORMS.get(value)
            if forms is None:
                return value
            if self.township == "name":
                return forms[1]
            if self.township == "mixed":
                r = self.rng.random()
                value = forms[0] if r < 0.4 else forms[1] if r < 0.8 else self.rng.choice(forms[2:])
            return self._quirk(value, True)
        # text, id, grid
        return self._quirk(str(value), t in ("grid", "id") and col.name != self.key)


def clean_style() -> Style:
    return Style(township="name")


# ---- writers -----------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8", titles: tuple[str, ...] = ()) -> None:
    """csv as Excel writes it: CRLF, minimal quoting; `encoding` utf-8 | utf-8-sig | gbk."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for title in titles:  # "Save as CSV" of a sheet with a merged title row
        w.writerow([title] + [""] * (len(header) - 1))
    w.writerow(header)
    w.writerows([["" if v is None else v for v in row] for row in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    # .encode raises if a character is not representable in GBK: the generator only uses GBK text
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, sheet: str, header: list[str], rows: list[list], titles: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    wb.set_properties({"created": XLSX_CREATED, "author": "一网统管平台", "title": sheet})
    ws = wb.add_worksheet(sheet)
    title_fmt = wb.add_format({"bold": True, "align": "center", "font_size": 14})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ts_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    last = len(header) - 1
    for r, title in enumerate(titles):
        ws.merge_range(r, 0, r, last, title, title_fmt)
    ws.write_row(len(titles), 0, header, head_fmt)
    ws.set_column(0, last, 16)
    write_dt, write_row = ws.write_datetime, ws.write_row
    for r, row in enumerate(rows, start=len(titles) + 1):
        if any(isinstance(v, dt.date) for v in row):  # real date cells need their own call
            for c, v in enumerate(row):
                if isinstance(v, dt.datetime):
                    write_dt(r, c, v, ts_fmt)
                elif isinstance(v, dt.date):
                    write_dt(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                elif v is not None:
                    ws.write(r, c, v)
        else:
            write_row(r, 0, row)
    wb.close()


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """One JSON object per line; JsonNumber values become bare number literals."""
    lines = []
    for row in rows:
        literals = {}
        obj = {}
        for k, v in row.items():
            if isinstance(v, JsonNumber):
                token = f"@@{len(literals)}@@"
                literals[f'"{token}"'] = v.literal
                v = token
            obj[k] = v
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        for token, literal in literals.items():
            line = line.replace(token, literal)
        lines.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

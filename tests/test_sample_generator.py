"""The sample inbox generator (pipelines/sample): layout, determinism, clean vs quirky mode.

Runs on a small inbox (`scale`), so it is fast; the calibrated figures of contract §9 are
asserted from the pipeline's published output elsewhere (tests/test_demo_figures.py), not
from the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import fastexcel
import pytest

from pipelines.sample import generate_inbox
from pipelines.sample.common import columns, id_check_char

SCALE = 0.03
SOURCES = ("grid_events", "inspections", "cases", "notices", "police_alarms")
EXTENSIONS = {"grid_events": {".csv", ".xlsx"}, "inspections": {".csv", ".xlsx"}, "cases": {".csv", ".xlsx"},
              "notices": {".csv", ".xlsx"}, "police_alarms": {".jsonl", ".csv"}}
NULL_TOKENS = {"无", "/", "-", "—", "暂无", "NULL", "null", "NaN"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "inbox"
    generate_inbox(out, seed=7, scale=SCALE)
    return out


@pytest.fixture(scope="module")
def clean_inbox(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample-clean") / "inbox"
    generate_inbox(out, seed=7, clean=True, scale=SCALE)
    return out


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _decode(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gbk"), "gbk"


def _table(path: Path) -> list[list[str]]:
    """All rows of a csv / xlsx (title rows included) as text."""
    if path.suffix == ".xlsx":
        df = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        return [["" if v is None else v for v in row] for row in df.iter_rows()]
    return list(csv.reader(io.StringIO(_decode(path)[0])))


def _header_index(rows: list[list[str]], required: list[str]) -> int:
    """The header is the first row holding every required column name (contract §2)."""
    return next(i for i, row in enumerate(rows) if set(required) <= set(row))


def _files(root: Path, source: str) -> list[Path]:
    return sorted(p for p in (root / source).iterdir() if p.is_file())


# ---- layout ------------------------------------------------------------------------------

def test_reference_files_follow_the_contract(inbox):
    heads = {"townships.csv": ["镇街编码", "镇街名称", "别名", "所属区县", "面积平方公里", "户籍人口", "流动人口", "常住人口",
                               "改革起始日期"],
             "grids.csv": ["网格编码", "网格名称", "网格类型", "上级网格编码", "镇街编码", "村社", "实有人口"],
             "matters.csv": ["事项编码", "事项名称", "执法领域", "镇街编码", "赋权日期", "首违不罚", "减轻从轻"]}
    for name, header in heads.items():
        assert _table(inbox / "reference" / name)[0] == header, name
    grids = list(csv.DictReader(io.StringIO(_decode(inbox / "reference/grids.csv")[0])))
    codes = {g["网格编码"] for g in grids}
    micro = [g for g in grids if g["网格类型"] == "微网格"]
    assert all(g["上级网格编码"] in codes for g in micro), "every micro-grid hangs under a 全科网格"
    assert any(int(g["实有人口"]) < 50 for g in micro), "some grids are grey on the five-colour map"
    geo = json.loads((inbox / "reference/grids.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["网格编码"] for f in geo["features"]} == {g["网格编码"] for g in micro}


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_has_exports_with_the_contract_columns(inbox, source):
    cols = columns(source)
    files = _files(inbox, source)
    assert files, f"no {source} exports"
    for path in files:
        assert path.suffix in EXTENSIONS[source], path.name
        assert re.search(r"_\d{8}\.", path.name), f"{path.name}: file names carry the export date"
        if path.suffix == ".jsonl":
            first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
            assert list(first) == [c.pinyin for c in cols], path.name
        else:
            rows = _table(path)
            assert _header_index(rows, [c.zh for c in cols]) <= 3, f"{path.name}: at most 3 title rows"


def test_refuses_to_write_into_a_non_empty_folder(tmp_path):
    (tmp_path / "something.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate_inbox(tmp_path, scale=SCALE)


# ---- determinism -------------------------------------------------------------------------

def test_same_seed_writes_byte_identical_files(inbox, tmp_path):
    again = tmp_path / "again"
    generate_inbox(again, seed=7, scale=SCALE)
    assert _digest(again) == _digest(inbox)


def test_another_seed_writes_other_data(inbox, tmp_path):
    other = tmp_path / "other"
    generate_inbox(other, seed=8, scale=SCALE)
    a, b = _digest(inbox), _digest(other)
    assert sum(a.get(k) != v for k, v in b.items()) > len(b) // 2


def test_summary_counts_what_was_written(tmp_path):
    summary = generate_inbox(tmp_path / "s", seed=3, scale=0.01)
    files = [p for p in (tmp_path / "s").rglob("*") if p.is_file()]
    assert summary["files_written"] == len(files)
    for source in SOURCES:
        rows, n_files = map(int, re.fullmatch(r"(\d+) rows in (\d+) files", summary[source]).groups())
        assert n_files == len(_files(tmp_path / "s", source)) and rows > 0


# ---- quirks on by default, off when clean ------------------------------------------------

def test_default_exports_carry_the_real_world_quirks(inbox):
    encodings, titles, text = set(), 0, []
    for source in SOURCES:
        required = [c.zh for c in columns(source)]
        for path in _files(inbox, source):
            if path.suffix == ".csv":
                content, enc = _decode(path)
                encodings.add(enc)
                text.append(content)
            if path.suffix in (".csv", ".xlsx"):
                titles += _header_index(_table(path), required) > 0
            else:
                text.append(path.read_text(encoding="utf-8"))
    assert encodings == {"utf-8", "utf-8-sig", "gbk"}
    assert titles > 0
    blob = "\n".join(text)
    assert "\u3000" in blob and "\u00a0" in blob, "padding"
    assert re.search(r"[０-９]{4}", blob), "full-width digits"
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", blob) and re.search(r"\d{4}/\d{1,2}/\d{1,2}", blob), "date forms"
    assert "临浦镇" in blob, "an unknown township"
    assert re.search(r'"jjdbh":\d', blob), "an id sent as a JSON number"
    assert re.search(r"万元|￥", blob), "money spellings"


def test_default_exports_overlap_and_repeat_rows(inbox):
    seen: dict[str, int] = {}
    duplicate_lines = 0
    for path in _files(inbox, "grid_events"):
        rows = _table(path)
        start = _header_index(rows, [c.zh for c in columns("grid_events")])
        key = rows[start].index("事件编号")
        body = [tuple(r) for r in rows[start + 1:]]
        duplicate_lines += len(body) - len(set(body))
        for r in {r[key] for r in body}:
            seen[r] = seen.get(r, 0) + 1
    assert duplicate_lines > 0, "exact duplicate rows within a file"
    assert sum(n > 1 for n in seen.values()) > 0, "the same event in several exports (updated versions)"


def test_clean_exports_are_plain(clean_inbox):
    for source in SOURCES:
        cols = columns(source)
        files = _files(clean_inbox, source)
        assert len(files) == (3 if source == "inspections" else 2), f"{source}: one file per town (+ the campaign)"
        for path in files:
            if path.suffix == ".jsonl":
                rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
                assert all(isinstance(r["jjdbh"], str) for r in rows)
                header, body = None, [[r[c.pinyin] for c in cols] for r in rows]
            else:
                if path.suffix == ".csv":
                    assert _decode(path)[1] == "utf-8", f"{path.name}: plain UTF-8, no BOM"
                table = _table(path)
                header, body = table[0], table[1:]
                assert header[:len(cols)] == [c.zh for c in cols], f"{path.name}: header on the first row"
            keys = [row[0] for row in body]
            assert len(keys) == len(set(keys)) and all(keys), f"{path.name}: one row per key"
            for row in body:
                for c, value in zip(cols, row):
                    if value in (None, ""):
                        continue
                    value = str(value)
                    assert value == value.strip(" \u3000\u00a0"), (path.name, c.zh, value)
                    assert not re.search(r"[\uff01-\uff5e]", value) or c.type == "text", (path.name, c.zh, value)
                    if c.type in ("date", "timestamp"):
                        assert ISO_DATE.match(value), (path.name, c.zh, value)
                    if c.zh != "复议诉讼" and c.type != "text":  # 无 is a real 复议诉讼 value
                        assert value not in NULL_TOKENS, (path.name, c.zh, value)


def test_resident_ids_carry_a_gb11643_check_digit_with_a_few_typos(inbox):
    ids = []
    for path in _files(inbox, "cases") + _files(inbox, "notices"):
        rows = _table(path)
        start = _header_index(rows, ["当事人证件号码"])
        col = rows[start].index("当事人证件号码")
        ids += [r[col].strip(" \u3000\u00a0") for r in rows[start + 1:] if re.fullmatch(r"\d{17}[\dX]", r[col].strip())]
    good = sum(id_check_char(i[:17]) == i[17] for i in ids)
    assert ids and 0.9 < good / len(ids) < 1.0

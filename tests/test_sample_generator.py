"""The sample inbox generator (pipelines/sample): layout, determinism, clean vs quirky mode.

Runs on a small inbox (`scale`), so it is fast; the calibrated figures of contract §9 are
asserted from the pipeline's published output elsewhere (tests/test_demo_figures.py), not
from the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import fastexcel
import pytest

from pipelines.contract import load_contract
from pipelines.ingest import load_mappings
from pipelines.ingest.readers import read_file
from pipelines.sample import district, generate_inbox, reference
from pipelines.sample.common import SURNAMES, Ctx, columns, id_check_char

SCALE = 0.03
SOURCES = ("grid_events", "inspections", "cases", "notices", "police_alarms")
EXTENSIONS = {
    "grid_events": {".csv", ".xlsx"},
    "inspections": {".csv", ".xlsx"},
    "cases": {".csv", ".xlsx"},
    "notices": {".csv", ".xlsx"},
    "police_alarms": {".jsonl", ".csv"},
}
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
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


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


def _all_files(root: Path, source: str) -> list[Path]:
    """A source's files, those in subfolders included (contract §2 v1.1)."""
    return sorted(p for p in (root / source).rglob("*") if p.is_file())


def _files(root: Path, source: str) -> list[Path]:
    """A source's contract exports: files an inbox mapping reads (another system's headers) left out."""
    mapped = {p for m in load_mappings(root) for p in root.glob(m.files)}
    return [p for p in _all_files(root, source) if p not in mapped]


def _required(source: str) -> list[str]:
    """Headers every export of the source has (the optional 更新时间 may be missing)."""
    return [c.zh for c in load_contract().sources[source].columns if c.required]


# ---- layout ------------------------------------------------------------------------------


def test_reference_files_follow_the_contract(inbox):
    heads = {
        "townships.csv": [
            "镇街编码",
            "镇街名称",
            "别名",
            "所属区县",
            "面积平方公里",
            "户籍人口",
            "流动人口",
            "常住人口",
            "改革起始日期",
        ],
        "grids.csv": ["网格编码", "网格名称", "网格类型", "上级网格编码", "镇街编码", "村社", "实有人口"],
        "matters.csv": ["事项编码", "事项名称", "执法领域", "镇街编码", "赋权日期", "首违不罚", "减轻从轻"],
    }
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
            if "_push_" in path.name:  # a push feed leaves out empty keys (contract §4 v1.1)
                assert list(first) == [c.pinyin for c in cols if c.pinyin in first], path.name
                assert {"jjdbh", "bjsj", "sfyx", "ssjz"} <= set(first), path.name
            else:
                assert list(first) == [c.pinyin for c in cols], path.name
        else:
            rows = _table(path)
            assert _header_index(rows, _required(source)) <= 3, f"{path.name}: at most 3 title rows"


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
        assert n_files == len(_all_files(tmp_path / "s", source)) and rows > 0


# ---- quirks on by default, off when clean ------------------------------------------------


def test_default_exports_carry_the_real_world_quirks(inbox):
    encodings, titles, text = set(), 0, []
    for source in SOURCES:
        required = _required(source)
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
        start = _header_index(rows, _required("grid_events"))
        key = rows[start].index("事件编号")
        body = [tuple(r) for r in rows[start + 1 :]]
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
                assert header[: len(cols)] == [c.zh for c in cols], f"{path.name}: header on the first row"
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
        ids += [r[col].strip(" \u3000\u00a0") for r in rows[start + 1 :] if re.fullmatch(r"\d{17}[\dX]", r[col].strip())]
    good = sum(id_check_char(i[:17]) == i[17] for i in ids)
    assert ids and 0.9 < good / len(ids) < 1.0


# ---- contract v1.1 quirks (default inbox only; each placed where no §9 figure sees it) ----

_FW = str.maketrans({chr(c + 0xFEE0): chr(c) for c in range(0x21, 0x7F)})
EMPTY = NULL_TOKENS | {""}


def _records(path: Path, source: str) -> list[dict]:
    """Data rows keyed by header (pinyin keys for JSON Lines), text values trimmed."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = _table(path)
    start = _header_index(rows, _required(source))
    return [{h: str(v).strip(" \u3000\u00a0") for h, v in zip(rows[start], r)} for r in rows[start + 1 :]]


def _header(path: Path, source: str) -> list[str]:
    rows = _table(path)
    return rows[_header_index(rows, _required(source))]


def _day(text) -> dt.date | None:
    """A date in any of the sample's spellings (None when it is not a real date)."""
    t = str(text).translate(_FW).strip(" \u3000\u00a0")
    if re.fullmatch(r"\d{5}(\.0+)?", t):  # an Excel serial number
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(t)))
    m = re.match(r"(\d{4})[-/年]?(\d{1,2})[-/月]?(\d{1,2})", t)
    try:
        return dt.date(*map(int, m.groups())) if m else None
    except ValueError:
        return None


def _file_date(path: Path) -> str:
    return re.search(r"_(\d{8})\.", path.name).group(1)


def test_damaged_alarm_ids_collide_but_keep_their_times(inbox):
    """瓜沥's csv feed: different alarms arrive with one id, `3.30109E+18`; their 报警时间
    differ, and one of them is in two overlapping exports with the same 报警时间."""
    files_of: dict[str, set[str]] = defaultdict(set)
    for path in _files(inbox, "police_alarms"):
        if path.suffix != ".csv":
            assert "3.30109E+18" not in path.read_text(encoding="utf-8"), path.name
            continue
        for r in _records(path, "police_alarms"):
            if r["接警单编号"] == "3.30109E+18":
                assert path.name.startswith("guali_"), path.name
                assert r["警情细类"] != "非法捕捞" and r["合并编号"] in EMPTY, r
                files_of[re.sub(r"\D", "", r["报警时间"].translate(_FW))].add(path.name)
    assert len(files_of) >= 4, "several different alarms share the damaged id"
    assert any(len(f) >= 2 for f in files_of.values()), "a second version of a damaged alarm, same 报警时间"


def test_long_event_ids_arrive_as_numeric_xlsx_cells(inbox):
    """义桥's xlsx events: 19-digit hotline ids written as numbers; two different events
    (different 上报时间) share each number, and the same event is in two exports."""
    times: dict[str, set[str]] = defaultdict(set)
    files: dict[str, set[str]] = defaultdict(set)
    for path in _files(inbox, "grid_events"):
        if path.suffix != ".xlsx":
            continue
        rows = _table(path)
        start = _header_index(rows, _required("grid_events"))
        col, when = rows[start].index("事件编号"), rows[start].index("上报时间")
        sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
        letter = chr(ord("A") + col)
        numeric = {int(n) - 1 for n in re.findall(rf'<c r="{letter}(\d+)"(?: s="\d+")?><v>[^<]*</v></c>', sheet)}
        for i in sorted(numeric):
            value = rows[i][col]
            assert float(value) > 2**53, (path.name, value)  # beyond what a double keeps exactly
            times[value].add(f"{path.name}:{rows[i][when]}")
            files[value].add(path.name)
    assert times, "no numeric id cells"
    assert any(
        len({t.split(":", 1)[1] for t in ts if t.startswith(f + ":")}) >= 2 for v, ts in times.items() for f in files[v]
    ), "two events with one numeric id in one file"
    assert any(len(f) >= 2 for f in files.values()), "an event with a numeric id in two exports"


@pytest.mark.parametrize(
    "source, primary, secondary", [("cases", "立案日期", "结案日期"), ("inspections", "检查日期", "验收日期")]
)
def test_unusable_secondary_dates(inbox, source, primary, secondary):
    """A year typo (2202-…, after the as-of date) and an impossible day (…-32) in a
    secondary date, in both towns; the primary counting date stays good."""
    found = set()
    for path in _files(inbox, source):
        for r in _records(path, source):
            v = r[secondary].translate(_FW)
            if v.startswith("2202-") or v.endswith("-32"):
                found.add(("future" if v.startswith("2202-") else "impossible", path.name.split("_")[0]))
                assert _day(r[primary]) and _day(r[primary]).year == 2022, r
                if source == "inspections":
                    assert r["检查方式"] != "综合查一次" and r["专项行动"] != "除险保安", r
    assert found == {(k, t) for k in ("future", "impossible") for t in ("yiqiao", "guali")}


def test_versions_in_exports_with_and_without_updated_at(inbox):
    files = _files(inbox, "grid_events")
    old_platform = [p for p in files if p.name.startswith("yiqiao_") and p.suffix == ".csv"]
    assert old_platform and all("更新时间" not in _header(p, "grid_events") for p in old_platform)
    assert all("更新时间" in _header(p, "grid_events") for p in files if p.suffix == ".xlsx")
    (voided,) = [p for p in files if "voided" in p.name]
    assert "更新时间" not in _header(voided, "grid_events") and _file_date(voided) == "20220820"
    rows = _records(voided, "grid_events")
    assert rows and {r["办理状态"] for r in rows} == {"已作废"}
    earlier = {
        r["事件编号"]: r["办理状态"]
        for p in files
        if p.name.startswith("guali_") and p != voided and _file_date(p) < "20220820" and "更新时间" in _header(p, "grid_events")
        for r in _records(p, "grid_events")
    }
    for r in rows:  # an older export that has 更新时间 still shows the event as not voided
        assert earlier.get(r["事件编号"]) in ("已办结", "已流转"), r["事件编号"]


def test_police_push_files_leave_out_empty_keys(inbox):
    jsonl = [p for p in _files(inbox, "police_alarms") if p.suffix == ".jsonl"]
    push = [p for p in jsonl if "_push_" in p.name]
    assert len(push) >= 2
    dumped = {str(r["jjdbh"]) for p in jsonl if p not in push for r in _records(p, "police_alarms")}
    for path in push:
        rows = _records(path, "police_alarms")
        assert rows and not set().union(*rows) & {"hbbh", "wxyy"}, path.name
        for r in rows:
            assert {"jjdbh", "bjsj", "sfyx", "ssjz"} <= set(r) and all(v not in (None, "") for v in r.values()), r
        assert {r["jjdbh"] for r in rows} <= dumped, "pushed alarms are in the month's dump too"


def test_fullwidth_matter_codes(inbox):
    matters = list(csv.DictReader(io.StringIO(_decode(inbox / "reference/matters.csv")[0])))
    catalogue = {m["事项编码"] for m in matters}
    found = set()
    for source, when in (("notices", "日期"), ("cases", "立案日期")):
        for path in _files(inbox, source):
            for r in _records(path, source):
                if re.search(r"[\uff01-\uff5e]", r["事项编码"]):
                    assert r["事项编码"].translate(_FW) in catalogue, r["事项编码"]
                    found.add(source)
                    if source == "notices" and path.name.startswith("yiqiao_"):
                        assert _day(r[when]) > dt.date(2022, 8, 24), "outside the calibrated 首违提醒 window"
    assert found == {"notices", "cases"}


def test_an_overlapping_export_in_a_subfolder(inbox):
    top = [p for p in _files(inbox, "cases") if p.parent == inbox / "cases"]
    sub = [p for p in _files(inbox, "cases") if p.parent != inbox / "cases"]
    assert [p.relative_to(inbox).as_posix() for p in sub] == ["cases/archive/guali_cases_20220825.csv"]
    (archive,) = sub
    # by name it sorts after an export in cases/, by folder path before it
    assert any(p.name < archive.name and p.as_posix() > archive.as_posix() for p in top)
    keys = {r["案件编号"] for r in _records(archive, "cases")}
    assert keys and keys <= {r["案件编号"] for p in top for r in _records(p, "cases")}


def test_summary_procedure_cases_have_no_filing_date(inbox):
    simple = {}
    for path in _files(inbox, "cases"):
        for r in _records(path, "cases"):
            if r["立案日期"] in EMPTY and r["案件编号"] not in EMPTY:
                simple[r["案件编号"]] = r
    assert {k[2:5] for k in simple} == {"118", "121"} and len(simple) >= 10
    for r in simple.values():
        assert _day(r["结案日期"]) and r["处理结果"] == "罚款" and r["罚款金额"] not in EMPTY, r


@pytest.mark.parametrize("which", ["inbox", "clean_inbox"])
def test_rental_rooms_are_named_after_their_landlord(request, which):
    root = request.getfixturevalue(which)
    names = set()
    for path in _files(root, "inspections"):
        for r in _records(path, "inspections"):
            if r["检查对象类型"] == "出租房":
                assert re.fullmatch(rf"[{SURNAMES}][\u4e00-\u9fff]{{1,2}}", r["检查对象名称"]), r["检查对象名称"]
                assert r["检查对象编码"].endswith("室"), r["检查对象编码"]  # the code stays the room
                names.add(r["检查对象名称"])
    assert len(names) > 10


def test_clean_inbox_has_none_of_the_v11_quirks(clean_inbox):
    files = [p.relative_to(clean_inbox).as_posix() for s in SOURCES for p in _files(clean_inbox, s)]
    assert not [f for f in files if "archive/" in f or "_push_" in f or "voided" in f]
    for path in _files(clean_inbox, "cases"):
        assert all(r["立案日期"] not in EMPTY for r in _records(path, "cases")), "no 简易程序 case"


def test_quirks_leave_the_calibrated_records_alone():
    """At full scale (the demo's seed) the quirks touch no record behind a §9 figure of
    义桥 (one-visit inspections, parking 首违提醒 in 6/1–8/24, alarms); 瓜沥's campaign is
    never handed to them. The figures themselves are checked on the published files."""
    from pipelines.sample import cases, grid_events, inspections, notices, police_alarms, quirks, reference
    from pipelines.sample.common import YIQIAO, Ctx
    from pipelines.sample.reference import PARKING

    ctx = Ctx(seed=20220824, clean=False)
    ref = reference.build(ctx)[YIQIAO.code]
    events, _ = grid_events.build(ctx, ref)
    case_hist = cases.build(ctx, ref, events)
    built = {
        "grid_events": (grid_events.histories(events), []),
        "cases": case_hist,
        "inspections": inspections.build(ctx, ref),
        "notices": notices.build(ctx, ref),
        "police_alarms": police_alarms.build(ctx, ref),
    }
    window = (dt.date(2022, 6, 1), dt.date(2022, 8, 24))
    parking = next(m.code for m in ref.matters if m.name == PARKING)

    def calibrated():
        one_visit = [repr(v) for h in built["inspections"][0] for v in h if v[1]["inspection_method"] == "综合查一次"]
        notes = [repr(v) for h in built["notices"][0] for v in h if v[1]["notice_date"] <= window[1]]
        alarms = [repr(v) for h in built["police_alarms"][0] for v in h]
        return one_visit, notes, alarms

    before = calibrated()
    plans = {s: [] for s in SOURCES}
    plans["police_alarms"] = [quirks.FilePlan("police_alarms", YIQIAO, "yiqiao_jq", "jsonl")]
    extra, counts = quirks.apply(ctx, ref, built, plans)
    assert calibrated() == before
    assert counts["event ids as numeric xlsx cells"] == 4 and counts["push files without hbbh/wxyy"] == 3
    finals = [h[-1][1] for h in built["inspections"][0]]
    assert sum(r["inspection_method"] == "综合查一次" and window[0] <= r["inspected_on"] <= window[1] for r in finals) == 1029
    assert (
        sum(
            h[0][1]["notice_type"] == "首违提醒"
            and h[0][1]["matter_code"] == parking
            and window[0] <= h[0][1]["notice_date"] <= window[1]
            for h in built["notices"][0]
        )
        == 371
    )


# ---- another system's export, mapped without code (issue 9) -------------------------------


def test_ships_a_mapped_export_that_no_published_figure_counts(inbox, clean_inbox):
    (mapping,) = load_mappings(inbox)
    assert (mapping.name, mapping.source, mapping.error) == ("xiaoxiao119.yaml", "inspections", None)
    (export,) = [p for p in _all_files(inbox, "inspections") if mapping.matches(p.relative_to(inbox).as_posix())]
    assert export.name == "萧消119_20220831.xlsx"
    header = _table(export)[1]
    assert "检查时间" in header and "检查日期" not in header, "its own headers: only the mapping makes it readable"
    raw = read_file(export, load_contract().sources["inspections"], {".xlsx"}, mapping)
    df = raw.df
    assert raw.mapping == "xiaoxiao119.yaml" and df.height > 0
    assert set(df["inspection_method"]) == {"单部门检查"} and df["campaign"].null_count() == df.height
    assert set(df["target_type"]) <= {"企业", "沿街商铺"}
    assert set(df["township_code"]) == {"瓜沥镇"}
    assert not (clean_inbox / "_mappings").exists()


# ---- the district (issue 11): more towns, vectorised ----------------------------------------


@pytest.fixture(scope="module")
def district_inbox(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("district") / "inbox"
    generate_inbox(out, seed=5, scale=0.01, towns=4)
    return out


def test_district_sample_is_deterministic(district_inbox, tmp_path):
    """The other towns' exports again, byte for byte (the demo towns' determinism is tested
    above, and that they are unchanged by the other towns below)."""
    ctx = Ctx(seed=5, clean=False, scale=0.01)
    extra = district.build_refs(ctx, reference.build(ctx), 4)
    for i, ref in enumerate(extra.values()):
        district.write_town(ctx, tmp_path, ref, i)
    again, first = _digest(tmp_path), _digest(district_inbox)
    assert len(again) > 100 and set(again) == {k for k in first if "/t001_" in k or "/t002_" in k}
    assert again == {k: first[k] for k in again}


def test_district_towns_are_additive(district_inbox, tmp_path):
    """The demo towns' exports are the same with or without the other towns; the reference
    files only gain rows (new township codes, grids, polygons, matters)."""
    demo = tmp_path / "demo"
    generate_inbox(demo, seed=5, scale=0.01)
    big, small = _digest(district_inbox), _digest(demo)
    assert {k: v for k, v in small.items() if not k.startswith("reference/")} == {
        k: v for k, v in big.items() if k in small and not k.startswith("reference/")
    }
    for name in ("townships.csv", "grids.csv", "matters.csv"):
        old = (demo / "reference" / name).read_text(encoding="utf-8").splitlines()
        new = (district_inbox / "reference" / name).read_text(encoding="utf-8").splitlines()
        assert set(old) < set(new), name
    towns = list(csv.DictReader(io.StringIO(_decode(district_inbox / "reference/townships.csv")[0])))
    assert [t["镇街名称"] for t in towns] == ["义桥镇", "瓜沥镇", "城厢街道", "北干街道"]
    assert len({t["镇街编码"] for t in towns}) == 4 and not {"临浦镇", "进化镇"} & {t["镇街名称"] for t in towns}


def test_district_towns_have_grids_polygons_and_exports(district_inbox):
    grids = list(csv.DictReader(io.StringIO(_decode(district_inbox / "reference/grids.csv")[0])))
    geo = json.loads((district_inbox / "reference/grids.geojson").read_text(encoding="utf-8"))
    boxes: dict[str, list[float]] = {}
    by_code = {g["网格编码"]: g for g in grids}
    for f in geo["features"]:
        ring = f["geometry"]["coordinates"][0]
        town = by_code[f["properties"]["网格编码"]]["镇街编码"]
        lon, lat = [p[0] for p in ring], [p[1] for p in ring]
        b = boxes.setdefault(town, [min(lon), min(lat), max(lon), max(lat)])
        b[:] = [min(b[0], *lon), min(b[1], *lat), max(b[2], *lon), max(b[3], *lat)]
    assert len(boxes) == 4, "every town's micro-grids have polygons"
    codes = sorted(boxes)
    for i, a in enumerate(codes):  # the towns' lattices do not overlap (a point names one grid)
        for b in codes[i + 1 :]:
            A, B = boxes[a], boxes[b]
            assert A[2] <= B[0] or B[2] <= A[0] or A[3] <= B[1] or B[3] <= A[1], (a, b)
    spec = load_contract().sources
    for source in SOURCES:
        files = [p for p in _files(district_inbox, source) if p.name.startswith(("t001_", "t002_"))]
        assert {p.name[:4] for p in files} == {"t001", "t002"}, source
        for path in files[:3] + files[-2:]:
            raw = read_file(path, spec[source], EXTENSIONS[source])
            assert raw.df.height > 0, path.name
            assert set(raw.df["township_code"].drop_nulls().str.strip_chars(" \u3000\u00a0")) <= {
                "330109001",
                "330109002",
                "城厢街道",
                "北干街道",
                "城厢",
                "北干",
                "萧山区城厢街道",
                "萧山区北干街道",
                "临浦镇",
                "进化镇",
                "330109107",
                "３３０１０９００１",
                "３３０１０９００２",
            }, path.name


def test_new_targets_stay_unique_beyond_the_code_space():
    """`--scale 9` asks a town for more targets of a kind than its codes can spell (4-digit
    numbers for 其他); the generator numbers on instead of drawing forever."""
    import random

    from pipelines.sample.inspections import Targets

    ref = next(iter(reference.build(Ctx(seed=1, clean=False)).values()))
    targets = Targets(random.Random(1), ref)
    codes = [targets.new("其他")[0] for _ in range(10_500)]  # the space holds 9,999
    assert len(set(codes)) == len(codes)
    assert sum("-QT-" in c and c.count("-") == 3 for c in codes) >= 501  # numbered on

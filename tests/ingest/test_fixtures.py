"""Exact per-row outcomes for every fixture file (one file per problem)."""

import datetime as dt

import polars as pl
import pytest
from conftest import lake_rows, quarantine_rows

from pipelines.contract import load_contract
from pipelines.ingest import SOURCES
from pipelines.ingest.lake import MANIFEST_SCHEMA, QUARANTINE_SCHEMA, row_schema


def outcomes(lake, source, file):
    """{row_number: (key, 'lake', flags) | (key, 'quarantine', reason)}"""
    out = {}
    for r in lake_rows(lake, source, file).iter_rows(named=True):
        out[r["_row_number"]] = (r[load_contract().sources[source].key], "lake", r["_flags"])
    for r in quarantine_rows(lake, source, file).iter_rows(named=True):
        out[r["_row_number"]] = (r["record_key"], "quarantine", r["reason"])
    return out


def manifest(lake, source):
    return {r["source_file"]: r for r in pl.read_parquet(lake / "_files" / f"{source}.parquet").iter_rows(named=True)}


def by_key(lake, source, file):
    key = load_contract().sources[source].key
    return {r[key]: r for r in lake_rows(lake, source, file).iter_rows(named=True)}


def test_every_file_accounted(ingested):
    inbox, lake, _, reports = ingested
    for source in SOURCES:
        m = manifest(lake, source)
        files = sorted(p.relative_to(inbox).as_posix() for p in (inbox / source).rglob("*") if p.is_file())
        assert sorted(m) == files
        for f, row in m.items():
            assert row["rows_read"] == row["rows_lake"] + row["rows_quarantined"], f
            assert lake_rows(lake, source, f.split("/", 1)[1]).height == row["rows_lake"]
            q = quarantine_rows(lake, source, f.split("/", 1)[1])
            assert q.height == (1 if row["status"] == "unreadable" else row["rows_quarantined"]), f
        assert reports[source].summary().startswith(source)


def test_schemas(ingested):
    _, lake, _, _ = ingested
    for source in SOURCES:
        for p in (lake / source).glob("*.parquet"):
            assert dict(pl.read_parquet_schema(p)) == row_schema(load_contract().sources[source]), p
        for p in (lake / "_quarantine" / source).glob("*.parquet"):
            assert dict(pl.read_parquet_schema(p)) == QUARANTINE_SCHEMA, p
        assert dict(pl.read_parquet_schema(lake / "_files" / f"{source}.parquet")) == MANIFEST_SCHEMA
        assert pl.read_parquet(lake / source / "_empty.parquet").height == 0
    for name in ("townships", "grids", "matters", "grid_polygons"):
        assert (lake / "reference" / f"{name}.parquet").exists()


def test_gbk_encoded(ingested):
    _, lake, _, _ = ingested
    m = manifest(lake, "grid_events")["grid_events/gbk_encoded.csv"]
    assert m["encoding"] == "gb18030"
    assert outcomes(lake, "grid_events", "gbk_encoded.csv") == {2: ("E-GBK-1", "lake", ""), 3: ("E-GBK-2", "lake", "")}
    rows = by_key(lake, "grid_events", "gbk_encoded.csv")
    assert rows["E-GBK-1"]["description"] == "群众反映噪音扰民"
    assert rows["E-GBK-1"]["township_code"] == "330109011"  # by name
    assert rows["E-GBK-2"]["township_code"] == "330109012"  # by alias 瓜沥
    assert rows["E-GBK-2"]["is_enforcement_lead"] is True


def test_utf8_bom_fullwidth_and_null_tokens(ingested):
    _, lake, _, _ = ingested
    assert manifest(lake, "grid_events")["grid_events/utf8_bom.csv"]["encoding"] == "utf-8-sig"
    assert outcomes(lake, "grid_events", "utf8_bom.csv") == {2: ("E-BOM-1", "lake", ""), 3: ("E-BOM-2", "lake", "")}
    rows = by_key(lake, "grid_events", "utf8_bom.csv")
    r1, r2 = rows["E-BOM-1"], rows["E-BOM-2"]
    assert r1["reported_at"] == dt.datetime(2022, 6, 2, 9, 0)  # full-width digits
    assert r1["closed_at"] is None and r1["related_case_id"] is None and r1["updated_at"] is None
    assert r2["reported_at"] == dt.datetime(2022, 6, 3, 8, 5)
    assert r2["due_at"] is None and r2["closed_at"] is None and r2["is_enforcement_lead"] is True


def test_date_forms(ingested):
    _, lake, _, _ = ingested
    assert outcomes(lake, "grid_events", "date_forms.csv") == {
        2: ("E-D-1", "lake", ""),
        3: ("E-D-2", "lake", ""),
        4: ("E-D-3", "lake", ""),
        5: ("E-D-4", "lake", ""),
        6: ("E-D-5", "lake", ""),
        7: ("E-D-6", "lake", ""),
        8: ("E-D-7", "lake", ""),
        9: ("E-D-8", "quarantine", "bad_date"),  # primary counting date unparseable
        10: ("E-D-9", "quarantine", "missing_date"),  # primary counting date empty
        11: ("E-D-10", "lake", "bad_date"),  # a secondary date: NULL, flagged (v1.1)
        12: (None, "quarantine", "missing_key"),
    }
    rows = by_key(lake, "grid_events", "date_forms.csv")
    t = dt.datetime(2022, 6, 1, 8, 30)
    assert [rows[f"E-D-{i}"]["reported_at"] for i in range(1, 8)] == [
        dt.datetime(2022, 6, 1),
        t,
        t,
        t,
        t,
        dt.datetime(2022, 6, 1, 12),
        dt.datetime(2022, 6, 1),
    ]
    assert rows["E-D-10"]["due_at"] is None
    q = {r["_row_number"]: r["detail"] for r in quarantine_rows(lake, "grid_events", "date_forms.csv").iter_rows(named=True)}
    assert q == {9: "上报时间无法解析为日期：'2022-06-31 08:00'", 10: "上报时间为空", 12: "事件编号为空"}


def test_two_title_rows_xlsx(ingested):
    _, lake, _, _ = ingested
    m = manifest(lake, "grid_events")["grid_events/two_title_rows.xlsx"]
    assert (m["sheet"], m["header_row"], m["encoding"]) == ("Sheet1", 3, None)
    assert outcomes(lake, "grid_events", "two_title_rows.xlsx") == {
        4: ("E-X-1", "lake", ""),
        5: ("E-X-2", "lake", "unknown_grid"),
    }
    rows = by_key(lake, "grid_events", "two_title_rows.xlsx")
    assert rows["E-X-1"]["reported_at"] == dt.datetime(2022, 6, 1, 8, 30)  # real date cell
    assert rows["E-X-1"]["closed_at"] == dt.datetime(2022, 6, 2, 10, 0)
    assert rows["E-X-2"]["township_code"] == "330109012"  # alias 萧山区瓜沥镇
    assert rows["E-X-2"]["grid_code"] == "NO-SUCH-GRID"  # kept, flagged
    assert rows["E-X-2"]["is_enforcement_lead"] is True  # numeric cell 1
    assert rows["E-X-1"]["_sheet"] == "Sheet1"


def test_sheet_named_like_source(ingested):
    _, lake, _, _ = ingested
    m = manifest(lake, "grid_events")["grid_events/sheet_named_like_source.xlsx"]
    assert m["sheet"] == "一网统管事件"
    assert outcomes(lake, "grid_events", "sheet_named_like_source.xlsx") == {2: ("E-S-1", "lake", "")}


@pytest.mark.parametrize(
    "file, error",
    [
        ("unreadable.xlsx", "无法读取：不是有效的 xlsx 文件"),
        ("missing_required_column.csv", "表头（第 1 行）缺少必填列：处置期限"),
    ],
)
def test_unreadable_files(ingested, file, error):
    _, lake, _, _ = ingested
    m = manifest(lake, "grid_events")[f"grid_events/{file}"]
    assert m["status"] == "unreadable" and error in m["error"]
    assert (m["rows_read"], m["rows_lake"], m["rows_quarantined"]) == (0, 0, 0)
    q = quarantine_rows(lake, "grid_events", file)
    assert q.select("reason", "_row_number", "record_key").rows() == [("unreadable_file", None, None)]
    assert error in q["detail"][0]


def test_pii_in_free_text(ingested):
    _, lake, _, _ = ingested
    rows = by_key(lake, "grid_events", "pii_in_free_text.csv")
    assert rows["E-P-1"]["description"] == ("[姓名]反映：邻居身份证[身份证]，电话[电话]，座机[电话]，另据[姓名]称旧证号[身份证]")
    assert rows["E-P-2"]["description"] == "[姓名]来电，手机 [电话]"
    assert rows["E-P-1"]["reporter_pseudonym"].startswith("p_") and len(rows["E-P-1"]["reporter_pseudonym"]) == 18
    import json

    e1 = json.loads(rows["E-P-1"]["_extra"])
    assert e1["备注"] == "联系人手机[电话]" and e1["联系人"].startswith("p_")


def test_excel_serial_dates(ingested):
    _, lake, _, _ = ingested
    assert outcomes(lake, "inspections", "excel_serial_dates.xlsx") == {
        2: ("I-X-1", "lake", ""),
        3: ("I-X-2", "lake", "id_precision_lost;bad_value"),
    }
    rows = by_key(lake, "inspections", "excel_serial_dates.xlsx")
    assert rows["I-X-1"]["inspected_on"] == dt.date(2022, 6, 15)  # numeric serial cell 44727
    assert rows["I-X-1"]["rectification_due_on"] == dt.date(2022, 6, 30)  # serial as text
    assert rows["I-X-1"]["accepted_on"] == dt.date(2022, 6, 28)  # real date cell
    assert rows["I-X-1"]["hazards_found"] == 3
    assert rows["I-X-1"]["departments"] == "消防、市场监管、环保"  # inspections rule
    assert rows["I-X-2"]["accepted_on"] == dt.date(2022, 6, 28)  # serial 44740.75 (18:00)
    assert rows["I-X-2"]["hazards_found"] is None  # '两处' -> bad_value
    # target_code typed as a number in Excel beyond 2^53 -> id_precision_lost
    assert rows["I-X-2"]["target_code"].isdigit()


def test_money_forms(ingested):
    _, lake, _, _ = ingested
    rows = by_key(lake, "cases", "money_forms.csv")
    assert {k: (r["fine_yuan"], r["_flags"]) for k, r in rows.items()} == {
        "C-M-1": (500.0, ""),
        "C-M-2": (500.0, ""),
        "C-M-3": (500.0, ""),
        "C-M-4": (1200.0, ""),
        "C-M-5": (2000.0, ""),
        "C-M-6": (15000.0, ""),
        "C-M-7": (None, "bad_value"),
        "C-M-8": (None, ""),
    }
    assert rows["C-M-8"]["reconsideration_litigation"] is None  # '无' is a null token (contract §2)


def test_duplicate_versions_kept_for_dbt(ingested):
    _, lake, _, _ = ingested
    a = lake_rows(lake, "cases", "duplicate_versions_a.csv")
    b = lake_rows(lake, "cases", "duplicate_versions_b.csv")
    assert a.select("case_id", "_row_number", "fine_yuan").rows() == [("C-V-1", 2, None), ("C-V-2", 3, 500.0)]
    assert b.select("case_id", "_row_number", "fine_yuan", "updated_at").rows() == [
        ("C-V-1", 2, 800.0, dt.datetime(2022, 6, 21, 9)),
        ("C-V-1", 3, 900.0, dt.datetime(2022, 6, 22, 9)),
    ]


def test_scientific_notation_ids(ingested):
    _, lake, _, _ = ingested
    assert outcomes(lake, "cases", "scientific_notation_ids.csv") == {
        2: ("3.30109E+17", "lake", "id_precision_lost"),
        3: ("330109202206001.0", "lake", "id_precision_lost"),
        4: ("0033010920220600123", "lake", "id_precision_lost"),  # key fine; party ID lost digits
    }


def test_party_types(ingested):
    _, lake, _, _ = ingested
    rows = by_key(lake, "cases", "party_types.csv")
    unit, trader, person = rows["C-T-1"], rows["C-T-2"], rows["C-T-3"]
    assert unit["party_pseudonym"] == "杭州某某餐饮有限公司" and unit["party_id_pseudonym"] == "91330109MA2B1234XY"
    assert unit["party_phone_pseudonym"].startswith("p_")  # phones always pseudonymised
    assert trader["party_pseudonym"].startswith("p_") and trader["_flags"] == "id_checksum_failed"
    assert person["party_pseudonym"].startswith("p_") and person["_flags"] == "bad_value"  # '案审会审理'=maybe
    assert (unit["has_legal_review"], unit["has_review_board"]) == (True, False)  # √ / ×
    assert (trader["has_legal_review"], trader["has_review_board"]) == (True, False)  # true / N
    assert (person["has_legal_review"], person["has_review_board"]) == (True, None)
    # same person (padded ID in one file) -> same pseudonym as in money_forms.csv
    assert person["party_id_pseudonym"] == by_key(lake, "cases", "money_forms.csv")["C-M-1"]["party_id_pseudonym"]
    assert all(r["lead_handler_pseudonym"].startswith("p_") for r in rows.values())


def test_unknown_township(ingested):
    _, lake, _, _ = ingested
    m = manifest(lake, "notices")["notices/unknown_township.csv"]
    assert m["header_row"] == 2  # one title row
    assert outcomes(lake, "notices", "unknown_township.csv") == {
        3: ("N-T-1", "quarantine", "unknown_township"),
        4: ("N-T-2", "lake", ""),
        5: ("N-T-3", "lake", ""),
        6: ("N-T-4", "quarantine", "unknown_township"),
        7: ("N-T-5", "lake", ""),
    }
    rows = by_key(lake, "notices", "unknown_township.csv")
    assert rows["N-T-5"]["township_code"] == "330109012"  # full-width code


def test_ids_as_json_numbers(ingested):
    _, lake, _, _ = ingested
    assert outcomes(lake, "police_alarms", "ids_as_json_numbers.jsonl") == {
        1: ("3301090000000000011", "lake", ""),
        2: ("3301090000000000000", "lake", "id_precision_lost"),
        3: ("3.301090000000000e+18", "lake", "id_precision_lost"),
        4: ("123456", "lake", ""),  # a small JSON number is exact
        6: (None, "quarantine", "missing_key"),  # not JSON
        7: ("3301090000000000015", "lake", ""),
    }
    rows = by_key(lake, "police_alarms", "ids_as_json_numbers.jsonl")
    assert rows["3301090000000000000"]["reported_at"] == dt.datetime(2022, 6, 2, 10, 15)
    assert rows["123456"]["is_valid"] is False and rows["3301090000000000015"]["is_valid"] is True


def test_chinese_headers_csv(ingested):
    _, lake, _, _ = ingested
    assert outcomes(lake, "police_alarms", "chinese_headers.csv") == {
        2: ("3301090000000000021", "lake", ""),
        3: ("3301090000000000022", "lake", "grid_from_location"),
    }
    rows = by_key(lake, "police_alarms", "chinese_headers.csv")
    assert rows["3301090000000000021"]["is_valid"] is False
    assert rows["3301090000000000022"]["grid_code"] == "GL01-01"  # second part of a MultiPolygon


def test_location_only(ingested):
    _, lake, _, _ = ingested
    rows = by_key(lake, "police_alarms", "location_only.jsonl")
    assert {k[-2:]: (r["grid_code"], r["_flags"]) for k, r in rows.items()} == {
        "31": ("YQ01-01", "grid_from_location"),
        "32": (None, "unknown_grid"),  # in the hole of YQ01-02
        "33": ("YQ01-02", "grid_from_location"),
        "34": (None, "unknown_grid"),  # outside every polygon
        "35": (None, ""),  # no grid, no location
        "36": ("YQ99-99", "unknown_grid"),
    }

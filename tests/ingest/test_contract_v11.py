"""Contract v1.1 (issue 7): exact per-row outcomes of the fixture files named for each clause,
the lake lineage columns and the quarantine columns."""

import datetime as dt
import json

import polars as pl
import pytest
from conftest import lake_rows, quarantine_rows

from pipelines import pii
from pipelines.contract import load_contract
from pipelines.ingest import PARSER_VERSION, read_reference
from pipelines.ingest.lake import LINEAGE_SCHEMA, QUARANTINE_SCHEMA, file_date

KEYS = {s: spec.key for s, spec in load_contract().sources.items()}


def rows(lake, source, file, *cols):
    """Lake rows of one file as tuples (key, _row_number, *cols), in file order."""
    df = lake_rows(lake, source, file).sort("_row_number")
    return df.select(KEYS[source], "_row_number", *cols).rows()


def details(lake, source, file):
    """{key or row number: parsed _flag_details}."""
    df = lake_rows(lake, source, file).sort("_row_number")
    return {r["_row_number"]: json.loads(r["_flag_details"]) for r in df.iter_rows(named=True)}


def quarantined(lake, source, file):
    q = quarantine_rows(lake, source, file).sort("_row_number")
    return q.select("_row_number", "record_key", "column", "raw_value", "reason", "detail").rows()


# --- schemas ---------------------------------------------------------------------------


def test_lineage_and_quarantine_columns():
    assert list(LINEAGE_SCHEMA) == [
        "_source_file",
        "_sheet",
        "_row_number",
        "_flags",
        "_extra",
        "_file_name",
        "_file_date",
        "_counting_date",
        "_record_key",
        "_flag_details",
        "_mapping",
    ]
    assert (LINEAGE_SCHEMA["_file_date"], LINEAGE_SCHEMA["_counting_date"]) == (pl.Datetime("us"), pl.Date)
    assert list(QUARANTINE_SCHEMA) == [
        "source",
        "_source_file",
        "_sheet",
        "_row_number",
        "record_key",
        "column",
        "raw_value",
        "reason",
        "detail",
    ]
    assert PARSER_VERSION != "1"


def test_contract_yaml_v11_definitions():
    c = load_contract()
    assert c.sources["cases"].counting_dates == ("filed_on", "closed_on")
    assert c.sources["grid_events"].counting_dates == ("reported_at",)
    assert {s: [col.name for col in spec.columns if col.deadline] for s, spec in c.sources.items()} == {
        "grid_events": ["due_at"],
        "inspections": ["rectification_due_on"],
        "cases": [],
        "notices": [],
        "police_alarms": [],
    }
    assert [col.pinyin for col in c.sources["police_alarms"].required] == ["jjdbh", "bjsj", "sfyx", "ssjz"]
    assert c.sources["inspections"].column("target_name").pii == "name_unless_unit"
    assert [(s, col.name) for s, spec in c.sources.items() for col in spec.columns if col.type == "code"] == [
        ("cases", "matter_code"),
        ("notices", "matter_code"),
        ("notices", "document_no"),
    ]


# --- clause 1: damaged ids --------------------------------------------------------------


def test_damaged_ids_colliding(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "police_alarms", "damaged_ids_colliding.jsonl", "_flags", "_record_key") == [
        ("3.30109E+18", 1, "id_precision_lost", "3.30109E+18|2022-06-01 08:30:00"),
        ("3.30109E+18", 2, "id_precision_lost", "3.30109E+18|2022-06-02 09:00:00"),  # another alarm
        ("3.30109E+18", 3, "id_precision_lost", "3.30109E+18|2022-06-01 08:30:00"),  # version of row 1
        ("3301090000000000041", 4, "", "3301090000000000041"),
    ]
    assert details(lake, "police_alarms", "damaged_ids_colliding.jsonl")[1] == [
        {"flag": "id_precision_lost", "column": "alarm_id", "raw_value": "3.30109E+18"}
    ]


def test_ids_in_numeric_xlsx_cells(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "grid_events", "ids_in_numeric_cells.xlsx", "_flags", "_record_key", "status") == [
        ("3301090000000000000", 2, "id_precision_lost", "3301090000000000000|2022-06-01 08:30:00", "已办结"),
        ("3301090000000000000", 3, "id_precision_lost", "3301090000000000000|2022-06-02 09:00:00", "已办结"),
        ("3301090000000000000", 4, "id_precision_lost", "3301090000000000000|2022-06-01 08:30:00", "已作废"),
    ]


def test_record_key_of_dates_and_intact_ids(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "cases", "scientific_notation_ids.csv", "_record_key") == [
        ("3.30109E+17", 2, "3.30109E+17|2022-06-03"),  # date-typed counting column
        ("330109202206001.0", 3, "330109202206001.0|2022-06-03"),
        ("0033010920220600123", 4, "0033010920220600123"),  # the key is intact; the party ID is not
    ]
    # a damaged personal ID is listed masked
    assert details(lake, "cases", "scientific_notation_ids.csv")[4] == [
        {"flag": "id_precision_lost", "column": "party_id_pseudonym", "raw_value": "3.3*********17"}
    ]
    key = pl.concat([lake_rows(lake, "grid_events", f) for f in ("date_forms.csv", "gbk_encoded.csv")])
    assert (key["_record_key"] == key["event_id"]).all()


# --- clauses 2, 3: one rule for unusable dates -----------------------------------------


def test_secondary_date_unusable(ingested):
    _, lake, _, _ = ingested
    assert rows(
        lake, "cases", "secondary_date_unusable.csv", "_flags", "closed_on", "accepted_on", "police_transfer_on", "fine_yuan"
    ) == [
        ("C-SD-1", 2, "bad_date", None, dt.date(2022, 6, 2), None, 500.0),
        ("C-SD-2", 3, "bad_date", dt.date(2022, 6, 20), None, None, 500.0),
        ("C-SD-3", 4, "", dt.date(2022, 6, 20), dt.date(2022, 6, 2), None, 500.0),
    ]
    assert details(lake, "cases", "secondary_date_unusable.csv") == {
        2: [{"flag": "bad_date", "column": "closed_on", "raw_value": "2022-08-32"}],
        3: [
            {"flag": "bad_date", "column": "accepted_on", "raw_value": "2022-02-30"},
            {"flag": "bad_date", "column": "police_transfer_on", "raw_value": "明天"},
        ],
        4: [],
    }
    assert quarantined(lake, "cases", "secondary_date_unusable.csv") == []


def test_acceptance_date_unparseable(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "inspections", "acceptance_date_unparseable.csv", "_flags", "accepted_on", "rectification_due_on") == [
        ("I-AD-1", 2, "bad_date", None, dt.date(2022, 6, 30)),
        ("I-AD-2", 3, "bad_date", None, None),
        ("I-AD-3", 4, "", dt.date(2022, 6, 28), dt.date(2022, 6, 30)),
    ]
    assert details(lake, "inspections", "acceptance_date_unparseable.csv") == {
        2: [{"flag": "bad_date", "column": "accepted_on", "raw_value": "2022-08-32"}],
        3: [{"flag": "bad_date", "column": "rectification_due_on", "raw_value": "2022/9/31"}],
        4: [],
    }


def test_primary_date_unusable_is_quarantined(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "inspections", "inspection_date_unusable.csv", "_counting_date") == [("I-ID-3", 4, dt.date(2022, 6, 15))]
    assert quarantined(lake, "inspections", "inspection_date_unusable.csv") == [
        (2, "I-ID-1", "inspected_on", "2022-08-32", "bad_date", "检查日期无法解析为日期：'2022-08-32'"),
        (3, "I-ID-2", "inspected_on", None, "missing_date", "检查日期为空"),
    ]


def test_quarantine_columns_of_other_reasons(ingested):
    _, lake, _, _ = ingested
    assert quarantined(lake, "grid_events", "date_forms.csv") == [
        (9, "E-D-8", "reported_at", "2022-06-31 08:00", "bad_date", "上报时间无法解析为日期：'2022-06-31 08:00'"),
        (10, "E-D-9", "reported_at", None, "missing_date", "上报时间为空"),
        (12, None, "event_id", None, "missing_key", "事件编号为空"),
    ]
    assert quarantined(lake, "notices", "unknown_township.csv") == [
        (3, "N-T-1", "township_code", "新街镇", "unknown_township", "所属镇街'新街镇'不是镇街编码、名称或别名"),
        (6, "N-T-4", "township_code", None, "unknown_township", "所属镇街为空"),
    ]
    q = quarantine_rows(lake, "grid_events", "unreadable.xlsx")
    assert q.select("column", "raw_value", "reason").rows() == [(None, None, "unreadable_file")]


# --- clause 6: 简易程序 ----------------------------------------------------------------


def test_summary_procedure_no_filing_date(ingested):
    _, lake, _, _ = ingested
    assert rows(
        lake, "cases", "summary_procedure_no_filing_date.csv", "filed_on", "closed_on", "fine_yuan", "_counting_date", "_flags"
    ) == [("C-SP-1", 2, None, dt.date(2022, 6, 20), 200.0, dt.date(2022, 6, 20), "")]
    assert quarantined(lake, "cases", "summary_procedure_no_filing_date.csv") == [
        (3, "C-SP-2", "filed_on", None, "missing_date", "立案日期、结案日期均为空"),
        (4, "C-SP-3", "closed_on", "2022-06-31", "bad_date", "结案日期无法解析为日期：'2022-06-31'"),
        (5, "C-SP-4", "filed_on", "2022-13-01", "bad_date", "立案日期无法解析为日期：'2022-13-01'"),
    ]
    # a filed case counts on 立案日期
    assert rows(lake, "cases", "secondary_date_unusable.csv", "_counting_date")[0] == ("C-SD-1", 2, dt.date(2022, 6, 3))


# --- clause 4 and 11: file names -------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ev_20220820.csv", dt.datetime(2022, 8, 20, 23, 59, 59)),
        ("grid_events/2022/ev_20220820.xlsx", dt.datetime(2022, 8, 20, 23, 59, 59)),
        ("cases.csv", None),
        ("export_20220801_20220815.csv", dt.datetime(2022, 8, 15, 23, 59, 59)),  # the last group
        ("export_20220815_20221399.csv", dt.datetime(2022, 8, 15, 23, 59, 59)),  # the last VALID group
        ("cases_20220230.csv", None),  # no such day
        ("ev_202208201.csv", None),  # 9 digits: not a date
        ("ev_20220820093000.csv", None),  # part of a longer digit run
        ("20220820", dt.datetime(2022, 8, 20, 23, 59, 59)),
    ],
)
def test_file_date(name, expected):
    assert file_date(name) == expected


def test_mixed_updated_at_files(ingested):
    _, lake, _, _ = ingested
    a = lake_rows(lake, "grid_events", "mixed_updated_at_20220810.csv")
    b = lake_rows(lake, "grid_events", "mixed_updated_at_20220820.csv")
    assert a.select("_record_key", "status", "updated_at", "_file_name", "_file_date").rows() == [
        ("E-MU-1", "处置中", dt.datetime(2022, 8, 5, 10), "mixed_updated_at_20220810.csv", dt.datetime(2022, 8, 10, 23, 59, 59))
    ]
    assert b.select("_record_key", "status", "updated_at", "_file_name", "_file_date").rows() == [
        ("E-MU-1", "已作废", None, "mixed_updated_at_20220820.csv", dt.datetime(2022, 8, 20, 23, 59, 59))
    ]
    assert lake_rows(lake, "grid_events", "date_forms.csv")["_file_date"].null_count() == 8  # no date in name


def test_file_in_subfolder(ingested):
    _, lake, _, _ = ingested
    df = lake_rows(lake, "cases", "archive/cases_20220825.csv")
    assert df.select("case_id", "_source_file", "_file_name", "_file_date", "matter_code").rows() == [
        ("C-AR-1", "cases/archive/cases_20220825.csv", "cases_20220825.csv", dt.datetime(2022, 8, 25, 23, 59, 59), "M001")
    ]


# --- clause 9: police feeds may omit optional keys ---------------------------------------


def test_push_without_optional_keys(ingested):
    _, lake, _, _ = ingested
    m = {r["source_file"]: r for r in pl.read_parquet(lake / "_files" / "police_alarms.parquet").to_dicts()}
    assert m["police_alarms/push_without_optional_keys.jsonl"]["status"] == "loaded"
    df = lake_rows(lake, "police_alarms", "push_without_optional_keys.jsonl")
    assert df.select(
        "alarm_id",
        "reported_at",
        "is_valid",
        "township_code",
        "merge_id",
        "invalid_reason",
        "alarm_subcategory",
        "grid_code",
        "_flags",
    ).rows() == [
        ("3301090000000000051", dt.datetime(2022, 6, 3, 10), True, "330109011", None, None, None, None, ""),
        ("3301090000000000052", dt.datetime(2022, 6, 3, 11), False, "330109012", None, None, "噪音扰民", "GL01-01", ""),
    ]
    assert df["caller_pseudonym"].to_list()[0] is None and df["caller_pseudonym"][1].startswith("p_")


def test_csv_without_optional_columns(ingested):
    _, lake, _, _ = ingested
    df = lake_rows(lake, "police_alarms", "csv_without_optional_columns.csv")
    assert df.select("alarm_id", "alarm_subcategory", "merge_id", "summary", "_flags").rows() == [
        ("3301090000000000061", "非法捕捞", None, None, "")
    ]


# --- clause 10: codes ------------------------------------------------------------------


def test_fullwidth_codes(ingested):
    _, lake, _, _ = ingested
    assert rows(lake, "notices", "fullwidth_codes.csv", "matter_code", "document_no") == [
        ("N-FW-1", 2, "M002", "义首违〔2022〕2号"),
        ("N-FW-2", 3, "M002", "义首违〔2022〕3号"),
        ("N-FW-3", 4, "M002", "YQ-2022-004"),
    ]


def test_fullwidth_codes_in_reference(inbox_copy):
    m = inbox_copy / "reference" / "matters.csv"
    m.write_text(m.read_text(encoding="utf-8").replace("M002,", "Ｍ００２,"), encoding="utf-8")
    g = inbox_copy / "reference" / "grids.csv"
    g.write_text(
        g.read_text(encoding="utf-8").replace(
            "YQ01-02,义桥村第二微网格,微网格,YQ01,330109011", "ＹＱ０１－０２,义桥村第二微网格,微网格,ＹＱ０１,３３０１０９０１１"
        ),
        encoding="utf-8",
    )
    ref = read_reference(inbox_copy)
    assert sorted(set(ref.matters["matter_code"])) == ["M001", "M002"]
    assert ref.grids.filter(pl.col("grid_name") == "义桥村第二微网格").row(0)[:5] == (
        "YQ01-02",
        "义桥村第二微网格",
        "微网格",
        "YQ01",
        "330109011",
    )


# --- clause 12: rental-room landlords are personal data ----------------------------------


def test_rental_room_landlords(ingested):
    _, lake, _, _ = ingested
    r = {
        k: (name, extra) for k, _, name, extra in rows(lake, "inspections", "rental_room_landlords.csv", "target_name", "_extra")
    }
    assert r["I-RR-1"][0].startswith("p_") and len(r["I-RR-1"][0]) == 18
    assert r["I-RR-3"][0] == r["I-RR-1"][0]  # one landlord, one pseudonym
    assert r["I-RR-2"][0] == "杭州某某制造有限公司"  # an enterprise's name stays
    assert r["I-RR-4"][0].startswith("p_")  # no type: treated as personal
    assert json.loads(r["I-RR-1"][1]) == {"备注": "房东[姓名]已签安全责任书"}
    codes = rows(lake, "inspections", "rental_room_landlords.csv", "target_code")
    assert [c for _, _, c in codes] == ["YQ-义桥村-12号", "91330109MA2B000002", "YQ-义桥村-14号", "YQ-义桥村-20号"]


def test_landlord_names_collected_for_pii_search(ingested):
    from tests.pii_values import inbox_personal_values

    inbox, *_ = ingested
    values = inbox_personal_values(inbox)
    assert {"王建国", "赵铁柱", "鲁智深"} <= values
    assert "杭州某某制造有限公司" not in values and "瓜沥小吃店" not in values


def test_mask():
    assert pii.mask("330109199001011237") == "330*************37"
    assert pii.mask("孙大圣") == "孙**"
    vals = ["330109199001011237", "孙大圣", "abcdef", "abcde", "a", None]
    got = pl.DataFrame({"v": vals}).select(pii.mask_expr(pl.col("v")))["v"].to_list()
    assert got == [pii.mask(v) for v in vals]


def test_flag_details_list_every_flag(ingested):
    _, lake, _, _ = ingested
    df = lake_rows(lake, "cases", "secondary_date_unusable.csv").sort("_row_number")
    assert df["_flag_details"][0] == '[{"flag": "bad_date", "column": "closed_on", "raw_value": "2022-08-32"}]'
    assert df["_flag_details"][2] == "[]"
    for source in KEYS:
        for p in (lake / source).glob("*.parquet"):
            for r in pl.read_parquet(p).iter_rows(named=True):
                listed = json.loads(r["_flag_details"])
                assert sorted({d["flag"] for d in listed}) == sorted(filter(None, r["_flags"].split(";"))), (p, r)
                columns = {c.name for c in load_contract().sources[source].columns}
                assert all(d["column"] in columns for d in listed)

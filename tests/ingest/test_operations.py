"""Issue 9: missing folders keep the lake, bad files explained in Chinese, garbled csv lines
quarantined alone, and another system's export mapped onto a contract source without code."""

import shutil

import polars as pl
import pytest
from conftest import lake_rows, quarantine_rows

from pipelines.ingest import SOURCES, ingest_reference, ingest_source, load_mappings
from pipelines.ingest.lake import QUARANTINE_REASONS
from pipelines.pii import load_or_create_secret


def run_all(inbox, lake, secret):
    ref = ingest_reference(inbox, lake)
    return {s: ingest_source(s, inbox, lake, secret, ref) for s in SOURCES}


def manifest(lake, source):
    return {r["source_file"]: r for r in pl.read_parquet(lake / "_files" / f"{source}.parquet").iter_rows(named=True)}


def parts(lake, source):
    return sorted(p.name for p in (lake / source).glob("*.parquet"))


@pytest.fixture
def setup(inbox_copy, tmp_path):
    secret = load_or_create_secret(tmp_path)
    return inbox_copy, tmp_path / "lake", secret


# --- 1. an absent or empty folder is not an empty source --------------------------------


@pytest.mark.parametrize("how", ["missing", "empty", "only_hidden"])
def test_missing_or_empty_folder_keeps_the_previous_import(setup, how):
    inbox, lake, secret = setup
    run_all(inbox, lake, secret)
    before_parts, before = parts(lake, "police_alarms"), manifest(lake, "police_alarms")
    rows_before = pl.read_parquet(lake / "police_alarms" / "*.parquet").height
    shutil.rmtree(inbox / "police_alarms")
    if how != "missing":
        (inbox / "police_alarms").mkdir()
    if how == "only_hidden":
        (inbox / "police_alarms" / ".DS_Store").write_bytes(b"x")
    report = run_all(inbox, lake, secret)["police_alarms"]
    assert report.folder_missing and report.files_removed == []
    assert "FOLDER MISSING OR EMPTY" in report.summary()
    assert parts(lake, "police_alarms") == before_parts
    assert pl.read_parquet(lake / "police_alarms" / "*.parquet").height == rows_before > 0
    after = manifest(lake, "police_alarms")
    assert set(after) == set(before)
    assert all(r["folder_missing"] is True for r in after.values())
    assert [{k: v for k, v in r.items() if k != "folder_missing"} for r in after.values()] == [
        {k: v for k, v in r.items() if k != "folder_missing"} for r in before.values()
    ]


def test_folder_back_clears_the_mark_without_reading_again(setup):
    inbox, lake, secret = setup
    run_all(inbox, lake, secret)
    saved = inbox.parent / "saved"
    shutil.move(inbox / "notices", saved)
    run_all(inbox, lake, secret)
    shutil.move(saved, inbox / "notices")
    report = run_all(inbox, lake, secret)["notices"]
    assert not report.folder_missing and report.files_read == [] and len(report.files_unchanged) == 2
    assert all(r["folder_missing"] is False for r in manifest(lake, "notices").values())


def test_missing_folder_without_previous_data_has_no_files(setup):
    inbox, lake, secret = setup
    shutil.rmtree(inbox / "notices")
    report = run_all(inbox, lake, secret)["notices"]
    assert report.folder_missing and report.files == []
    assert manifest(lake, "notices") == {}
    assert parts(lake, "notices") == ["_empty.parquet"]


def test_one_file_withdrawn_while_others_remain_is_removed(setup):
    inbox, lake, secret = setup
    run_all(inbox, lake, secret)
    (inbox / "police_alarms" / "chinese_headers.csv").unlink()
    report = run_all(inbox, lake, secret)["police_alarms"]
    assert not report.folder_missing
    assert report.files_removed == ["police_alarms/chinese_headers.csv"]
    assert "chinese_headers.csv.parquet" not in parts(lake, "police_alarms")


# --- 2. bad files --------------------------------------------------------------------------

NOTICE_HEADER = "记录编号,日期,所属镇街,所属网格,类型,事项编码,事项名称,当事人名称,当事人证件号码,联系电话,文书编号\n"
NOTICE_ROW = "N-{0},2022-06-05,330109011,YQ01-02,首违提醒,M002,{1},周星星,330109198505122341,13700001111,文书{0}\n"


def test_header_only_file_is_listed_as_empty(setup):
    inbox, lake, secret = setup
    (inbox / "notices" / "header_only.csv").write_text("柔性执法记录导出\n" + NOTICE_HEADER, encoding="utf-8")
    run_all(inbox, lake, secret)
    m = manifest(lake, "notices")["notices/header_only.csv"]
    assert (m["status"], m["rows_read"], m["rows_lake"], m["rows_quarantined"]) == ("empty", 0, 0, 0)
    assert m["error"] == "只有表头（第 2 行），没有数据行"
    assert manifest(lake, "notices")["notices/fullwidth_codes.csv"]["status"] == "loaded"


@pytest.mark.parametrize("garbled", ['事项"未闭合', '"事项未闭合'])
def test_one_garbled_csv_line_is_quarantined_alone(setup, garbled):
    inbox, lake, secret = setup
    lines = [NOTICE_ROW.format(i, "事项") for i in range(1, 41)]
    lines[16] = NOTICE_ROW.format(17, garbled)  # physical line 18 (title-less: header is line 1)
    f = inbox / "notices" / "garbled_20220824.csv"
    f.write_text(NOTICE_HEADER + "".join(lines), encoding="utf-8")
    run_all(inbox, lake, secret)
    m = manifest(lake, "notices")["notices/garbled_20220824.csv"]
    loaded = lake_rows(lake, "notices", "garbled_20220824.csv")
    q = quarantine_rows(lake, "notices", "garbled_20220824.csv")
    assert m["status"] == "loaded" and m["rows_read"] == m["rows_lake"] + m["rows_quarantined"]
    if garbled.startswith('"'):  # an unbalanced quote: just that line is lost
        assert (m["rows_read"], m["rows_lake"]) == (40, 39)
        assert q.select("_row_number", "reason").rows() == [(18, "bad_line")]
        assert q["detail"][0].startswith("第 18 行无法解析")
        assert 18 not in loaded["_row_number"].to_list()
    else:  # a stray quote inside a field is text, as Excel reads it
        assert (m["rows_read"], m["rows_lake"], q.height) == (40, 40, 0)
        assert loaded.filter(pl.col("_row_number") == 18)["matter_name"].to_list() == [garbled]
    assert loaded.filter(pl.col("_row_number") == 41)["notice_id"].to_list() == ["N-40"]


def test_bad_line_is_a_quarantine_reason():
    assert "bad_line" in QUARANTINE_REASONS
    from pathlib import Path

    macro = (Path(__file__).resolve().parents[2] / "dbt" / "macros" / "quality.sql").read_text(encoding="utf-8")
    assert all(f"when '{r}'" in macro for r in QUARANTINE_REASONS)


def test_unreadable_files_are_explained_in_chinese(setup):
    inbox, lake, secret = setup
    (inbox / "inspections" / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    header = (inbox / "inspections" / "rental_room_landlords.csv").read_text(encoding="utf-8").splitlines()[0]
    (inbox / "inspections" / "renamed.csv").write_text(header.replace("检查日期", "检查时间") + "\n", encoding="utf-8")
    (inbox / "inspections" / "notes.docx").write_bytes(b"x")
    (inbox / "inspections" / "binary.csv").write_bytes(b"\x81\x30\xff\xfe" * 10)
    run_all(inbox, lake, secret)
    m = manifest(lake, "inspections")
    assert m["inspections/broken.xlsx"]["error"].startswith("无法读取：不是有效的 xlsx 文件")
    assert m["inspections/renamed.csv"]["error"] == "表头（第 1 行）缺少必填列：检查日期（是否为“检查时间”？）"
    assert m["inspections/notes.docx"]["error"].startswith("不支持的文件类型 .docx")
    assert "第 1 行既不是 UTF-8 也不是 GBK/GB18030 文本" in m["inspections/binary.csv"]["error"]
    assert {m[f]["status"] for f in ("inspections/broken.xlsx", "inspections/renamed.csv")} == {"unreadable"}


# --- 3. another system's export, mapped without code ---------------------------------------

XIAOXIAO_MAPPING = """\
# 萧消119 消防安全检查导出 -> 检查任务
source: inspections
files: "inspections/萧消119_*.csv"
columns: {任务编号: 检查编号, 检查时间: 检查日期, 所属街道: 所属镇街, 单位类型: 检查对象类型, 单位名称: 检查对象名称,
          单位编码: 检查对象编码, 隐患数量: 发现隐患数, 整改情况: 整改状态, 复查日期: 验收日期}
values:
  检查对象类型: {单位: 企业, 九小场所: 沿街商铺}
  整改状态: {已完成: 已整改, 无隐患: 无需整改}
constants: {检查方式: 单部门检查, 参与部门: 消防, 专项行动: , 处置结果: }
"""
XIAOXIAO_CSV = """\
任务编号,检查时间,所属街道,所属网格,单位类型,单位名称,单位编码,隐患数量,整改期限,整改情况,复查日期
XX-1,2022-06-01,瓜沥镇,GL01-01,单位,杭州某某制造有限公司,91330109MA2B000002,1,2022-06-30,已完成,2022-06-20
XX-2,2022-06-02,瓜沥镇,GL01-01,九小场所,某某小吃店,91330109MA2B000003,0,,无隐患,
"""


def _mapped_inbox(inbox, mapping=XIAOXIAO_MAPPING):
    (inbox / "_mappings").mkdir(exist_ok=True)
    (inbox / "_mappings" / "xiaoxiao119.yaml").write_text(mapping, encoding="utf-8")
    (inbox / "inspections" / "萧消119_20220824.csv").write_text(XIAOXIAO_CSV, encoding="utf-8")


def test_mapped_export_loads_with_lineage(setup):
    inbox, lake, secret = setup
    _mapped_inbox(inbox)
    run_all(inbox, lake, secret)
    m = manifest(lake, "inspections")["inspections/萧消119_20220824.csv"]
    assert (m["status"], m["rows_lake"], m["mapping"]) == ("loaded", 2, "xiaoxiao119.yaml")
    rows = lake_rows(lake, "inspections", "萧消119_20220824.csv").sort("inspection_id")
    assert rows.select(
        "inspection_id",
        "target_type",
        "inspection_method",
        "departments",
        "campaign",
        "rectification_status",
        "hazards_found",
        "_mapping",
    ).rows() == [
        ("XX-1", "企业", "单部门检查", "消防", None, "已整改", 1, "xiaoxiao119.yaml"),
        ("XX-2", "沿街商铺", "单部门检查", "消防", None, "无需整改", 0, "xiaoxiao119.yaml"),
    ]
    assert rows["township_code"].to_list() == ["330109012", "330109012"]
    other = lake_rows(lake, "inspections", "rental_room_landlords.csv")
    assert other["_mapping"].null_count() == other.height
    assert manifest(lake, "inspections")["inspections/rental_room_landlords.csv"]["mapping"] is None


def test_changing_a_mapping_rereads_only_its_files(setup):
    inbox, lake, secret = setup
    _mapped_inbox(inbox)
    run_all(inbox, lake, secret)
    _mapped_inbox(inbox, XIAOXIAO_MAPPING.replace("参与部门: 消防", "参与部门: 消防救援"))
    report = run_all(inbox, lake, secret)["inspections"]
    assert report.files_read == ["inspections/萧消119_20220824.csv"]
    rows = lake_rows(lake, "inspections", "萧消119_20220824.csv")
    assert set(rows["departments"]) == {"消防救援"}


@pytest.mark.parametrize(
    "change, error",
    [
        (("source: inspections", "source: inspection"), "source「inspection」不是合同中的来源"),
        (("单位名称: 检查对象名称", "单位名称: 检查对象"), "columns中的「检查对象」不是检查任务（inspections）的列"),
        (("constants: {检查方式", "constants: {检查形式"), "constants中的「检查形式」不是检查任务（inspections）的列"),
        (("values:", "value:\n  x: {}\nvalues:"), "未知的键「value」"),
    ],
)
def test_an_invalid_mapping_makes_its_files_unreadable(setup, change, error):
    inbox, lake, secret = setup
    _mapped_inbox(inbox, XIAOXIAO_MAPPING.replace(*change))
    run_all(inbox, lake, secret)
    m = manifest(lake, "inspections")["inspections/萧消119_20220824.csv"]
    assert m["status"] == "unreadable"
    assert m["error"].startswith("映射文件 _mappings/xiaoxiao119.yaml：") and error in m["error"]
    assert manifest(lake, "inspections")["inspections/rental_room_landlords.csv"]["status"] == "loaded"
    assert [mp.error for mp in load_mappings(inbox)] == [m["error"]]


def test_without_its_mapping_the_export_is_unreadable_with_a_hint(setup):
    inbox, lake, secret = setup
    _mapped_inbox(inbox)
    shutil.rmtree(inbox / "_mappings")
    run_all(inbox, lake, secret)
    m = manifest(lake, "inspections")["inspections/萧消119_20220824.csv"]
    assert m["status"] == "unreadable" and "检查日期（是否为“检查时间”？）" in m["error"]


def test_two_mappings_for_one_file(setup):
    inbox, lake, secret = setup
    _mapped_inbox(inbox)
    (inbox / "_mappings" / "copy.yml").write_text(XIAOXIAO_MAPPING, encoding="utf-8")
    run_all(inbox, lake, secret)
    m = manifest(lake, "inspections")["inspections/萧消119_20220824.csv"]
    assert m["status"] == "unreadable" and "有多个映射文件匹配此文件（copy.yml、xiaoxiao119.yaml）" in m["error"]

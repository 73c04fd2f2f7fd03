"""The publishing gate's checks (pipelines/quality.py) over a small synthetic warehouse:
each passes on good data and fails (block) or warns on the bad data it exists to catch.
The checks over the CSV downloads need every site mart: tests/test_quality_gate.py runs
them on a copy of the demo warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.quality import FAIL, PASS, WARN, gate_config, run_gate

AS_OF = dt.date(2022, 8, 31)  # a Wednesday: the last complete week is 08-22 … 08-28
TOWNS = {"330109118": "义桥镇", "330109121": "瓜沥镇"}
FAST_CHECKS = ["gx_sources_complete", "gx_sources_fresh", "gx_weekly_volumes", "gx_marts_match_records"]


# the warehouse fixture: ten weeks of days, the two townships
DAYS = f"(select cast(d as date) as d from range(date '2022-06-20', date '{AS_OF}' + 1, interval 1 day) t(d))"
TOWN_CODES = "(select * from (values ('330109118'), ('330109121')) t(township_code))"
# current versions of each source's records (staging)
EVENTS_SQL = f"""create table staging.stg_grid_events__events as
    select township_code || '-' || d || '-' || i as event_id, d as counting_date, township_code,
           case when i = 0 then '已作废' else '已办结' end as status, i % 3 = 0 as is_enforcement_lead,
           true as is_current_version
    from {DAYS}, {TOWN_CODES}, range(10) r(i)"""
INSPECTIONS_SQL = f"""create table staging.stg_inspections__inspections as
    select township_code || '-' || d || '-' || i as inspection_id, d as counting_date, township_code,
           cast(i % 2 as bigint) as hazards_found, null::varchar as campaign, true as is_current_version
    from {DAYS}, {TOWN_CODES}, range(5) r(i)
    union all  -- a campaign: 400 inspections a day in 瓜沥镇 until 08-14, then over
    select 'c-' || d || '-' || i, d, '330109121', 1, '除险保安', true
    from {DAYS}, range(400) r(i) where d <= date '2022-08-14'"""
CASES_SQL = f"""create table staging.stg_cases__cases as
    select township_code || '-' || d || '-' || i as case_id, d as counting_date, d as filed_on, township_code,
           case when i = 0 and day(d) % 5 = 0 then '撤销立案' else '罚款' end as outcome,
           true as is_current_version
    from {DAYS}, {TOWN_CODES}, range(4) r(i)"""
NOTICES_SQL = f"""create table staging.stg_notices__notices as
    select township_code || '-' || d || '-' || i as notice_id, d as counting_date, township_code,
           case when i < 3 then '首违提醒' else '以服代罚' end as notice_type, true as is_current_version
    from {DAYS}, {TOWN_CODES}, range(4) r(i)
    where township_code = '330109118' or day(d) % 10 = 0  -- 瓜沥镇: a handful a week (small base)
    """
ALARMS_SQL = f"""create table staging.stg_police_alarms__alarms as
    select township_code || '-' || d || '-' || i as alarm_id, d as counting_date, township_code,
           case when i < 2 then township_code || '-' || d || '-m' end as merge_id, true as is_current_version
    from {DAYS}, {TOWN_CODES}, range(6) r(i)"""
# the facts counted from them
FACTS_SQL = """create table fct_township_daily as
    with facts as (
        select township_code, counting_date as date, 'events_reported' as indicator, count(*) as value
        from staging.stg_grid_events__events where status <> '已作废' group by all
        union all select township_code, counting_date, 'enforcement_leads', count(*)
        from staging.stg_grid_events__events where status <> '已作废' and is_enforcement_lead group by all
        union all select township_code, counting_date, 'inspections', count(*)
        from staging.stg_inspections__inspections group by all
        union all select township_code, counting_date, 'hazards_found', sum(hazards_found)
        from staging.stg_inspections__inspections group by all
        union all select township_code, filed_on, 'cases_filed', count(*)
        from staging.stg_cases__cases where outcome <> '撤销立案' group by all
        union all select township_code, counting_date, 'first_violation_notices', count(*)
        from staging.stg_notices__notices where notice_type = '首违提醒' group by all
        union all select township_code, counting_date, 'service_in_lieu', count(*)
        from staging.stg_notices__notices where notice_type = '以服代罚' group by all
        union all select township_code, first_on, 'alarms_received', count(*) from (
            select coalesce(merge_id, alarm_id) as incident, min(township_code) as township_code,
                   min(counting_date) as first_on from staging.stg_police_alarms__alarms group by 1)
        group by all)
    select township_code, '' as township_name, date, indicator, 'all' as breakdown, cast(value as double) as value
    from facts where value <> 0"""
TOWNSHIPS_SQL = (
    "create table dim_townships as select * from (values "
    + ", ".join(f"('{c}', '{n}')" for c, n in TOWNS.items())
    + ") t(township_code, township_name)"
)
# every source fresh and complete
SOURCE_STATUS_SQL = f"""create table mart_source_status as
    select source, 'ok' as status, 3 as files, 0 as files_unreadable, date '{AS_OF}' as newest_record_date,
           date '{AS_OF}' as as_of_date, 0 as lag_days
    from (values ('grid_events'), ('inspections'), ('cases'), ('notices'), ('police_alarms')) t(source)"""


@pytest.fixture
def warehouse(tmp_path):
    """Ten weeks of records per source and township (current versions in `staging`), the
    facts counted from them, and every source fresh and complete."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema staging")
        for sql in (EVENTS_SQL, INSPECTIONS_SQL, CASES_SQL, NOTICES_SQL, ALARMS_SQL, FACTS_SQL, TOWNSHIPS_SQL, SOURCE_STATUS_SQL):
            con.execute(sql)
    return path


def gate(path, *names):
    return {c.name: c for c in run_gate(path, only=list(names) or FAST_CHECKS)}


def failing(check):
    return [i for i in check.items if not i["success"]]


def sql(path, *statements):
    with duckdb.connect(str(path)) as con:
        for s in statements:
            con.execute(s)


def test_good_data_passes_every_check(warehouse):
    results = gate(warehouse)
    for name, check in results.items():
        assert check.status == PASS, check.describe()
        assert check.items, name
    # the campaign that ended on 08-14 is no "drop": inspections are judged without campaigns
    volumes = results["gx_weekly_volumes"]
    assert any("检查任务 · 瓜沥镇（不含专项行动）" in i["subject"] for i in volumes.items)
    # a source with a handful of records a week is not judged (small base), and says so
    assert any("柔性执法记录 · 瓜沥镇" in n and "小基数" in n for n in volumes.notes)
    assert not any("柔性执法记录 · 瓜沥镇" in i["subject"] for i in volumes.items)


def test_half_a_week_of_events_is_a_warning_not_a_block(warehouse):
    sql(
        warehouse,
        "delete from staging.stg_grid_events__events where township_code = '330109118' "
        "and counting_date between date '2022-08-22' and date '2022-08-28' and right(event_id, 1) in ('1', '2', '3', '4', '5', '6')",
    )
    check = gate(warehouse, "gx_weekly_volumes")["gx_weekly_volumes"]
    assert check.status == WARN, check.describe()
    [bad] = failing(check)
    assert bad["subject"] == "一网统管事件 · 义桥镇" and bad["severity"] == "warning"
    assert bad["type"] == "expect_column_sum_to_be_between"


def test_a_surge_is_a_warning_too(warehouse):
    sql(
        warehouse,
        """insert into staging.stg_police_alarms__alarms
        select 'dup-' || i, date '2022-08-24', '330109121', null, true from range(300) r(i)""",
    )
    check = gate(warehouse, "gx_weekly_volumes")["gx_weekly_volumes"]
    assert check.status == WARN
    assert [i["subject"] for i in failing(check)] == ["公安警情 · 瓜沥镇"]


def test_altered_mart_total_blocks(warehouse):
    sql(
        warehouse,
        "update fct_township_daily set value = value + 3 "
        "where indicator = 'cases_filed' and township_code = '330109121' and date = date '2022-08-01'",
    )
    check = gate(warehouse, "gx_marts_match_records")["gx_marts_match_records"]
    assert check.status == FAIL and check.blocks
    [bad] = failing(check)
    assert bad["type"] == "expect_column_pair_values_to_be_equal" and bad["severity"] == "critical"
    assert "330109121" in bad["observed"]


def test_a_missing_source_warns_and_an_absent_one_blocks(warehouse):
    sql(warehouse, "update mart_source_status set status = 'missing' where source = 'notices'")
    check = gate(warehouse, "gx_sources_complete")["gx_sources_complete"]
    assert check.status == WARN
    assert [i["subject"] for i in failing(check)] == ["柔性执法记录"]
    sql(warehouse, "delete from mart_source_status where source = 'cases'")
    check = gate(warehouse, "gx_sources_complete")["gx_sources_complete"]
    assert check.status == FAIL
    assert any(i["type"] == "expect_column_distinct_values_to_equal_set" and "cases" in i["observed"] for i in failing(check))


def test_a_stale_source_warns_with_its_cadence_from_the_contract(warehouse):
    sql(warehouse, "update mart_source_status set lag_days = 5 where source in ('police_alarms', 'inspections')")
    check = gate(warehouse, "gx_sources_fresh")["gx_sources_fresh"]
    assert check.status == WARN
    [bad] = failing(check)  # police alarms: every 3 days; inspections may lag 7
    assert bad["subject"] == "公安警情" and bad["observed"] == "5" and bad["expected"] == "≤ 3"


def test_missing_table_fails_cleanly(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    results = run_gate(path, only=FAST_CHECKS)
    assert {c.status for c in results} == {FAIL}
    assert all("检查无法运行" in c.items[0]["observed"] for c in results)


def test_gate_config_names_every_check_with_an_asset():
    checks = gate_config()["checks"]
    assert set(checks) == {
        "gx_sources_complete",
        "gx_sources_fresh",
        "gx_weekly_volumes",
        "gx_marts_match_records",
        "gx_published_totals",
        "gx_campaigns_agree",
    }
    assert all(c["asset"] and c["title"] and c["what"] for c in checks.values())

"""One full materialize over the small fixture inbox of tests/ingest (broken files included):
the run publishes, broken files are reported rather than fatal, and the dbt unit tests that
prove the counting rules ran and passed."""

from __future__ import annotations

import json

import duckdb
import pytest

pytestmark = pytest.mark.slow


def test_run_publishes_and_names_unreadable_files(tiny_run):
    assert (tiny_run.site / "index.html").is_file()
    assert "UNREADABLE: grid_events/missing_required_column.csv, grid_events/unreadable.xlsx" in tiny_run.output


def test_broken_rows_and_files_are_quarantined_with_reasons(tiny_run):
    with duckdb.connect(str(tiny_run.warehouse), read_only=True) as con:
        reasons = dict(con.execute("select reason_or_flag, count(*) from mart_quarantine group by 1").fetchall())
        unreadable = con.execute(
            "select file, rows_read from mart_ingest_report where status = 'unreadable' order by 1"
        ).fetchall()
        gaps = con.execute(
            "select count(*) from mart_ingest_report where rows_read <> rows_loaded + rows_quarantined + rows_superseded"
        ).fetchone()[0]
    assert reasons.get("unreadable_file") == 2
    assert reasons.get("unknown_township", 0) >= 1
    assert unreadable == [("grid_events/missing_required_column.csv", 0), ("grid_events/unreadable.xlsx", 0)]
    assert gaps == 0


def test_dbt_unit_tests_of_the_counting_rules_ran_and_passed(tiny_run):
    results = json.loads((tiny_run.workdir / "dbt-target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    unit = {r["unique_id"].split(".")[-1]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert set(unit.values()) == {"pass"}
    for name in (
        "one_visit_weekly_share",
        "inspections_daily_indicators",
        "alarms_incidents_merge_repeat_calls",
        "alarms_daily_indicators",
        "grid_colors_scoring_ties_and_grey",
        "cases_withdrawn_filings_do_not_count",
        # contract v1.1 counting rules
        "versioning_record_key_effective_time_file_name_row",
        "secondary_dates_future_closing_date",
        "grid_colors_too_few_grids_and_all_zero",
        "grid_colors_weekly_history_starts_with_data",
        "comparisons_prior_data_per_source_with_a_week_grace",
    ):
        assert name in unit

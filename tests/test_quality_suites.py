"""The GX suites themselves, over a small DuckDB file: they pass on good rows and name the
expectation and the offending values on bad ones."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.quality import suite_names, validate_suite


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table dim_townships as select '330109118' as township_code, '义桥镇' as township_name")
        con.execute("""create table fct_township_daily as select * from (values
            ('330109118', '义桥镇', date '2022-06-01', 'one_visit_inspections', 'all', 12.0),
            ('330109118', '义桥镇', date '2022-06-01', 'valid_alarms', '非法捕捞', 1.0))
            t(township_code, township_name, date, indicator, breakdown, value)""")
    return path


def test_every_site_mart_has_a_suite():
    assert {"fct_township_daily", "mart_campaigns", "mart_grid_colors", "mart_ingest_report",
            "mart_indicator_comparisons"} <= set(suite_names())


def test_good_rows_pass(warehouse):
    result = validate_suite(warehouse, "fct_township_daily")
    assert result.success, result.describe()
    assert result.rows == 2


@pytest.mark.parametrize("corruption, expectation", [
    ("update fct_township_daily set value = -3 where indicator = 'valid_alarms'", "expect_column_values_to_be_between"),
    ("insert into fct_township_daily select * from fct_township_daily", "expect_compound_columns_to_be_unique"),
    ("update fct_township_daily set indicator = 'made_up'", "expect_column_values_to_be_in_set"),
    ("update fct_township_daily set township_code = '999'", "is_known_township"),
])
def test_bad_rows_fail_with_the_expectation_named(warehouse, corruption, expectation):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(corruption)
    result = validate_suite(warehouse, "fct_township_daily")
    assert not result.success
    assert expectation in result.describe()


def test_missing_mart_fails_cleanly(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    result = validate_suite(path, "mart_campaigns")
    assert not result.success and "cannot read mart" in result.describe()

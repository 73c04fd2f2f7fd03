"""The gate's and the site's read-only DuckDB connections (dashboards/mart_reader.py)."""

from __future__ import annotations

import duckdb

from dashboards.mart_reader import MEMORY_LIMIT_ENV, Warehouse


def _warehouse(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.big as select range as id, md5(range::varchar) as text from range(2000000)")
    return path


def test_memory_is_capped_like_dbts_and_a_large_sort_spills_instead_of_failing(tmp_path, monkeypatch):
    path = _warehouse(tmp_path / "warehouse.duckdb")
    with Warehouse(path) as wh:
        assert wh.con.execute("select current_setting('memory_limit')").fetchall()[0][0] == "953.6 MiB"  # 1GB
        assert wh.con.execute("select current_setting('enable_progress_bar')").fetchall()[0][0] is False
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "64MB")
    with Warehouse(path) as wh:
        assert wh.con.execute("select current_setting('memory_limit')").fetchall()[0][0] == "61.0 MiB"
        # ~100 MB of rows sorted whole under a 64 MB cap: read-only, it still spills to
        # <warehouse>.tmp/ (with temp_directory '' the same query is out of memory)
        ranked = f"select id, text, row_number() over (order by text) as n from {wh.table('big')} order by text"
        assert wh.con.sql(f"select count(*) from ({ranked})").fetchall() == [(2_000_000,)]

"""No name, ID number or phone number of the demo inbox is in the warehouse file, the lake
or any file of the published site (contract §5)."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from tests.pii_values import inbox_personal_values

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


@pytest.fixture(scope="module")
def personal_values(demo_run) -> set[str]:
    values = inbox_personal_values(demo_run.inbox)
    assert len(values) > 1000  # names, IDs and phones of thousands of parties, reporters, callers
    return values


def _find(values: set[str], text: str) -> set[str]:
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    return {m.group(0) for m in pattern.finditer(text)}


def _warehouse_text(warehouse) -> str:
    """Every text value of every table and view, decompressed by DuckDB itself."""
    chunks = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in cols:
            chunks += [r[0] for r in con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null').fetchall()]
    return "\n".join(chunks)


def test_warehouse_holds_no_personal_value(demo_run, personal_values):
    raw = demo_run.warehouse.read_bytes().decode("utf-8", errors="ignore")
    assert _find(personal_values, raw) == set()
    assert _find(personal_values, _warehouse_text(demo_run.warehouse)) == set()


def test_lake_holds_no_personal_value(demo_run, personal_values):
    for path in sorted(demo_run.lake.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        text = "\n".join(str(v) for c in frame.columns for v in frame[c].cast(pl.String).drop_nulls().unique().to_list())
        found = _find(personal_values, text) | _find(personal_values, path.read_bytes().decode("utf-8", errors="ignore"))
        assert found == set(), (path, sorted(found)[:10])


def test_site_holds_no_personal_value(demo_run, personal_values):
    files = [p for p in demo_run.site.resolve().rglob("*") if p.is_file() and p.name != "plotly.min.js"]
    assert any(p.suffix == ".csv" for p in files)
    for path in files:
        found = _find(personal_values, path.read_bytes().decode("utf-8", errors="ignore"))
        assert found == set(), (path, sorted(found)[:10])


def test_pseudonym_key_is_outside_the_site_and_private(demo_run):
    key = demo_run.workdir / ".secret" / "pseudonym.key"
    assert key.is_file() and (key.stat().st_mode & 0o077) == 0
    site_bytes = b"".join(p.read_bytes() for p in demo_run.site.resolve().rglob("*") if p.is_file())
    assert key.read_bytes() not in site_bytes

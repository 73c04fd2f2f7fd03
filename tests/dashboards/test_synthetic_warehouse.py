"""The synthetic warehouse of conftest.py has every model the site reads (the dbt exposure
``report_site``) with the columns dbt gives it, so the fast site tests run over the real
shapes: the names against the yml docs of the models (fast), the names and types against
the warehouse the demo pipeline builds (slow)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from dashboards.mart_reader import site_models
from pipelines.settings import DBT_DIR


def columns(warehouse: Path, with_types: bool = True) -> dict[str, list]:
    """model → its columns in order, as (name, type) or name, for the models the site reads."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_name in (select unnest(?)) "
            "order by table_name, ordinal_position",
            [list(site_models())],
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list] = {}
    for table, col, typ in rows:
        out.setdefault(table, []).append((col, typ) if with_types else col)
    return out


def documented_columns() -> dict[str, list[str]]:
    """model → the columns its dbt yml documents, in order."""
    out = {}
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            out[model["name"]] = [c["name"] for c in model.get("columns") or []]
    return out


def test_synthetic_warehouse_has_every_model_the_site_reads(synthetic_warehouse: Path):
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    try:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()
    assert tables == set(site_models())


def test_synthetic_columns_are_the_documented_ones(synthetic_warehouse: Path):
    docs = documented_columns()
    got = columns(synthetic_warehouse, with_types=False)
    for model in site_models():
        assert got[model] == docs[model], model


@pytest.mark.slow
def test_synthetic_columns_and_types_equal_the_demo_warehouse(synthetic_warehouse: Path, demo_run):
    real = columns(demo_run.warehouse)
    synthetic = columns(synthetic_warehouse)
    assert sorted(real) == sorted(site_models())
    for model in site_models():
        assert synthetic[model] == real[model], model

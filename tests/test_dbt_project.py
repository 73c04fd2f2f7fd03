"""The dbt project on the demo warehouse: the contract §9 figures computed by the marts
themselves (a dbt singular test), and `dbt docs generate` with every mart documented."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import DBT_DIR

pytestmark = pytest.mark.slow

DBT = str(Path(sys.executable).parent / "dbt")


def dbt(args: list[str], workdir: Path, lake: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ZHIFA_LAKE": str(lake),
        "ZHIFA_WAREHOUSE": str(workdir / "warehouse.duckdb"),
        "ZHIFA_RUN_AS_OF": "2022-08-31",  # the demo's as-of (stg_lake__as_of)
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=DBT_DIR,
    )


@pytest.fixture
def warehouse_copy(demo_run, tmp_path) -> Path:
    shutil.copy2(demo_run.warehouse, tmp_path / "warehouse.duckdb")
    return tmp_path


def test_contract_figures_computed_by_the_marts(demo_run, warehouse_copy):
    proc = dbt(
        ["test", "--select", "tag:demo_figures", "--vars", json.dumps({"check_demo_figures": True})],
        warehouse_copy,
        demo_run.lake,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "PASS=1" in proc.stdout, proc.stdout[-2000:]


def test_docs_generate_and_every_mart_column_described(demo_run, warehouse_copy):
    proc = dbt(["docs", "generate"], warehouse_copy, demo_run.lake)
    assert proc.returncode == 0, proc.stdout[-4000:]
    manifest = json.loads((warehouse_copy / "target" / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((warehouse_copy / "target" / "catalog.json").read_text(encoding="utf-8"))
    missing = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or "marts" not in node["fqn"]:
            continue
        if not node["description"].strip():
            missing.append(node["name"])
        built = catalog["nodes"][uid]["columns"]
        for column in built:
            doc = node["columns"].get(column.lower()) or node["columns"].get(column)
            if not doc or not doc["description"].strip():
                missing.append(f"{node['name']}.{column}")
    assert missing == []


def test_dbt_run_by_hand_on_a_built_warehouse_stops_until_full_refresh(demo_run, warehouse_copy):
    """The versions models are incremental: on a warehouse `zhifa run` did not prepare for an
    increment (no list of changed files) they say so instead of guessing; --full-refresh builds."""
    select = ["--select", "stg_cases__case_versions"]
    proc = dbt(["run", *select], warehouse_copy, demo_run.lake)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "was not prepared by `zhifa run` for an incremental build" in proc.stdout, proc.stdout[-2000:]
    proc = dbt(["run", *select, "--full-refresh"], warehouse_copy, demo_run.lake)
    assert proc.returncode == 0, proc.stdout[-2000:]

"""The benchmark (`python -m bench`, bench/): its answers and its measuring, never its timings.

Fast: the floor's SQL value parsers agree with the pipeline's (pipelines/ingest/parsing.py)
on every spelling of contract §2; the process-tree memory counts a grandchild; the identity
check finds a changed row. Slow: `python -m bench --scale demo` end to end — the floor's and
the pandas clerk's township_daily equal the pipeline's published one, and the table of
ratios is printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from bench.__main__ import compare, measure
from pipelines.ingest import parsing as P

REPO = Path(__file__).resolve().parent.parent

DATES = [
    "2022-06-01",
    "2022-06-01 08:30",
    "2022-06-01 08:30:15",
    "2022/6/1",
    "2022/6/1 8:30",
    "2022年6月1日",
    "2022年6月1日 8时30分",
    "2022年6月1日8时30分15秒",
    "20220601",
    "20220601083000",
    "202206010830",
    "44713",
    "44713.5",
    "2022-07-32",
    "2202-08-15",
    "2022-02-29",
    "2022-06-01T08:30:00",
    "2022.6.1",
    "2022-06-01 24:00:00",
    "12345",
    "1.5",
    "abc",
    "2022-6-1 8:30:00.250",
]
MONEY = ["500", "500.00", "500元", "¥1,200", "￥1,200", "0.2万元", "3万", "1,20", "-5", "RMB 100", "abc", ".5"]
INTS = ["3", "3.0", "3.5", "+2", "1,000", "x"]


def test_floor_value_parsers_agree_with_the_pipeline():
    con = duckdb.connect()
    sql = (REPO / "bench" / "floor.sql").read_text(encoding="utf-8")
    con.execute(sql[: sql.index("-- ── reference:")])
    con.execute("create table date_texts as select unnest(?::varchar[]) as v", [DATES])
    start = sql.index("create or replace table dates as")
    con.execute(sql[start : sql.index(";\n", start)])
    got = dict(con.execute("select v, ts from dates").fetchall())
    for v in DATES:
        assert got[v] == P.parse_datetime(v), v
    for v in MONEY:
        (m,) = con.execute("select parse_money(ca(?))", [v]).fetchone()
        assert m == P.parse_money(v), v
    for v in INTS:
        (i,) = con.execute("select parse_int(ca(?))", [v]).fetchone()
        assert i == P.parse_int(v), v
    (code,) = con.execute("select nid(?)", ["\u3000Ｍ００２ "]).fetchone()
    assert code == P.normalise_id("Ｍ００２") == "M002"
    for v, num in [("3.30109E+18", False), ("3301091180001234567", True), ("123", True), ("3301091180001234567", False)]:
        (lost,) = con.execute("select id_lost(?, ?)", [v, num]).fetchone()
        assert lost == P.id_precision_lost(v, num), v


def test_peak_memory_counts_the_grandchild(tmp_path):
    child = textwrap.dedent("""
        import subprocess, sys
        subprocess.run([sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
                        "import time; time.sleep(1.0)"], check=True)
    """)
    res = measure("grandchild", [sys.executable, "-c", child], tmp_path / "log.txt")
    assert res["exit_code"] == 0
    assert res["peak_rss_mb"] >= 300
    assert res["max_single_rss_mb"] >= 300  # wait4's ru_maxrss includes waited-for descendants


def test_identity_check_finds_every_kind_of_difference(tmp_path):
    head = "township_code,township_name,date,indicator,breakdown,value\n"
    (tmp_path / "a.csv").write_text(
        head + "1,甲,2022-08-31,inspections,all,3\n1,甲,2022-08-31,hazards_found,all,2\n", encoding="utf-8"
    )
    (tmp_path / "b.csv").write_text(
        head + "1,甲,2022-08-31,inspections,all,3.0\n1,甲,2022-08-30,hazards_found,all,2\n", encoding="utf-8"
    )
    same = compare(tmp_path / "a.csv", tmp_path / "a.csv")
    assert same["identical"]
    diff = compare(tmp_path / "a.csv", tmp_path / "b.csv")
    assert not diff["identical"] and diff["only_in_pipeline"] == 1 and diff["only_in_other"] == 1


@pytest.mark.slow
def test_bench_demo_answers_are_identical_and_ratios_are_printed(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "demo", "--out", str(out)], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"floor", "pandas", "floor +1 day"} <= set(report["identity"])
    assert all(c["identical"] for c in report["identity"].values()), report["identity"]
    assert "× floor time" in proc.stdout and "pipeline cold" in proc.stdout and "IDENTICAL" in proc.stdout
    stages = {s["stage"] for s in report["stages"]}
    assert {"pipeline cold", "floor (duckdb)", "pandas (clerk)", "pipeline unchanged", "pipeline +1 day"} <= stages

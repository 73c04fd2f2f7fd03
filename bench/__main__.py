"""`python -m bench [--scale S]`: speed and memory of the pipeline's stages, as ratios.

| measured                         | floor (same data, same run)                       |
|----------------------------------|---------------------------------------------------|
| ingest of the demo inbox (cold)  | polars/calamine reading the same files as text    |
| dbt build (all models + tests)   | DuckDB copying the lake parquet into tables       |
| zhifa run, unchanged inbox       | zhifa run, cold                                   |

Each step runs in its own subprocess so peak RSS (ru_maxrss) is the step's own.
Results: printed, and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    t = time.perf_counter()
    exec(compile(sys.argv[1], "<bench>", "exec"))
    print(json.dumps({"seconds": time.perf_counter() - t,
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

FLOOR_READ = """
from pathlib import Path
import polars as pl, fastexcel
for f in sorted(Path(INBOX).glob("*/*")):
    if f.parent.name == "reference":
        continue
    if f.suffix == ".xlsx":
        for name in fastexcel.read_excel(f).sheet_names[:1]:
            fastexcel.read_excel(f).load_sheet_by_name(name, header_row=None, dtypes="string").to_polars()
    elif f.suffix == ".jsonl":
        pl.read_ndjson(f, infer_schema_length=None)
    elif f.suffix == ".csv":
        raw = f.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raw = raw.decode("gb18030").encode("utf-8")
        pl.read_csv(raw, has_header=False, infer_schema=False, truncate_ragged_lines=True)
"""

INGEST = """
from pathlib import Path
from pipelines.ingest import SOURCES, ingest_reference, ingest_source
from pipelines.pii import load_or_create_secret
ref = ingest_reference(Path(INBOX), Path(WORK) / "lake")
secret = load_or_create_secret(Path(WORK))
for s in SOURCES:
    ingest_source(s, Path(INBOX), Path(WORK) / "lake", secret, ref)
"""

FLOOR_COPY = """
import duckdb
from pathlib import Path
con = duckdb.connect(str(Path(WORK) / "floor.duckdb"))
for src in ("grid_events", "inspections", "cases", "notices", "police_alarms"):
    con.execute(f"create or replace table {src} as select * from read_parquet('{WORK}/lake/{src}/*.parquet', union_by_name=true)")
con.close()
"""

DBT_BUILD = """
import os, json
from pathlib import Path
os.environ["ZHIFA_LAKE"] = str(Path(WORK) / "lake")
os.environ["ZHIFA_WAREHOUSE"] = str(Path(WORK) / "warehouse.duckdb")
from pipelines.asof import latest_counting_date
from dbt.cli.main import dbtRunner
as_of = latest_counting_date(Path(WORK) / "lake").isoformat()
res = dbtRunner().invoke(["build", "--quiet", "--project-dir", "dbt", "--profiles-dir", "dbt",
                          "--target-path", str(Path(WORK) / "dbt-target"), "--vars", json.dumps({"as_of": as_of})])
assert res.success, res.exception
"""

ZHIFA_RUN = """
from pipelines.cli import main
assert main(["run", "--inbox", INBOX, "--workdir", WORK + "/full"]) == 0
"""


def measure(code: str, inbox: Path, work: Path) -> dict:
    prelude = f"INBOX = {str(inbox)!r}\nWORK = {str(work)!r}\n"
    proc = subprocess.run([sys.executable, "-c", MEASURE, prelude + code], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", type=float, default=1.0, help="sample size relative to the demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhifa-bench-") as tmp:
        tmp = Path(tmp)
        inbox, work = tmp / "inbox", tmp / "work"
        from pipelines.sample import generate_inbox

        generate_inbox(inbox, scale=args.scale)
        rows = {
            "ingest (cold) / raw read": (measure(INGEST, inbox, work), measure(FLOOR_READ, inbox, work)),
            "dbt build / duckdb copy of the lake": (measure(DBT_BUILD, inbox, work), measure(FLOOR_COPY, inbox, work)),
        }
        cold = measure(ZHIFA_RUN, inbox, work)
        warm = measure(ZHIFA_RUN, inbox, work)
        rows["zhifa run unchanged / cold"] = (warm, cold)

    report = {}
    print(f"{'measure / floor':40} {'time ratio':>10} {'rss ratio':>10}   (measured s, floor s)")
    for name, (m, f) in rows.items():
        report[name] = {"measured": m, "floor": f,
                        "time_ratio": m["seconds"] / f["seconds"], "rss_ratio": m["max_rss_mb"] / f["max_rss_mb"]}
        print(f"{name:40} {report[name]['time_ratio']:10.2f} {report[name]['rss_ratio']:10.2f}"
              f"   ({m['seconds']:.1f} s, {f['seconds']:.1f} s)")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

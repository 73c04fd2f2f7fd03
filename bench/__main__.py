"""`python -m bench --scale demo|district [--inbox PATH] [--out FILE]` (`make bench`).

One command, one process, every stage a fresh subprocess (so its wall time and peak memory
are its own):

| stage            | what runs                                                              |
|------------------|------------------------------------------------------------------------|
| sample           | `zhifa sample` writes the inbox (skipped with --inbox: reused, read-only) |
| pipeline cold    | `zhifa run --inbox … --workdir <empty>` (Dagster, ingest, dbt, GX, site) |
| pages            | bench/pages.py: each page's own KB and render time in headless Chromium |
| floor (duckdb)   | bench/floor.py + floor.sql: the inbox to township_daily in plain DuckDB |
| pandas (clerk)   | bench/clerk.py: the same table as a data clerk would write it in pandas |
| pipeline unchanged | `zhifa run` again, same workdir, same as-of, nothing changed          |
| pipeline +1 day  | one small export per source dated as-of + 1 added, `--as-of` + 1 day    |
| floor +1 day     | the floor over the +1 inbox (checked against the pipeline again)        |

Answers are checked, never assumed: the floor's and the clerk's township_daily must equal the
pipeline's published `site/data/township_daily.csv` row for row (printed: rows only on one
side, rows with another value). Memory is the peak RSS of the whole process tree (dbt runs
as a grandchild of `zhifa run`), sampled from /proc every 0.1 s and summed over the tree;
`ru_maxrss` from wait4 (the largest single process) is recorded beside it.
Results: printed, and written as JSON to bench/results/<scale>-<timestamp>.json or --out.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.profile import profile

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
ZHIFA = [PY, "-m", "pipelines.cli"]
PAGE = os.sysconf("SC_PAGE_SIZE")
SCALES = {
    "demo": [],  # the default sample: 2 towns, seed 20220824
    "district": ["--towns", "22", "--scale", "1"],  # as /tmp/district/inbox was made
}
KEY = ("township_code", "township_name", "date", "indicator", "breakdown")


# --- measuring one subprocess ----------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree_rss(pid: int) -> int:
    """Resident bytes of pid and all its descendants, now."""
    kids = _children()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(kids.get(p, ()))
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def measure(
    name: str, cmd: list[str], log: Path, ok_codes: tuple[int, ...] = (0,), env: dict | None = None, cwd: Path = REPO
) -> dict:
    """Run cmd; wall seconds, peak tree RSS (sampled) and ru_maxrss (wait4) in MB, exit code."""
    print(f"[bench] {name}: {' '.join(str(c) for c in cmd)}", flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    load_start = round(os.getloadavg()[0], 1)
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in cmd], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        peak = [0, 0.0]  # bytes, seconds after the start (which step: compare with the run log)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss = tree_rss(proc.pid)
                if rss > peak[0]:
                    peak[:] = [rss, time.perf_counter() - t0]
                done.wait(0.1)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    res = {
        "stage": name,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
        "peak_rss_at_s": round(peak[1], 1),
        "max_single_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
        "exit_code": proc.returncode,
        "loadavg_1min_at_start": load_start,
        "log": str(log),
    }
    print(
        f"[bench]   {res['wall_s']:.1f} s, peak tree RSS {res['peak_rss_mb']:.0f} MB at {res['peak_rss_at_s']:.0f} s, "
        f"exit {proc.returncode}",
        flush=True,
    )
    if proc.returncode not in ok_codes:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"bench: stage {name!r} failed (exit {proc.returncode}); log {log}:\n{tail}")
    return res


# --- comparing answers -------------------------------------------------------------------


def read_daily(path: Path) -> dict[tuple, float]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {tuple(r[k] for k in KEY): float(r["value"]) for r in csv.DictReader(f)}


def compare(reference: Path, other: Path) -> dict:
    """Row-for-row identity of two township_daily files (values equal to 1e-6)."""
    a, b = read_daily(reference), read_daily(other)
    only_ref, only_other = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    differ = sorted(k for k in set(a) & set(b) if abs(a[k] - b[k]) > 1e-6 * max(1.0, abs(a[k])))
    return {
        "rows_reference": len(a),
        "rows_other": len(b),
        "only_in_pipeline": len(only_ref),
        "only_in_other": len(only_other),
        "value_differs": len(differ),
        "identical": not (only_ref or only_other or differ),
        "examples": [["pipeline only", *k, a[k]] for k in only_ref[:5]]
        + [["other only", *k, b[k]] for k in only_other[:5]]
        + [["differs", *k, a[k], b[k]] for k in differ[:5]],
    }


# --- one more day of exports -------------------------------------------------------------

PLUS1_SQL = {
    # source: (current table, primary date column(s) replaced, extra replacements)
    "grid_events": ("ev_cur", "reported_at", "上报时间"),
    "inspections": ("insp_cur", "inspected_on", "检查日期"),
    "cases": ("cs_cur", None, None),
    "notices": ("nt_cur", "notice_date", "日期"),
    "police_alarms": ("al_cur", "reported_at", "报警时间"),
}


def write_plus_one(floor_db: Path, inbox: Path, day: dt.date) -> dict[str, int]:
    """One small export per source dated `day` (= as-of + 1): the records counted on the as-of
    date, with new ids (prefix B1), their counting date moved to `day`, 更新时间 `day` 12:00;
    written as UTF-8 csv with the contract's headers (a new file; nothing else changes)."""
    import duckdb
    import yaml

    contract = yaml.safe_load((REPO / "pipelines" / "contract.yaml").read_text(encoding="utf-8"))
    con = duckdb.connect(str(floor_db), read_only=True)
    (as_of,) = con.execute("select as_of_date from as_of").fetchone()
    written = {}
    for source, (cur, _, _) in PLUS1_SQL.items():
        cols = contract["sources"][source]["columns"]
        key = contract["sources"][source]["key"]
        primary = {
            "grid_events": "reported_at",
            "inspections": "inspected_on",
            "notices": "notice_date",
            "police_alarms": "reported_at",
            "cases": "counting_date",
        }[source]
        rows = con.execute(
            f"""
            select r.* from {cur} c join raw_{source} r using (_source_file, _row)
            where cast(c.{primary} as date) = ? order by c.record_key""",
            [as_of],
        ).fetchall()
        names = [d[0] for d in con.description]
        out = []
        for row in rows:
            rec = dict(zip(names, row))
            rec[key] = "B1" + "".join(str(rec[key]).split())
            if source == "cases":
                target = "filed_on" if (rec["filed_on"] or "").strip() else "closed_on"
                rec[target] = day.isoformat()
            elif source in ("grid_events", "police_alarms"):
                rec["reported_at"] = f"{day.isoformat()} 09:00:00"
            else:
                rec[primary] = day.isoformat()
            if source == "police_alarms" and rec.get("merge_id"):
                rec["merge_id"] = "B1" + str(rec["merge_id"]).strip()
            if "updated_at" in rec and source != "police_alarms":
                rec["updated_at"] = f"{day.isoformat()} 12:00:00"
            out.append([rec.get(c["name"]) for c in cols])
        path = inbox / source / f"bench_plus1_{source}_{day:%Y%m%d}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow([c["zh"] for c in cols])
            w.writerows(out)
        written[path.relative_to(inbox).as_posix()] = len(out)
    con.close()
    return written


# --- the run -----------------------------------------------------------------------------


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
        info["loadavg_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def link_inbox(src: Path, dst: Path) -> None:
    """A copy of the inbox made of symlinks (files) and real folders: new exports can be added
    without touching the original."""
    for d, _, files in os.walk(src):
        rel = Path(d).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for f in files:
            os.symlink(Path(d, f).resolve(), dst / rel / f)


def print_table(stages: list[dict], floor: dict) -> str:
    lines = [f"{'stage':28} {'wall s':>8} {'peak RSS MB':>12} {'× floor time':>13} {'× floor RSS':>12}"]
    for s in stages:
        lines.append(
            f"{s['stage']:28} {s['wall_s']:8.1f} {s['peak_rss_mb']:12.0f} "
            f"{s['wall_s'] / floor['wall_s']:13.2f} {s['peak_rss_mb'] / max(floor['peak_rss_mb'], 1):12.2f}"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="demo")
    ap.add_argument("--inbox", type=Path, default=None, help="reuse this inbox (not modified) instead of generating one")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default bench/results/<scale>-<time>.json)")
    ap.add_argument("--keep", type=Path, default=None, help="work in this (empty) folder and keep it")
    ap.add_argument(
        "--code",
        type=Path,
        default=REPO,
        help="run zhifa from this copy of the project (e.g. `git archive HEAD` unpacked) instead of this tree",
    )
    ap.add_argument("--skip-plus-one", action="store_true", help="stop after the unchanged re-run")
    ap.add_argument("--skip-pandas", action="store_true", help="no pandas clerk stage (slow at district scale)")
    ap.add_argument("--skip-pages", action="store_true", help="no page weight / render-time stage (needs chromium)")
    return ap


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    code = a.code.resolve()
    out = a.out or REPO / "bench" / "results" / f"{a.scale}-{stamp}.json"
    tmp = None
    if a.keep:
        root = a.keep.resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="zhifa-bench-")
        root = Path(tmp.name)
    report: dict = {"scale": a.scale, "started": stamp, "code": str(code), "machine": machine(), "stages": [], "identity": {}}
    try:
        floor = _run_stages(a, code, root, report)
    finally:
        report["machine"]["loadavg_end"] = os.getloadavg()
        if tmp is not None:
            tmp.cleanup()
    _print_report(a.scale, report, floor)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"results: {out}")
    return 0 if all(c["identical"] for c in report["identity"].values()) else 1


def _zhifa_run(stage: str, code: Path, inbox: Path, work: Path, log: Path, as_of: dt.date | None = None) -> dict:
    """`zhifa run` from the code under test (exit 3, a gate warning, counts as done)."""
    extra = ["--as-of", as_of.isoformat()] if as_of else []
    return measure(stage, [*ZHIFA, "run", "--inbox", inbox, "--workdir", work, *extra], log, ok_codes=(0, 3), cwd=code)


def _last_run(work: Path) -> dict:
    return json.loads((work / "runs.jsonl").read_text().splitlines()[-1])


def _run_stages(a: argparse.Namespace, code: Path, root: Path, report: dict) -> dict:
    """Every stage in turn, into `report`; returns the floor's stage (the table's yardstick)."""
    inbox, work, logs = root / "inbox", root / "work", root / "logs"
    stages = report["stages"]
    _get_inbox(a, inbox, logs, report)
    cold = _zhifa_run("pipeline cold", code, inbox, work, logs / "run-cold.log")
    cold["profile"] = profile(work)
    as_of = dt.date.fromisoformat(_last_run(work)["as_of"])
    site_daily = work / "site" / "data" / "township_daily.csv"
    shutil.copy(site_daily, root / "pipeline.csv")
    if not a.skip_pages:  # issue 10's page budgets: own weight and render time per page
        measure("pages", [PY, "-m", "bench.pages", work / "site", "--json", root / "pages.json"], logs / "pages.log")
        report["pages"] = json.loads((root / "pages.json").read_text(encoding="utf-8"))
    floor = measure(
        "floor (duckdb)",
        [PY, "-m", "bench.floor", "--inbox", inbox, "--out", root / "floor.csv", "--database", root / "floor.duckdb"],
        logs / "floor.log",
    )
    clerk = None
    if not a.skip_pandas:
        clerk_cmd = [PY, "-m", "bench.clerk", "--inbox", inbox, "--out", root / "pandas.csv"]
        clerk = measure("pandas (clerk)", clerk_cmd, logs / "pandas.log")
    unchanged = _zhifa_run("pipeline unchanged", code, inbox, work, logs / "run-unchanged.log", as_of)
    last = _last_run(work)
    # a skipped quiet night writes no run log: the newest log is still the cold run's
    unchanged["profile"] = {"skipped": True} if last.get("outcome") == "unchanged" else profile(work)
    unchanged["outcome"] = last.get("outcome")
    stages += [st for st in (cold, floor, clerk, unchanged) if st is not None]
    report["as_of"] = as_of.isoformat()
    report["identity"]["floor"] = compare(root / "pipeline.csv", root / "floor.csv")
    if clerk is not None:
        report["identity"]["pandas"] = compare(root / "pipeline.csv", root / "pandas.csv")
    report["identity"]["pipeline unchanged"] = compare(root / "pipeline.csv", site_daily)
    if not a.skip_plus_one:
        _plus_one_day(code, root, as_of + dt.timedelta(days=1), report)
    return floor


def _get_inbox(a: argparse.Namespace, inbox: Path, logs: Path, report: dict) -> None:
    """Link the given inbox or generate one (a stage); record its size."""
    if a.inbox:
        link_inbox(a.inbox.resolve(), inbox)
        report["inbox"] = str(a.inbox.resolve())
    else:
        report["stages"].append(measure("sample", [*ZHIFA, "sample", "--out", inbox, *SCALES[a.scale]], logs / "sample.log"))
        report["inbox"] = f"zhifa sample {' '.join(SCALES[a.scale])}".strip()
    report["inbox_files"] = sum(1 for p in inbox.rglob("*") if p.is_file())
    report["inbox_mb"] = round(sum(p.stat().st_size for p in inbox.rglob("*") if p.is_file()) / 2**20, 1)


def _plus_one_day(code: Path, root: Path, day: dt.date, report: dict) -> None:
    """One small export per source dated `day`, the pipeline and the floor again, compared."""
    inbox, work, logs, stages = root / "inbox", root / "work", root / "logs", report["stages"]
    report["plus_one"] = {"as_of": day.isoformat(), "files": write_plus_one(root / "floor.duckdb", inbox, day)}
    stages.append(_zhifa_run("pipeline +1 day", code, inbox, work, logs / "run-plus1.log", day))
    stages[-1]["profile"] = profile(work)
    shutil.copy(work / "site" / "data" / "township_daily.csv", root / "pipeline-plus1.csv")
    stages.append(
        measure(
            "floor +1 day",
            [PY, "-m", "bench.floor", "--inbox", inbox, "--out", root / "floor-plus1.csv", "--as-of", day.isoformat()],
            logs / "floor-plus1.log",
        )
    )
    report["identity"]["floor +1 day"] = compare(root / "pipeline-plus1.csv", root / "floor-plus1.csv")
    changed = compare(root / "pipeline.csv", root / "pipeline-plus1.csv")
    report["plus_one"]["township_daily_rows_changed"] = {
        k: changed[k] for k in ("only_in_pipeline", "only_in_other", "value_differs")
    }


def _print_report(scale: str, report: dict, floor: dict) -> None:
    print()
    print(
        f"zhifa bench --scale {scale}: inbox {report['inbox']} ({report['inbox_files']} files, "
        f"{report['inbox_mb']} MB), as-of {report['as_of']}; {report['machine'].get('nproc')} CPUs, "
        f"load {report['machine']['loadavg_start'][0]:.1f} at start"
    )
    report["table"] = print_table(report["stages"], floor)
    print()
    print("identity with the pipeline's published site/data/township_daily.csv:")
    for name, c in report["identity"].items():
        verdict = "IDENTICAL" if c["identical"] else "DIFFERENT"
        print(
            f"  {name:20} {verdict}: {c['rows_reference']} pipeline rows, {c['rows_other']} rows; "
            f"{c['only_in_pipeline']} only in pipeline, {c['only_in_other']} only in {name}, "
            f"{c['value_differs']} with another value"
        )
        for ex in c["examples"]:
            print("     ", ex)
    if report.get("pages"):
        from bench.pages import table

        print()
        print(table(report["pages"]))
    if "plus_one" in report:
        ch = report["plus_one"]["township_daily_rows_changed"]
        print(
            f"+1 day ({report['plus_one']['as_of']}): {sum(report['plus_one']['files'].values())} new records in "
            f"{len(report['plus_one']['files'])} files; township_daily: {ch['only_in_other']} rows added, "
            f"{ch['only_in_pipeline']} removed, {ch['value_differs']} changed"
        )
    _print_profiles(report["stages"])


def _print_profiles(stages: list[dict]) -> None:
    """Where each pipeline run spent its time (its run log's steps)."""
    for s in stages:
        if s.get("profile", {}).get("steps"):
            steps = s["profile"]["steps"]
            rest = s["wall_s"] - sum(sec for _, sec in steps)
            print(
                f"profile of {s['stage']}: "
                + ", ".join(f"{n} {sec:.0f} s" for n, sec in steps)
                + f", outside the steps (start-up, gate, swap) {rest:.0f} s"
            )


if __name__ == "__main__":
    sys.exit(main())

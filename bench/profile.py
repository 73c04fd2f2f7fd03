"""Where a `zhifa run` spent its time: `python -m bench.profile WORKDIR`.

Reads the newest run log (WORKDIR/logs/nightly-*.log: one Dagster line per step event, all
steps in one process, so a step lasts from the previous step's last line to its own last
line) and dbt's WORKDIR/dbt-target/run_results.json (time per model and test; dbt runs 2
threads, so these add up to more than the wall time of `dbt build`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) [+-]\d{4} - dagster - \w+ - [\w-]+ - [0-9a-f-]+ - ([\w-]+) - ")


def steps(log: Path) -> list[tuple[str, float]]:
    """(step, seconds) in order; the first step is timed from the run's first log line."""
    last: dict[str, dt.datetime] = {}
    order: list[str] = []
    first = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        t = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        first = first or t
        step = m.group(2)
        if step not in last:
            order.append(step)
        last[step] = t
    out, prev = [], first
    for step in sorted(order, key=lambda s: last[s]):
        out.append((step, (last[step] - prev).total_seconds()))
        prev = last[step]
    return out


def dbt_nodes(workdir: Path) -> dict:
    path = workdir / "dbt-target" / "run_results.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    by_type: dict[str, float] = {}
    nodes = []
    for r in data["results"]:
        kind = r["unique_id"].split(".")[0]
        by_type[kind] = by_type.get(kind, 0.0) + r["execution_time"]
        parts = r["unique_id"].split(".")
        nodes.append((r["execution_time"], f"{kind} " + (parts[-1] if kind == "model" else ".".join(parts[2:])[:90])))
    nodes.sort(reverse=True)
    return {
        "elapsed_s": round(data.get("elapsed_time", 0.0), 1),
        "seconds_by_type": {k: round(v, 1) for k, v in sorted(by_type.items())},
        "slowest": [[n, round(t, 2)] for t, n in nodes[:8]],
    }


def profile(workdir: Path) -> dict:
    logs = sorted((workdir / "logs").glob("nightly-*.log"))
    return {
        "log": str(logs[-1]) if logs else None,
        "steps": [[s, sec] for s, sec in steps(logs[-1])] if logs else [],
        "dbt": dbt_nodes(workdir),
    }


def main() -> None:
    print(json.dumps(profile(Path(sys.argv[1])), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

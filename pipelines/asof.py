"""The run's as-of date: given, or the latest counting date in the lake not after today.

"Not after today" keeps a typo such as 2032-06-01 (quarantined later as future_date) from
becoming the as-of date of the whole run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.settings import Settings, load_contract


def latest_counting_date(lake: Path, today: dt.date | None = None) -> dt.date | None:
    today = today or dt.date.today()
    contract = load_contract()
    parts = []
    for source, spec in contract["sources"].items():
        if not any((lake / source).glob("*.parquet")):
            continue
        glob = str(lake / source / "*.parquet").replace("'", "''")
        col = spec["counting_date"]
        parts.append(
            f"select max(cast({col} as date)) as d from read_parquet('{glob}', union_by_name=true)"
            f" where cast({col} as date) <= date '{today.isoformat()}'"
        )
    if not parts:
        return None
    with duckdb.connect() as con:
        (latest,) = con.execute(f"select max(d) from ({' union all '.join(parts)})").fetchone()
    return latest


def resolve_as_of(settings: Settings) -> dt.date:
    if settings.as_of:
        return settings.as_of
    latest = latest_counting_date(settings.lake)
    if latest is None:
        raise RuntimeError(f"no dated rows in the lake {settings.lake}: is the inbox {settings.inbox} empty?")
    return latest


def warehouse_as_of(warehouse: Path) -> dt.date:
    """The as-of date the warehouse was built for (dbt bakes it into stg_lake__as_of), so the
    published site always describes the warehouse it was built from."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from staging.stg_lake__as_of").fetchone()
    return as_of

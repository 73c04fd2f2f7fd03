"""The run's as-of date: given, or the latest counting date in the lake not after today.

"Not after today" keeps a typo such as 2032-06-01 (quarantined later as future_date) from
becoming the as-of date of the whole run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.contract import load_contract
from pipelines.settings import Settings


class AsOfOutOfRange(ValueError):
    """An --as-of date outside the data: before its first record, or after its newest."""

    PREFIX = "as-of out of range: "


def counting_date_span(lake: Path, today: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(earliest, latest) primary counting date (lake column `_counting_date`) not after today."""
    today = today or dt.date.today()
    parts = []
    for source in load_contract().sources:
        if not any((lake / source).glob("*.parquet")):
            continue
        glob = str(lake / source / "*.parquet").replace("'", "''")
        parts.append(
            f"select min(_counting_date) as lo, max(_counting_date) as hi from read_parquet('{glob}', union_by_name=true)"
            f" where _counting_date <= date '{today.isoformat()}'"
        )
    if not parts:
        return None, None
    with duckdb.connect() as con:
        lo, hi = con.execute(f"select min(lo), max(hi) from ({' union all '.join(parts)})").fetchone()
    return lo, hi


def latest_counting_date(lake: Path, today: dt.date | None = None) -> dt.date | None:
    return counting_date_span(lake, today)[1]


def resolve_as_of(settings: Settings) -> dt.date:
    """The given --as-of (checked against the data), else the latest counting date not after today."""
    first, latest = counting_date_span(settings.lake)
    if latest is None:
        raise RuntimeError(f"no dated rows in the lake {settings.lake}: is the inbox {settings.inbox} empty?")
    if not settings.as_of:
        return latest
    if settings.as_of < first:
        raise AsOfOutOfRange(
            f"{AsOfOutOfRange.PREFIX}--as-of {settings.as_of} is before the first record ({first}); there is nothing to report"
        )
    if settings.as_of > latest and not settings.as_of_beyond_data:
        raise AsOfOutOfRange(
            f"{AsOfOutOfRange.PREFIX}--as-of {settings.as_of} is after the newest record "
            f"({latest}); every recent figure would read 0. Pass --as-of-beyond-data to "
            "publish it anyway"
        )
    return settings.as_of


def warehouse_as_of(warehouse: Path) -> dt.date:
    """The as-of date the warehouse was built for (dbt bakes it into stg_lake__as_of), so the
    published site always describes the warehouse it was built from."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from staging.stg_lake__as_of").fetchone()
    return as_of

"""Read-only access to the DuckDB warehouse that dbt builds.

The site only reads marts (docs/ARCHITECTURE.md §2): the models of the dbt exposure
`report_site` (`site_models()`), all of which dbt always builds; `build_site` checks them
all up front (`Warehouse.require`) instead of a page guessing what a warehouse has. dbt may
put them in `main` or in a custom schema, so tables are found by name in any schema of the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipelines.settings import DBT_DIR

EXPOSURES = DBT_DIR / "models" / "exposures.yml"
SITE_EXPOSURE = "report_site"  # the dbt exposure that lists every model the site reads


class MissingMart(LookupError):
    """A mart the site requires is not in the warehouse."""


def site_models(exposures: Path = EXPOSURES, name: str = SITE_EXPOSURE) -> tuple[str, ...]:
    """The models the site reads, sorted: the ``depends_on`` refs of the dbt exposure
    ``report_site`` (dbt/models/exposures.yml), the one list of them."""
    doc = yaml.safe_load(Path(exposures).read_text(encoding="utf-8"))
    found = [e for e in doc.get("exposures") or [] if e["name"] == name]
    if not found:
        raise LookupError(f"dbt exposure {name!r} not found in {exposures}")
    refs = [re.fullmatch(r"ref\('([A-Za-z0-9_]+)'\)", d) for d in found[0]["depends_on"]]
    if not all(refs):
        raise ValueError(f"exposure {name!r}: every depends_on must be ref('<model>')")
    return tuple(sorted(m.group(1) for m in refs if m))


MEMORY_LIMIT_ENV, MEMORY_LIMIT = "ZHIFA_DUCKDB_MEMORY_LIMIT", "1GB"  # the same default as dbt/profiles.yml


class Warehouse:
    def __init__(self, path: Path, memory_limit: str | None = None):
        self.path = Path(path)
        # One DuckDB file has one writer (the dbt run); the site only ever reads. No progress
        # bars: in the gate's and the site's child processes DuckDB drew them into the run's log.
        # DuckDB's memory is capped like dbt's (dbt/profiles.yml; 80 % of RAM by default): a
        # large sort spills to <warehouse>.tmp/ rather than growing the gate's or the site's child.
        # (`memory_limit`: a smaller cap for the gate while the site is built beside it)
        limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV, MEMORY_LIMIT)
        self.con = duckdb.connect(str(self.path), read_only=True, config={"memory_limit": limit})
        self.con.execute("set enable_progress_bar = false")  # a session option, not a global one
        rows = self.con.execute(
            """
            select table_name, table_schema
            from information_schema.tables
            where table_catalog = current_database()
            order by case when table_schema = 'main' then 0 else 1 end, table_schema
            """
        ).fetchall()
        self._tables: dict[str, str] = {}
        for name, schema in rows:
            self._tables.setdefault(name.lower(), f'"{schema}"."{name}"')

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, table: str) -> bool:
        return table.lower() in self._tables

    def require(self, names: tuple[str, ...] | list[str]) -> None:
        """Raise MissingMart naming every model of ``names`` the warehouse lacks."""
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise MissingMart(
                f"warehouse {self.path} lacks models the site reads (dbt exposure {SITE_EXPOSURE}): {', '.join(missing)}"
            )

    def table(self, name: str) -> str:
        """The qualified name of a mart, for interpolation into SQL."""
        try:
            return self._tables[name.lower()]
        except KeyError:
            raise MissingMart(f"warehouse {self.path} has no table {name!r}") from None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def tuples(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql, params or [])
        return [d[0] for d in cur.description], cur.fetchall()

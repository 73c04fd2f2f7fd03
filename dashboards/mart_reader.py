"""Read-only access to the DuckDB warehouse that dbt builds.

The site only reads marts (docs/ARCHITECTURE.md §2). dbt may put them in `main` or in a
custom schema, so tables are found by name in any schema of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


class MissingMart(LookupError):
    """A mart the site requires is not in the warehouse."""


class Warehouse:
    def __init__(self, path: Path):
        self.path = Path(path)
        # One DuckDB file has one writer (the dbt run); the site only ever reads.
        self.con = duckdb.connect(str(self.path), read_only=True)
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

    def table(self, name: str) -> str:
        """The qualified name of a mart, for interpolation into SQL."""
        try:
            return self._tables[name.lower()]
        except KeyError:
            raise MissingMart(f"warehouse {self.path} has no table {name!r}") from None

    def columns(self, name: str) -> list[str]:
        return [d[0] for d in self.con.execute(f"select * from {self.table(name)} limit 0").description]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def tuples(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql, params or [])
        return [d[0] for d in cur.description], cur.fetchall()

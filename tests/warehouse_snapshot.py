"""Read every mart of a warehouse into plain rows, to compare two warehouses."""

from __future__ import annotations

import duckdb


def mart_tables(warehouse) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' and table_type = 'BASE TABLE'"
                " order by 1"
            ).fetchall()
        ]
        return {name: con.execute(f'select * from "{name}" order by all').fetchall() for name in names}

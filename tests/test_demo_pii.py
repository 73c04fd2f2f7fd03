"""No name, ID number or phone number of the demo inbox is in the warehouse file, the lake
or any file of the published site (contract §5)."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from tests.pii_values import inbox_personal_values

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def personal_values(demo_run) -> set[str]:
    values = inbox_personal_values(demo_run.inbox)
    assert len(values) > 1000  # names, IDs and phones of thousands of parties, reporters, callers
    return values


def _trie_pattern(values: set[str]) -> re.Pattern:
    """One regex shaped like a trie of the values: a plain alternation of thousands of
    names tries every name at every position and takes minutes over the warehouse text."""
    trie: dict = {}
    for value in values:
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return re.compile(build(trie))


_PATTERNS: dict[int, re.Pattern] = {}
DIGITS = re.compile(r"\d{11,18}[Xx]?|0\d{2,3}-\d{7,8}")
PSEUDONYM = re.compile(r"p_[0-9a-f]{16}")


def _find(values: set[str], text: str) -> set[str]:
    pattern = _PATTERNS.setdefault(id(values), _trie_pattern(values))
    return {m.group(0) for m in pattern.finditer(text) if m.group(0) in values}


def _leaks(values: set[str], strings: list[str]) -> set[str]:
    """Values equal to a personal value, or free text containing one.

    Two-character names (江水, 方超) are searched as whole values only: inside free text they
    are ordinary words (自来水, 钱江水果店) far more often than names.
    """
    found = {s for s in strings if s in values}
    free = "\n".join(s for s in strings if len(s) > 4 and not PSEUDONYM.fullmatch(s))
    found |= {m for m in DIGITS.findall(free) if m in values}
    return found | _find(_long(values), free)


_LONG: dict[int, set[str]] = {}


def _long(values: set[str]) -> set[str]:
    return _LONG.setdefault(id(values), {v for v in values if len(v) >= 3})


def _warehouse_strings(warehouse) -> list[str]:
    """Every distinct text value of every table, decompressed by DuckDB itself (views only
    re-read the lake, which is searched on its own)."""
    strings: set[str] = set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = con.execute(
            "select c.table_schema, c.table_name, c.column_name from information_schema.columns c"
            " join information_schema.tables t using (table_schema, table_name)"
            " where c.data_type = 'VARCHAR' and t.table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table, column in cols:
            strings.update(
                r[0]
                for r in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
            )
    return sorted(strings)


def _raw_digits(path) -> set[str]:
    return set(DIGITS.findall(path.read_bytes().decode("latin-1")))


def test_warehouse_holds_no_personal_value(demo_run, personal_values):
    assert _raw_digits(demo_run.warehouse) & personal_values == set()
    assert _leaks(personal_values, _warehouse_strings(demo_run.warehouse)) == set()


def test_lake_holds_no_personal_value(demo_run, personal_values):
    strings: set[str] = set()
    for path in sorted(demo_run.lake.rglob("*.parquet")):
        assert _raw_digits(path) & personal_values == set(), path
        frame = pl.read_parquet(path)
        for column in frame.columns:
            strings.update(frame[column].cast(pl.String).drop_nulls().unique().to_list())
    assert _leaks(personal_values, sorted(strings)) == set()


def test_site_holds_no_personal_value(demo_run, personal_values):
    files = [p for p in demo_run.site.resolve().rglob("*") if p.is_file() and p.name != "plotly.min.js"]
    assert any(p.suffix == ".csv" for p in files)
    for path in files:
        found = _find(_long(personal_values), path.read_text(encoding="utf-8", errors="ignore"))
        assert found == set(), (path, sorted(found)[:10])


def test_pseudonym_key_is_outside_the_site_and_private(demo_run):
    key = demo_run.workdir / ".secret" / "pseudonym.key"
    assert key.is_file() and (key.stat().st_mode & 0o077) == 0
    site_bytes = b"".join(p.read_bytes() for p in demo_run.site.resolve().rglob("*") if p.is_file())
    assert key.read_bytes() not in site_bytes

"""The source definitions of contract.yaml as typed objects (the single place headers live)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pipelines.settings import CONTRACT_PATH

# Lake column type per contract type (ARCHITECTURE.md §1).
LAKE_TYPES = {
    "id": "str", "code": "str", "text": "str", "township": "str", "grid": "str",
    "timestamp": "datetime", "date": "date", "int": "int", "money": "float",
    "bool": "bool", "float": "float",
}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str
    required: bool
    pii: str | None = None
    pinyin: str | None = None
    # A due date (处置期限, 整改期限): dbt allows it up to as_of + 366 days, not as_of + 1.
    deadline: bool = False

    @property
    def header_names(self) -> tuple[str, ...]:
        """Every header spelling that maps to this column (Chinese, pinyin key, English name)."""
        return tuple(n for n in (self.zh, self.pinyin, self.name) if n)


@dataclass(frozen=True)
class Source:
    name: str
    zh: str
    key: str
    # contract.yaml `counting_date`: one column, or a list where the first non-empty one counts
    # (cases: 立案日期, else 结案日期 for 简易程序 cases).
    counting_dates: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def counting_date(self) -> str:
        """The first (usual) counting date column."""
        return self.counting_dates[0] if self.counting_dates else ""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def key_column(self) -> Column:
        return self.column(self.key)


@dataclass(frozen=True)
class Contract:
    null_tokens: tuple[str, ...]
    sources: dict[str, Source]
    reference: dict[str, dict]


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    sources = {}
    for name, s in raw["sources"].items():
        cols = tuple(
            Column(name=c["name"], zh=c["zh"], type=c["type"], required=bool(c.get("required", False)),
                   pii=c.get("pii"), pinyin=c.get("pinyin"), deadline=bool(c.get("deadline", False)))
            for c in s["columns"]
        )
        counting = s["counting_date"]
        counting = tuple(counting) if isinstance(counting, list) else (counting,)
        sources[name] = Source(name=name, zh=s["zh"], key=s["key"], counting_dates=counting, columns=cols)
    return Contract(null_tokens=tuple(raw["null_tokens"]), sources=sources, reference=raw["reference"])

"""The data contract (`pipelines/contract.yaml`, the project's copy of shared/contract.md v1.1)
as typed, immutable objects. The one loader: ingest, dbt's generated vars
(`pipelines/contract_gen.py`), the quality gate and the pages all read it from here.

    from pipelines.contract import load_contract
    c = load_contract()
    c.sources["cases"].key            # 'case_id'
    c.indicator("valid_alarms").zh    # '有效警情'
    c.five_colour.window_days         # 56
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).resolve().parent / "contract.yaml"

# Lake column type per contract type (ARCHITECTURE.md §1).
LAKE_TYPES = {
    "id": "str",
    "code": "str",
    "text": "str",
    "township": "str",
    "grid": "str",
    "timestamp": "datetime",
    "date": "date",
    "int": "int",
    "money": "float",
    "bool": "bool",
    "float": "float",
}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str
    required: bool = False
    pii: str | None = None
    pinyin: str | None = None
    # A due date (处置期限, 整改期限): dbt allows it up to as_of + 366 days, not as_of + 1.
    deadline: bool = False

    @property
    def header_names(self) -> tuple[str, ...]:
        """Every header spelling that maps to this column (Chinese, pinyin key, English name)."""
        return tuple(n for n in (self.zh, self.pinyin, self.name) if n)


def _columns(raw: list[dict]) -> tuple[Column, ...]:
    return tuple(
        Column(
            name=c["name"],
            zh=c["zh"],
            type=c["type"],
            required=bool(c.get("required", False)),
            pii=c.get("pii"),
            pinyin=c.get("pinyin"),
            deadline=bool(c.get("deadline", False)),
        )
        for c in raw
    )


class _HasColumns:
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Source(_HasColumns):
    name: str
    zh: str
    key: str
    # contract.yaml `counting_date`: one column, or a list where the first non-empty one counts
    # (cases: 立案日期, else 结案日期 for 简易程序 cases).
    counting_dates: tuple[str, ...]
    columns: tuple[Column, ...]
    system: str = ""
    stale_after_days: int | None = None  # 数据滞后 when the newest record is older than this
    en: str = ""  # the name on the English pages (dashboards/i18n)

    @property
    def counting_date(self) -> str:
        """The first (usual) counting date column."""
        return self.counting_dates[0] if self.counting_dates else ""

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def key_column(self) -> Column:
        return self.column(self.key)


@dataclass(frozen=True)
class ReferenceTable(_HasColumns):
    name: str
    file: str  # path in the inbox, e.g. reference/townships.csv
    key: tuple[str, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Indicator:
    name: str
    source: str
    zh: str
    unit: str
    counted_on: str
    definition: str
    breakdowns: tuple[str, ...] = ()
    en: str = ""  # the name and unit on the English pages (dashboards/i18n)
    unit_en: str = ""
    better: str | None = None  # "up" | "down": the direction the reform aims at (colours a change)


@dataclass(frozen=True)
class Colour:
    color: str
    zh: str
    h_below: float | None = None  # the colour applies while h < h_below (None: the rest)
    meaning: str = ""
    en: str = ""  # the name on the English pages


@dataclass(frozen=True)
class FiveColour:
    window_days: int
    min_population: int
    min_ranked_grids: int
    components: tuple[str, ...]
    percentile: str
    score: str
    colours: tuple[Colour, ...]
    grey: Colour
    edge_cases: tuple[str, ...]
    edge_cases_en: tuple[str, ...] = ()  # the same, in English, in the same order


@dataclass(frozen=True)
class LoadRule:
    name: str
    text: str
    name_en: str = ""  # the rule on the English pages
    text_en: str = ""


@dataclass(frozen=True)
class Contract:
    version: str
    null_tokens: tuple[str, ...]
    sources: dict[str, Source]
    reference: dict[str, ReferenceTable]
    indicators: tuple[Indicator, ...]
    comparison_rules: dict[str, object]  # the §7 rules as the glossary prints them
    five_colour: FiveColour
    load_rules: tuple[LoadRule, ...]
    # English pages: the romanised name of each township by its 镇街名称 (the reference has none)
    township_names_en: dict[str, str] = field(default_factory=dict)

    def indicator(self, name: str) -> Indicator:
        for i in self.indicators:
            if i.name == name:
                return i
        raise KeyError(name)

    @property
    def indicator_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indicators)


def _source(name: str, s: dict) -> Source:
    counting = s["counting_date"]
    counting = tuple(counting) if isinstance(counting, list) else (counting,)
    return Source(
        name=name,
        zh=s["zh"],
        key=s["key"],
        counting_dates=counting,
        columns=_columns(s["columns"]),
        system=s.get("system", ""),
        stale_after_days=s.get("stale_after_days"),
        en=s.get("en", ""),
    )


def _reference(name: str, r: dict) -> ReferenceTable:
    key = r["key"]
    return ReferenceTable(
        name=name, file=r["file"], key=tuple(key) if isinstance(key, list) else (key,), columns=_columns(r["columns"])
    )


def _five_colour(fc: dict) -> FiveColour:
    return FiveColour(
        window_days=fc["window_days"],
        min_population=fc["min_population"],
        min_ranked_grids=fc["min_ranked_grids"],
        components=tuple(fc["components"]),
        percentile=fc["percentile"],
        score=fc["score"],
        colours=tuple(Colour(**c) for c in fc["colours"]),
        grey=Colour(**fc["grey"]),
        edge_cases=tuple(fc.get("edge_cases", ())),
        edge_cases_en=tuple(fc.get("edge_cases_en", ())),
    )


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Contract(
        version=str(raw["version"]),
        null_tokens=tuple(raw["null_tokens"]),
        sources={name: _source(name, s) for name, s in raw["sources"].items()},
        reference={name: _reference(name, r) for name, r in raw["reference"].items()},
        indicators=tuple(
            Indicator(
                name=i["name"],
                source=i["source"],
                zh=i["zh"],
                unit=i["unit"],
                counted_on=str(i["counted_on"]),
                definition=i["definition"],
                breakdowns=tuple(i.get("breakdowns") or ()),
                en=i.get("en", ""),
                unit_en=i.get("unit_en", ""),
                better=i.get("better"),
            )
            for i in raw["indicators"]
        ),
        comparison_rules=dict(raw["comparison_rules"]),
        five_colour=_five_colour(raw["five_colour"]),
        load_rules=tuple(LoadRule(**r) for r in raw["load_rules"]),
        township_names_en=dict(raw.get("township_names_en") or {}),
    )

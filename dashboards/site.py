"""Build the static site (contract §6) from the warehouse.

    from dashboards.site import build_site
    pages = build_site(warehouse, out_dir, as_of)

Reads the DuckDB warehouse read-only and writes into ``out_dir`` (which must be empty or
absent; the publish step swaps it in atomically):

    one HTML file per module in PAGES (index, weekly, alarms, inspections, cases, grid,
    compare, kpi, quality, glossary)
    data/*.csv (contract §6, open_items, series/<indicator>.csv)  data/grid_polygons.js
    assets/plotly.min.js  assets/site.css  assets/site.js  assets/grid_map.js  assets/favicon.svg

Output is a pure function of (warehouse, as_of, contract, build_stamp, gate): no clock, no
random ids, rows sorted.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import plotly

from pipelines.contract import Contract, load_contract

from . import exports
from .mart_reader import Warehouse
from .pages import alarms, cases, compare, glossary, grid, index, inspections, kpi, quality, weekly
from .render import environment

STATIC = Path(__file__).parent / "static"
PAGES = (
    index,
    weekly,
    alarms,
    inspections,
    cases,
    grid,
    compare,
    kpi,
    quality,
    glossary,
)  # each: FILE, TITLE, build(ctx) -> html
NAV = [(p.FILE, p.NAV) for p in PAGES]
# Marts the site cannot be built without (issue 2). Others degrade to a note.
REQUIRED_MARTS = ("fct_township_daily", "mart_campaigns", "mart_grid_colors", "mart_ingest_report", "mart_source_status")

# How each source status reads on the pages (contract v1.1: missing data must be visible).
STATUS_LABELS = {"missing": "缺失", "incomplete": "不完整", "stale": "数据滞后"}


def plotly_js() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    reform_start: dt.date | None = None
    resident_population: int | None = None
    data_start: dt.date | None = None  # first day with any fact: no comparisons before it


@dataclass
class SiteContext:
    wh: Warehouse
    as_of: dt.date
    contract: Contract
    towns: list[Town]
    build_stamp: str | None = None
    # The publishing gate's results of this run (pipelines/quality.py), for the 数据质量 page.
    gate: dict[str, Any] | None = None
    # Sources that are missing, incomplete or stale (mart_source_status rows, status != 'ok').
    source_alerts: list[dict[str, Any]] = field(default_factory=list)
    env: Any = field(default_factory=environment)

    def source_alert(self, indicator: str) -> dict[str, Any] | None:
        """The alert of the source an indicator is counted from, or None when it is complete."""
        source = self.indicator(indicator)["source"]
        return next((a for a in self.source_alerts if a["source"] == source), None)

    def indicator(self, name: str) -> dict[str, Any]:
        """The contract's indicator as a plain dict for the view models. A name the contract
        does not define (a contract narrowed for a test) reads as itself."""
        try:
            return asdict(self.contract.indicator(name))
        except KeyError:
            return {"name": name, "zh": name, "unit": "", "source": None, "counted_on": "", "definition": ""}

    def render(self, template: str, *, page_file: str, title: str, **kw: Any) -> str:
        return self.env.get_template(template).render(
            nav=NAV,
            page_file=page_file,
            title=title,
            as_of=self.as_of,
            build_stamp=self.build_stamp,
            source_alerts=self.source_alerts,
            **kw,
        )


def source_alerts(wh: Warehouse, contract: Contract) -> list[dict[str, Any]]:
    """The sources a reader must be warned about, with the indicators they affect (in Chinese)."""
    indicators = {i.name: i for i in contract.indicators}
    rows = wh.rows(f"select * from {wh.table('mart_source_status')} where status <> 'ok' order by source")
    for r in rows:
        r["label"] = STATUS_LABELS.get(r["status"], r["status"])
        r["source_zh"] = contract.sources[r["source"]].zh if r["source"] in contract.sources else r["source"]
        names = [n for n in (r.get("indicators") or "").split(",") if n]
        r["indicators_zh"] = [indicators[n].zh if n in indicators else n for n in names]
        r["files_list"] = [f for f in (r.get("unreadable_files") or "").split(",") if f]
    return rows


def _towns(wh: Warehouse) -> list[Town]:
    fct = wh.table("fct_township_daily")
    facts = wh.tuples(f"select township_code, min(township_name), min(date) from {fct} group by 1 order by 1")[1]
    names = {c: n for c, n, _ in facts}
    starts = {c: d for c, _, d in facts}
    towns: dict[str, Town] = {c: Town(c, n, data_start=starts[c]) for c, n in names.items()}
    if wh.has("dim_townships"):
        cols = set(wh.columns("dim_townships"))
        sel = ["township_code", "township_name"]
        sel += [c for c in ("reform_start_date", "resident_population") if c in cols]
        for r in wh.rows(f"select {', '.join(sel)} from {wh.table('dim_townships')} order by township_code"):
            towns[r["township_code"]] = Town(
                r["township_code"],
                r["township_name"] or names.get(r["township_code"], r["township_code"]),
                r.get("reform_start_date"),
                r.get("resident_population"),
                starts.get(r["township_code"]),
            )
    return [towns[c] for c in sorted(towns)]


def build_site(
    warehouse: Path,
    out_dir: Path,
    as_of: dt.date,
    *,
    contract: Contract | None = None,
    build_stamp: str | None = None,
    gate: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the complete site into ``out_dir``; return the paths written (sorted).

    ``contract``: the typed contract (default: `pipelines.contract.load_contract()`).
    ``build_stamp``: optional text for the footer (e.g. a run id); never taken from a clock.
    ``gate``: the quality gate's results of this run (pipelines/quality.py), shown on 数据质量.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; build_site writes into an empty folder")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    contract = contract or load_contract()

    with Warehouse(warehouse) as wh:
        missing = [m for m in REQUIRED_MARTS if not wh.has(m)]
        if missing:
            raise LookupError(f"warehouse {warehouse} lacks required marts: {', '.join(missing)}")
        ctx = SiteContext(wh, as_of, contract, _towns(wh), build_stamp, gate=gate, source_alerts=source_alerts(wh, contract))
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        assets = out_dir / "assets"
        assets.mkdir()
        shutil.copyfile(plotly_js(), assets / "plotly.min.js")
        shutil.copyfile(STATIC / "site.css", assets / "site.css")
        shutil.copyfile(STATIC / "site.js", assets / "site.js")
        # the site's own icon: otherwise browsers ask for /favicon.ico and log a failed request
        shutil.copyfile(STATIC / "favicon.svg", assets / "favicon.svg")
        written += [assets / "plotly.min.js", assets / "site.css", assets / "site.js", assets / "favicon.svg"]

        written += exports.write_downloads(wh, out_dir)
        written += grid.write_files(ctx, out_dir)  # the 五色图 map's script and polygon file

        for page in PAGES:
            path = out_dir / page.FILE
            path.write_text(page.build(ctx), encoding="utf-8")
            written.append(path)
    return sorted(written)

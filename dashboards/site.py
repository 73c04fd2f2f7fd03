"""Build the static site (contract §6) from the warehouse.

    from dashboards.site import build_site
    pages = build_site(warehouse, out_dir, as_of)

Reads the DuckDB warehouse read-only and writes into ``out_dir`` (which must be empty or
absent; the publish step swaps it in atomically):

    one HTML file per module in PAGES (index, weekly, alarms, inspections, cases, grid,
    compare, kpi, quality, glossary), in Chinese; the same pages in English under en/
    (dashboards/i18n: the same view models, only the words differ)
    data/*.csv (contract §6, open_items, series/<indicator>.csv)  data/grid_polygons.js
    assets/plotly.min.js  assets/site.css  assets/site.js  assets/grid_map.js  assets/favicon.svg

Output is a pure function of (warehouse, as_of, contract, build_stamp, gate): no clock, no
random ids, rows sorted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import plotly

from pipelines.contract import Contract, load_contract

from . import exports, i18n
from .i18n import N_
from .mart_reader import Warehouse, site_models
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
GATE_PAGES = (quality,)  # the pages that show the quality gate's results
OTHER_PAGES = tuple(p for p in PAGES if p not in GATE_PAGES)
NAV = [(p.FILE, p.NAV) for p in PAGES]
# The models the site reads: the dbt exposure report_site. dbt always builds all of them (a
# missing source gives empty marts), so a warehouse without one is not a site to publish.
REQUIRED_MARTS = site_models()

# From this many townships the other languages' pages are built in worker processes: a
# district's 22 build 25 → 14 s; the pilots' two would wait longer for the worker to start.
PARALLEL_MIN_TOWNS = 6

# How each source status reads on the pages (contract v1.1: missing data must be visible).
STATUS_LABELS = {"missing": N_("缺失"), "incomplete": N_("不完整"), "stale": N_("数据滞后")}


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
    # The page language (dashboards/i18n): "zh" at the site's root, "en" under en/.
    lang: str = i18n.DEFAULT

    def t(self, msgid: str, /, **kw: Any) -> str:
        """``msgid`` (the Chinese text) in the page's language; ``{name}`` placeholders filled."""
        return i18n.t(msgid, lang=self.lang, **kw)

    def translated(self, lang: str) -> SiteContext:
        """The same context for the pages in ``lang``: its templates, township names and
        source alerts in that language (the figures are read the same way)."""
        with i18n.use(lang):
            return dataclasses.replace(
                self,
                lang=lang,
                env=environment(lang),
                towns=[dataclasses.replace(t, name=i18n.place(t.name, self.contract.township_names_en)) for t in self.towns],
                source_alerts=source_alerts(self.wh, self.contract),
            )

    @property
    def root(self) -> str:
        """From a page to the site's root folder (assets/ and data/ exist once, there)."""
        return "" if self.lang == i18n.DEFAULT else "../"

    def source_alert(self, indicator: str) -> dict[str, Any] | None:
        """The alert of the source an indicator is counted from, or None when it is complete."""
        source = self.indicator(indicator)["source"]
        return next((a for a in self.source_alerts if a["source"] == source), None)

    def indicator(self, name: str) -> dict[str, Any]:
        """The contract's indicator as a plain dict for the view models. A name the contract
        does not define (a contract narrowed for a test) reads as itself. ``label`` and
        ``unit`` are the name and unit shown in the page's language (the contract's ``zh`` and
        ``unit``, or ``en`` and ``unit_en`` on English pages)."""
        try:
            d = asdict(self.contract.indicator(name))
        except KeyError:
            return {"name": name, "label": name, "zh": name, "unit": "", "source": None, "counted_on": "", "definition": ""}
        d["label"] = d["zh"]
        if self.lang == "en":
            d["label"], d["unit"] = d["en"] or d["zh"], d["unit_en"] or d["unit"]
        return d

    def render(self, template: str, *, page_file: str, title: str, **kw: Any) -> str:
        return self.env.get_template(template).render(
            nav=[(f, self.t(label)) for f, label in NAV],
            page_file=page_file,
            title=self.t(title),
            root=self.root,
            as_of=self.as_of,
            build_stamp=self.build_stamp,
            source_alerts=self.source_alerts,
            **kw,
        )


def source_alerts(wh: Warehouse, contract: Contract) -> list[dict[str, Any]]:
    """The sources a reader must be warned about, with the indicators they affect (in the
    language being built: `i18n.use`)."""
    indicators = {i.name: i for i in contract.indicators}
    rows = wh.rows(f"select * from {wh.table('mart_source_status')} where status <> 'ok' order by source")
    for r in rows:
        r["label"] = i18n.t(STATUS_LABELS[r["status"]]) if r["status"] in STATUS_LABELS else r["status"]
        r["source_zh"] = i18n.label(contract.sources[r["source"]]) if r["source"] in contract.sources else r["source"]
        names = [n for n in (r.get("indicators") or "").split(",") if n]
        r["indicators_zh"] = [i18n.label(indicators[n]) if n in indicators else n for n in names]
        r["files_list"] = [f for f in (r.get("unreadable_files") or "").split(",") if f]
    return rows


def _towns(wh: Warehouse) -> list[Town]:
    fct = wh.table("fct_township_daily")
    facts = wh.tuples(f"select township_code, min(township_name), min(date) from {fct} group by 1 order by 1")[1]
    names = {c: n for c, n, _ in facts}
    starts = {c: d for c, _, d in facts}
    towns: dict[str, Town] = {c: Town(c, n, data_start=starts[c]) for c, n in names.items()}
    dim = wh.table("dim_townships")
    for r in wh.rows(
        f"select township_code, township_name, reform_start_date, resident_population from {dim} order by township_code"
    ):
        c = r["township_code"]
        towns[c] = Town(c, r["township_name"] or names.get(c, c), r["reform_start_date"], r["resident_population"], starts.get(c))
    return [towns[c] for c in sorted(towns)]


def build_site(
    warehouse: Path,
    out_dir: Path,
    as_of: dt.date,
    *,
    contract: Contract | None = None,
    build_stamp: str | None = None,
    gate: dict[str, Any] | None = None,
    downloads: Path | None = None,
    await_gate: Callable[[], tuple[dict[str, Any] | None, Path | None]] | None = None,
) -> list[Path]:
    """Write the complete site into ``out_dir``; return the paths written (sorted).

    ``contract``: the typed contract (default: `pipelines.contract.load_contract()`).
    ``build_stamp``: when the release is published, Beijing time (`zhifa run` passes
    `pipelines.assets.publish.publish_stamp()`); never taken from a clock here.
    ``gate``: the quality gate's results of this run (pipelines/quality.py), shown on 数据质量.
    ``downloads``: a folder holding ``data/`` as `exports.write_downloads` wrote it from this
    warehouse (the files the gate checked); moved into ``out_dir`` instead of written again.
    ``await_gate``: instead of ``gate`` and ``downloads``, a call that waits for them: every
    page that does not show the gate is written first, so the site is built while the gate
    runs (pipelines/assets/publish.py). The same files either way.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; build_site writes into an empty folder")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    contract = contract or load_contract()

    with Warehouse(warehouse) as wh:
        wh.require(REQUIRED_MARTS)  # MissingMart (a LookupError) naming every missing model
        ctx = _context(wh, as_of, contract, build_stamp, gate)
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
        written += grid.write_files(ctx, out_dir)  # the 五色图 map's script and polygon file

        # Every page in each language: Chinese at the root, the others under <lang>/, from the
        # same view models. A big site builds the other languages in worker processes meanwhile,
        # unless the gate runs meanwhile (`await_gate`): its check takes longer than the pages
        # (district: 9 s against 2 × 2.8 s), so one process is as fast and needs less memory.
        # The pages that show the gate then wait for it.
        later = await_gate is not None
        others = [lang for lang in i18n.LANGS if lang != i18n.DEFAULT]
        if later or len(ctx.towns) < PARALLEL_MIN_TOWNS or (os.cpu_count() or 1) < 2:
            for lang in i18n.LANGS:
                written += _write_pages(_in(ctx, lang), out_dir, OTHER_PAGES if later else PAGES)
        else:
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=len(others), mp_context=spawn) as pool:
                args = (warehouse, out_dir, as_of, contract, build_stamp, gate)
                futures = [pool.submit(_write_language, *args, lang) for lang in others]
                written += _write_pages(ctx, out_dir, PAGES)
                for future in futures:
                    written += future.result()
        if later:
            gate, downloads = await_gate()
            ctx = dataclasses.replace(ctx, gate=gate)
            for lang in i18n.LANGS:
                written += _write_pages(_in(ctx, lang), out_dir, GATE_PAGES)

        if downloads is None:
            written += exports.write_downloads(wh, out_dir)
        else:
            written += _move_files(downloads / "data", out_dir / "data")
    return sorted(written)


def _move_files(src: Path, dst: Path) -> list[Path]:
    """Every file under src to the same place under dst (renames: the same file system), then
    src's emptied folders go; dst may hold other files already (the map's polygons)."""
    moved = []
    for p in sorted(src.rglob("*")):
        if p.is_file():
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, target)
            moved.append(target)
    for d in sorted((d for d in src.rglob("*") if d.is_dir()), reverse=True):
        d.rmdir()
    src.rmdir()
    return moved


def _context(wh: Warehouse, as_of: dt.date, contract: Contract, build_stamp: str | None, gate: dict | None) -> SiteContext:
    return SiteContext(wh, as_of, contract, _towns(wh), build_stamp, gate=gate, source_alerts=source_alerts(wh, contract))


def _in(ctx: SiteContext, lang: str) -> SiteContext:
    return ctx if lang == i18n.DEFAULT else ctx.translated(lang)


def _write_pages(ctx: SiteContext, out_dir: Path, pages: tuple = PAGES) -> list[Path]:
    """`pages` in ctx's language: at the root for the default, else under <lang>/
    (i18n.use sets the language for code without a ctx: charts, reports)."""
    folder = out_dir if ctx.lang == i18n.DEFAULT else out_dir / ctx.lang
    folder.mkdir(exist_ok=True)
    written = []
    with i18n.use(ctx.lang):
        for page in pages:
            path = folder / page.FILE
            path.write_text(page.build(ctx), encoding="utf-8")
            written.append(path)
    return written


def _write_language(
    warehouse: Path, out_dir: Path, as_of: dt.date, contract: Contract, build_stamp, gate, lang: str
) -> list[Path]:
    """A worker process: one language's pages, from its own read-only connection."""
    with Warehouse(warehouse) as wh:
        return _write_pages(_context(wh, as_of, contract, build_stamp, gate).translated(lang), out_dir)

"""五色图: every micro-grid's colour, its three components and percentiles, per township.

The page is a map read from ``mart_grid_map``: the polygons, colours and card facts of
every grid are one file, ``data/grid_polygons.js`` (written by ``write_files``), drawn
offline as inline SVG by ``assets/grid_map.js`` (no tiles, no request leaving the site); a
tap on a grid opens its card; grids without a polygon are in the list view.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import i18n
from ..i18n import N_

if TYPE_CHECKING:
    from pipelines.contract import Contract

    from ..site import SiteContext

FILE = "grid.html"
NAV = N_("五色图")
TITLE = N_("综合行政执法五色图")
# A script, not a .json: a page opened from disk (file://) may not fetch() a file, but may
# load a script. It sets window.ZHIFA_GRID_MAP = {...}.
DATA_FILE = "data/grid_polygons.js"
DATA_GLOBAL = "ZHIFA_GRID_MAP"
SCRIPT_FILE = "assets/grid_map.js"
MAP_MART = "mart_grid_map"
# One row per grid in DATA_FILE, in this order (colours as indexes into ORDER; rates and
# score rounded as the card shows them; percentiles 0–100 as the card shows them).
MAP_FIELDS = (
    "grid_code",
    "grid_name",
    "town",
    "color",
    "last_week_color",
    "population",
    "penalties",
    "petitions_disputes",
    "valid_alarms",
    "penalty_rate",
    "petition_rate",
    "alarm_rate",
    "penalty_pct",
    "petition_pct",
    "alarm_pct",
    "score",
    "share_higher",
    "is_few_events",
    "grey_reason",
    "map_path",
)
ORDER = ("red", "orange", "yellow", "blue", "green", "grey")
COMPONENTS = (  # (count column, rate column, percentile column, label)
    ("penalties", "penalty_rate", "penalty_pct", N_("行政处罚")),
    ("petitions_disputes", "petition_rate", "petition_pct", N_("信访矛调")),
    ("valid_alarms", "alarm_rate", "alarm_pct", N_("有效警情")),
)


def colour_meta(contract: Contract) -> dict[str, dict[str, Any]]:
    fc = contract.five_colour
    meta: dict[str, dict[str, Any]] = {}
    prev = 0.0
    for c in fc.colours:
        hb = c.h_below
        if hb is None:
            rule = f"h ≥ {format(prev, 'g')}"
        elif prev == 0:
            rule = f"h < {format(hb, 'g')}"
        else:
            rule = f"{format(prev, 'g')} ≤ h < {format(hb, 'g')}"
        meta[c.color] = {"zh": i18n.label(c), "rule": rule}  # zh: the colour's name in the page's language
        prev = hb if hb is not None else prev
    meta[fc.grey.color] = {
        "zh": i18n.label(fc.grey),
        "rule": i18n.t("实有人口不足{n}人：数据不足，不参与排名", n=fc.min_population),
    }
    return meta


# ---- the map (mart_grid_map) -------------------------------------------------------------


def _r1(v: Any) -> float | None:
    return None if v is None else float(f"{float(v):.1f}")


def _pct(v: Any) -> int | None:
    return None if v is None else round(100 * float(v))


def _colour_index(c: Any) -> int | None:
    c = (c or "").lower()
    return ORDER.index(c) if c in ORDER else None


def map_rows(ctx: SiteContext) -> list[dict[str, Any]]:
    return ctx.wh.rows(f"select * from {ctx.wh.table(MAP_MART)} order by township_code, grid_code")


def map_data(ctx: SiteContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What DATA_FILE holds: the towns, then one array per grid in MAP_FIELDS order."""
    names = {t.code: t.name for t in ctx.towns}
    codes = sorted({r["township_code"] for r in rows})
    towns = []
    for code in codes:
        mine = [r for r in rows if r["township_code"] == code]
        towns.append(
            {
                "code": code,
                "name": names.get(code) or mine[0].get("township_name") or code,
                "grids": len(mine),
                "ranked": mine[0].get("ranked_grids_in_township"),
                "with_polygon": sum(1 for r in mine if r.get("map_path")),
            }
        )
    grids = []
    for r in rows:
        grids.append(
            [
                r["grid_code"],
                r.get("grid_name") or r["grid_code"],
                codes.index(r["township_code"]),
                _colour_index(r.get("color")),
                _colour_index(r.get("last_week_color")),
                r.get("population"),
                r.get("penalties"),
                r.get("petitions_disputes"),
                r.get("valid_alarms"),
                _r1(r.get("penalty_rate")),
                _r1(r.get("petition_rate")),
                _r1(r.get("alarm_rate")),
                _pct(r.get("penalty_pct")),
                _pct(r.get("petition_pct")),
                _pct(r.get("alarm_pct")),
                _r1(r.get("score")),
                None if r.get("share_higher") is None else round(float(r["share_higher"]), 3),
                1 if r.get("is_few_events") else 0,
                r.get("grey_reason"),
                r.get("map_path"),
            ]
        )
    unit = next((r.get("map_unit_m") for r in rows if r.get("map_unit_m")), None)
    return {
        "as_of": ctx.as_of.isoformat(),
        "unit_m": unit,
        "colours": list(ORDER),
        "fields": list(MAP_FIELDS),
        "towns": towns,
        "grids": grids,
    }


def write_files(ctx: SiteContext, out_dir: Path) -> list[Path]:
    """The map's script and its data file (called by site.build_site)."""
    from ..site import STATIC

    out_dir = Path(out_dir)
    script = out_dir / SCRIPT_FILE
    script.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STATIC / "grid_map.js", script)
    data = out_dir / DATA_FILE
    data.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(map_data(ctx, map_rows(ctx)), ensure_ascii=False, separators=(",", ":"))
    data.write_text(f"window.{DATA_GLOBAL}={payload};\n", encoding="utf-8")
    return [script, data]


def build(ctx: SiteContext) -> str:
    rows = map_rows(ctx)
    meta = colour_meta(ctx.contract)
    fc = ctx.contract.five_colour
    names = {t.code: t.name for t in ctx.towns}
    sev = {c: i for i, c in enumerate(ORDER[:5])}
    towns = []
    for code in sorted({r["township_code"] for r in rows}):
        mine = [r for r in rows if r["township_code"] == code]
        colours = [(r.get("color") or "grey").lower() for r in mine]
        counts = [
            {"color": c, "zh": meta.get(c, {}).get("zh", c), "rule": meta.get(c, {}).get("rule", ""), "n": colours.count(c)}
            for c in ORDER
        ]
        changed = [r for r, c in zip(mine, colours) if r.get("last_week_color") and r["last_week_color"].lower() != c]
        worse = sum(
            1
            for r in changed
            if (r["color"] or "").lower() in sev
            and r["last_week_color"].lower() in sev
            and sev[r["color"].lower()] < sev[r["last_week_color"].lower()]
        )
        towns.append(
            {
                "code": code,
                "name": names.get(code) or i18n.place(mine[0].get("township_name") or code, ctx.contract.township_names_en),
                "n": len(mine),
                "ranked": mine[0].get("ranked_grids_in_township"),
                "with_polygon": sum(1 for r in mine if r.get("map_path")),
                "window": (mine[0].get("window_start"), mine[0].get("window_end")),
                "counts": counts,
                "changed": len(changed),
                "worse": worse,
                "few": sum(1 for r in mine if r.get("is_few_events")),
            }
        )
    labels = {
        "colours": {c: meta[c]["zh"] for c in ORDER if c in meta},
        "components": [ctx.t(label) for *_cols, label in COMPONENTS],
        "min_population": fc.min_population,
        "min_ranked_grids": fc.min_ranked_grids,
        "window_days": fc.window_days,
    }
    if ctx.lang != i18n.DEFAULT:  # the words of assets/grid_map.js (its T("…")) and the township names
        from ..site import STATIC

        labels["text"] = {m: ctx.t(m) for m in i18n.js_msgids(STATIC / "grid_map.js")} | ctx.contract.township_names_en
    labels_json = json.dumps(labels, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return ctx.render(
        "grid.html.j2",
        page_file=FILE,
        title=TITLE,
        towns=towns,
        meta=meta,
        order=ORDER,
        fc=fc,
        data_file=DATA_FILE,
        script_file=SCRIPT_FILE,
        labels_json=labels_json,
    )

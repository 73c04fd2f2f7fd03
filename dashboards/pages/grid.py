"""五色图: every micro-grid's colour, its three components and percentiles, per township.

With ``mart_grid_map`` in the warehouse the page is a map: the polygons, colours and card
facts of every grid are one file, ``data/grid_polygons.js`` (written by ``write_files``),
drawn offline as inline SVG by ``assets/grid_map.js`` (no tiles, no request leaving the
site); a tap on a grid opens its card; grids without a polygon are in the list view.
Without that mart (an older warehouse) the page falls back to cards grouped by colour.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.contract import Contract

    from ..site import SiteContext

FILE = "grid.html"
NAV = "五色图"
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
OPEN_BY_DEFAULT = {"red", "orange"}
COMPONENTS = (  # (count column, rate column, percentile column, label)
    ("penalties", "penalty_rate", "penalty_pct", "行政处罚"),
    ("petitions_disputes", "petition_rate", "petition_pct", "信访矛调"),
    ("valid_alarms", "alarm_rate", "alarm_pct", "有效警情"),
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
        meta[c.color] = {"zh": c.zh, "rule": rule}
        prev = hb if hb is not None else prev
    meta[fc.grey.color] = {"zh": fc.grey.zh, "rule": f"实有人口不足{fc.min_population}人：数据不足，不参与排名"}
    return meta


def _grid_view(r: dict[str, Any]) -> dict[str, Any]:
    comps = []
    for cnt, rate, pct, label in COMPONENTS:
        comps.append(
            {
                "label": label,
                "count": r.get(cnt),
                "rate": r.get(rate),
                "pct": None if r.get(pct) is None else round(100 * float(r[pct])),
            }
        )
    color = (r.get("color") or "grey").lower()
    last = (r.get("last_week_color") or "").lower() or None
    return {**r, "color": color, "last": last, "changed": last is not None and last != color, "components": comps}


def build(ctx: SiteContext) -> str:
    if ctx.wh.has(MAP_MART):
        return _build_map(ctx)
    return _build_cards(ctx)


def _build_cards(ctx: SiteContext) -> str:
    """The page before mart_grid_map existed: every grid as a card, grouped by colour."""
    mart = ctx.wh.table("mart_grid_colors")
    cols = set(ctx.wh.columns("mart_grid_colors"))
    rows = ctx.wh.rows(f"select * from {mart} order by township_code, score desc nulls last, grid_code")
    if "last_week_color" not in cols:
        for r in rows:
            r["last_week_color"] = None
    meta = colour_meta(ctx.contract)
    fc = ctx.contract.five_colour
    towns = []
    names = {t.code: t.name for t in ctx.towns}
    for code in sorted({r["township_code"] for r in rows}):
        grids = [_grid_view(r) for r in rows if r["township_code"] == code]
        groups = []
        for colour in ORDER + tuple(sorted({g["color"] for g in grids} - set(ORDER))):
            members = [g for g in grids if g["color"] == colour]
            groups.append(
                {
                    "color": colour,
                    "zh": meta.get(colour, {}).get("zh", colour),
                    "rule": meta.get(colour, {}).get("rule", ""),
                    "grids": members,
                    "open": colour in OPEN_BY_DEFAULT,
                }
            )
        window = (grids[0].get("window_start"), grids[0].get("window_end")) if grids else (None, None)
        changed = [g for g in grids if g["changed"]]
        sev = {c: i for i, c in enumerate(ORDER[:5])}  # red 0 … green 4; grey not ranked
        worse = sum(1 for g in changed if g["color"] in sev and g["last"] in sev and sev[g["color"]] < sev[g["last"]])
        towns.append(
            {
                "code": code,
                "name": names.get(code, code),
                "groups": groups,
                "n": len(grids),
                "window": window,
                "worse": worse,
                "better": len(changed) - worse,
                "changed": sorted(
                    changed, key=lambda g: (ORDER.index(g["color"]) if g["color"] in ORDER else 99, g["grid_code"])
                ),
            }
        )
    return ctx.render(
        "grid.html.j2", page_file=FILE, title="综合行政执法五色图", towns=towns, meta=meta, order=ORDER, fc=fc, map_mode=False
    )


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
    """The map's script and, with mart_grid_map, its data file (called by site.build_site)."""
    from ..site import STATIC

    out_dir = Path(out_dir)
    script = out_dir / SCRIPT_FILE
    script.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STATIC / "grid_map.js", script)
    if not ctx.wh.has(MAP_MART):
        return [script]
    data = out_dir / DATA_FILE
    data.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(map_data(ctx, map_rows(ctx)), ensure_ascii=False, separators=(",", ":"))
    data.write_text(f"window.{DATA_GLOBAL}={payload};\n", encoding="utf-8")
    return [script, data]


def _build_map(ctx: SiteContext) -> str:
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
                "name": names.get(code) or mine[0].get("township_name") or code,
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
        "components": [label for *_cols, label in COMPONENTS],
        "min_population": fc.min_population,
        "min_ranked_grids": fc.min_ranked_grids,
        "window_days": fc.window_days,
    }
    labels_json = json.dumps(labels, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return ctx.render(
        "grid.html.j2",
        page_file=FILE,
        title="综合行政执法五色图",
        towns=towns,
        meta=meta,
        order=ORDER,
        fc=fc,
        map_mode=True,
        data_file=DATA_FILE,
        script_file=SCRIPT_FILE,
        labels_json=labels_json,
    )

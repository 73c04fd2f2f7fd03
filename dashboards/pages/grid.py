"""五色图: every micro-grid's colour, its three components and percentiles, per township.

No map tiles (the site works offline): cards grouped by colour, most severe first.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..site import SiteContext

FILE = "grid.html"
NAV = "五色图"
ORDER = ("red", "orange", "yellow", "blue", "green", "grey")
OPEN_BY_DEFAULT = {"red", "orange"}
COMPONENTS = (  # (count column, rate column, percentile column, label)
    ("penalties", "penalty_rate", "penalty_pct", "行政处罚"),
    ("petitions_disputes", "petition_rate", "petition_pct", "信访矛调"),
    ("valid_alarms", "alarm_rate", "alarm_pct", "有效警情"),
)


def colour_meta(contract: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fc = contract.get("five_colour", {})
    meta: dict[str, dict[str, Any]] = {}
    prev = 0.0
    for c in fc.get("colours", []):
        hb = c.get("h_below")
        if hb is None:
            rule = f"h ≥ {format(prev, 'g')}"
        elif prev == 0:
            rule = f"h < {format(hb, 'g')}"
        else:
            rule = f"{format(prev, 'g')} ≤ h < {format(hb, 'g')}"
        meta[c["color"]] = {"zh": c["zh"], "rule": rule}
        prev = hb if hb is not None else prev
    g = fc.get("grey", {"color": "grey", "zh": "灰", "meaning": ""})
    meta[g["color"]] = {"zh": g["zh"],
                        "rule": f"实有人口不足{fc.get('min_population', 50)}人：数据不足，不参与排名"}
    return meta


def _grid_view(r: dict[str, Any]) -> dict[str, Any]:
    comps = []
    for cnt, rate, pct, label in COMPONENTS:
        comps.append({"label": label, "count": r.get(cnt), "rate": r.get(rate),
                      "pct": None if r.get(pct) is None else round(100 * float(r[pct]))})
    color = (r.get("color") or "grey").lower()
    last = (r.get("last_week_color") or "").lower() or None
    return {**r, "color": color, "last": last, "changed": last is not None and last != color,
            "components": comps}


def build(ctx: SiteContext) -> str:
    mart = ctx.wh.table("mart_grid_colors")
    cols = set(ctx.wh.columns("mart_grid_colors"))
    rows = ctx.wh.rows(f"select * from {mart} order by township_code, score desc nulls last, grid_code")
    if "last_week_color" not in cols:
        for r in rows:
            r["last_week_color"] = None
    meta = colour_meta(ctx.contract)
    fc = ctx.contract.get("five_colour", {})
    towns = []
    names = {t.code: t.name for t in ctx.towns}
    for code in sorted({r["township_code"] for r in rows}):
        grids = [_grid_view(r) for r in rows if r["township_code"] == code]
        groups = []
        for colour in ORDER + tuple(sorted({g["color"] for g in grids} - set(ORDER))):
            members = [g for g in grids if g["color"] == colour]
            groups.append({"color": colour, "zh": meta.get(colour, {}).get("zh", colour),
                           "rule": meta.get(colour, {}).get("rule", ""), "grids": members,
                           "open": colour in OPEN_BY_DEFAULT})
        window = (grids[0].get("window_start"), grids[0].get("window_end")) if grids else (None, None)
        changed = [g for g in grids if g["changed"]]
        sev = {c: i for i, c in enumerate(ORDER[:5])}  # red 0 … green 4; grey not ranked
        worse = sum(1 for g in changed if g["color"] in sev and g["last"] in sev
                    and sev[g["color"]] < sev[g["last"]])
        towns.append({
            "code": code, "name": names.get(code, code), "groups": groups, "n": len(grids),
            "window": window,
            "worse": worse, "better": len(changed) - worse,
            "changed": sorted(changed,
                              key=lambda g: (ORDER.index(g["color"]) if g["color"] in ORDER else 99,
                                             g["grid_code"])),
        })
    return ctx.render("grid.html.j2", page_file=FILE, title="综合行政执法五色图", towns=towns,
                      meta=meta, order=ORDER, fc=fc)

"""指标口径: generated from pipelines/contract.yaml (the glossary is data, not prose)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import exports
from ..i18n import N_
from .grid import ORDER, colour_meta

if TYPE_CHECKING:
    from ..site import SiteContext

FILE = "glossary.html"
NAV = N_("指标口径")
RULE_LABELS = {
    "week": N_("周"),
    "windows": N_("比较区间"),
    "small_base": N_("小基数"),
    "poisson_z": N_("显著变化（泊松 z）"),
    "rates": N_("人口率"),
}
WINDOW_ZH = {"week": "周", "28 days": "近28天", "month": "月", "year-to-date": "今年以来", "reform-to-date": "改革以来"}


def build(ctx: SiteContext) -> str:
    c = ctx.contract
    rules = []
    for key, value in c.comparison_rules.items():
        if isinstance(value, list) and ctx.lang == "en":  # the contract's own words are English
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, list):
            value = "、".join(f"{WINDOW_ZH.get(v, v)}（{v}）" if v in WINDOW_ZH else str(v) for v in value)
        rules.append({"key": key, "label": ctx.t(RULE_LABELS[key]) if key in RULE_LABELS else key, "text": value})
    fc = c.five_colour
    meta = colour_meta(c)
    return ctx.render(
        "glossary.html.j2",
        page_file=FILE,
        title=NAV,
        indicators=c.indicators,
        rules=rules,
        fc=fc,
        meta=meta,
        order=[o for o in ORDER if o in meta],
        downloads=exports.DOWNLOADS,
        load_rules=c.load_rules,
        version=c.version,
    )

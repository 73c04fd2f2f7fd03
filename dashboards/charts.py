"""Plotly figures for the site, sized for a phone first; labels in the language being built
(`dashboards.i18n`: Chinese, or English under en/).

Each figure is rendered as a ``<div>`` without plotly.js (pages load the one shared copy
from ``assets/plotly.min.js``) and with a fixed div id, so output is deterministic.

A figure here is the JSON plotly.js draws (`Figure`: ``data`` and ``layout`` as plain dicts),
not a `plotly.graph_objects.Figure`: plotly's graph objects validate every property on each
update, which took three quarters of a district site's build (~400 charts). Plotly still lays
out the subplots (`subplots`, once per shape), and tests/dashboards/test_charts.py has plotly
validate every figure the site draws.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from typing import Any

import plotly.io as pio
from _plotly_utils.utils import to_typed_array_spec

from . import i18n
from .i18n import t

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
# One colour per township (in township-code order), colour-blind safe.
TOWN_COLOURS = ["#1f6fb2", "#e07b00", "#2a9d5c", "#8e44ad"]
LAST_YEAR = "#9aa5b1"

CAMPAIGN_FILL = "#f4a259"
REFORM = "#b3261e"
WEEK_END = dt.timedelta(days=6)  # a week's Monday to its Sunday
# Chart labels sit on a half-opaque white box so a line or bar under them does not hide them.
LABEL_BG = "rgba(255,255,255,0.85)"
# No mode bar (it covered legends on phones and spoke English); the zh-CN locale is
# registered by assets/site.js (bundled, no CDN) before any chart is drawn. English pages
# use plotly's own (default) English locale.
CONFIG = {
    "displaylogo": False,
    "displayModeBar": False,
    "responsive": True,
    "scrollZoom": False,
    "locale": "zh-CN",
}


class Figure:
    """One chart as the JSON plotly.js draws: ``data`` (traces) and ``layout``."""

    def __init__(self, layout: dict[str, Any] | None = None):
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = layout if layout is not None else {}

    def add(self, trace_type: str, *, row: int | None = None, **props: Any) -> None:
        """A trace; ``row``: in that panel of `subplots`."""
        trace = {"type": trace_type, **props}
        if row is not None:
            trace |= {"xaxis": _ref("x", row), "yaxis": _ref("y", row)}
        self.data.append(trace)

    def update_layout(self, **props: Any) -> Figure:
        _merge(self.layout, props)
        return self

    def update_xaxes(self, **props: Any) -> Figure:
        return self._update_axes("x", props)

    def update_yaxes(self, **props: Any) -> Figure:
        return self._update_axes("y", props)

    def _update_axes(self, letter: str, props: dict[str, Any]) -> Figure:
        """Every x (or y) axis, as plotly's update_xaxes: the one default axis of a plain chart."""
        axes = [k for k in self.layout if re.fullmatch(letter + r"axis\d*", k)] or [letter + "axis"]
        for key in axes:
            _merge(self.layout.setdefault(key, {}), props)
        return self

    @property
    def annotations(self) -> list[dict[str, Any]]:
        return self.layout.get("annotations", [])

    def add_layout_items(self, key: str, items: list[dict[str, Any]]) -> None:
        """Append shapes or annotations (none: the key stays absent, as plotly leaves it)."""
        if items:
            self.layout[key] = [*self.layout.get(key, []), *items]


def _merge(into: dict[str, Any], props: dict[str, Any]) -> None:
    """plotly's update: nested dicts merged key by key, anything else replaced."""
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value) if isinstance(value, dict) else value


def _ref(letter: str, row: int) -> str:
    """The axis id of a panel: x, x2, x3 …"""
    return letter if row == 1 else f"{letter}{row}"


def subplots(rows: int, *, vertical_spacing: float, titles: list[str], row_heights: list[float] | None = None) -> Figure:
    """Panels stacked in one column on a shared x axis, each titled (an empty title: none)."""
    layout = copy.deepcopy(_subplot_layout(rows, vertical_spacing, tuple(row_heights) if row_heights else None))
    layout["annotations"] = [a | {"text": title} for a, title in zip(layout["annotations"], titles) if title]
    if not layout["annotations"]:
        del layout["annotations"]
    return Figure(layout)


@functools.cache
def _subplot_layout(rows: int, vertical_spacing: float, row_heights: tuple[float, ...] | None) -> dict[str, Any]:
    """plotly's own layout of the panels (domains, anchors, title positions), once per shape."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=vertical_spacing,
        row_heights=list(row_heights) if row_heights else None,
        subplot_titles=["·"] * rows,  # placeholders: `subplots` writes the titles
    )
    layout = fig.to_dict()["layout"]
    layout.pop("template", None)
    return layout


def _layout(fig: Figure, *, y_title: str, y_percent: bool = False) -> Figure:
    """The site's chart style (the plotly_white template is added by to_div)."""
    fig.update_layout(
        font={"family": FONT, "size": 13, "color": "#1d2733"},
        margin={"l": 44, "r": 12, "t": 8, "b": 36},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        hovermode="x unified",
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
        dragmode=False,
    )
    fig.update_xaxes(tickformat="%Y-%m", hoverformat=t("%Y-%m-%d（周一起）"), showgrid=False)
    fig.update_yaxes(
        title={"text": y_title, "font": {"size": 12}}, rangemode="tozero", tickformat=".0%" if y_percent else ",d", zeroline=True
    )
    return fig


def _font_size(fig: Figure, size: int) -> None:
    """Every annotation's font at ``size`` (plotly's update_annotations(font_size=…))."""
    for a in fig.annotations:
        _merge(a, {"font": {"size": size}})


@functools.cache
def _template() -> dict[str, Any]:
    """plotly_white as plain JSON, resolved once."""
    return pio.templates["plotly_white"].to_plotly_json()


def to_div(fig: Figure, div_id: str, height: int = 320) -> str:
    config = CONFIG if i18n.current() == "zh" else {k: v for k, v in CONFIG.items() if k != "locale"}
    return pio.to_html(
        {"data": fig.data, "layout": {"template": _template(), **fig.layout}},
        validate=False,  # plain JSON: tests/dashboards/test_charts.py has plotly validate every figure
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=config,
        default_height=f"{height}px",
        default_width="100%",
    )


def one_visit_counts(series: list[dict]) -> Figure:
    """series: [{name, weeks: [date], one_visit: [int]}] per township."""
    fig = Figure()
    for i, s in enumerate(series):
        fig.add(
            "bar",
            x=s["weeks"],
            y=s["one_visit"],
            name=s["name"],
            marker={"color": TOWN_COLOURS[i % len(TOWN_COLOURS)]},
            hovertemplate=t("%{y:,d} 件次"),
        )
    fig.update_layout(barmode="group", bargap=0.15)
    return _layout(fig, y_title=t("件次/周"))


def one_visit_share(series: list[dict]) -> Figure:
    """series: [{name, weeks, share: [float 0..1 | None]}] per township."""
    fig = Figure()
    for i, s in enumerate(series):
        fig.add(
            "scatter",
            x=s["weeks"],
            y=s["share"],
            name=s["name"],
            mode="lines+markers",
            marker={"size": 4},
            line={"color": TOWN_COLOURS[i % len(TOWN_COLOURS)], "width": 2},
            connectgaps=False,
            hovertemplate="%{y:.1%}",
        )
    fig = _layout(fig, y_title=t("占比"), y_percent=True)
    fig.update_yaxes(range=[0, 1])
    return fig


def alarms_yoy(weeks: list, this_year: list, last_year: list, colour: str, unit: str | None = None) -> Figure:
    """Weekly valid alarms against the same ISO week a year earlier (y axis: ``unit``, 起/周)."""
    fig = Figure()
    fig.add(
        "scatter",
        x=weeks,
        y=last_year,
        name=t("去年同周"),
        mode="lines",
        connectgaps=False,
        line={"color": LAST_YEAR, "width": 2, "dash": "dot"},
        hovertemplate=t("%{y:,d} 起"),
    )
    fig.add(
        "scatter",
        x=weeks,
        y=this_year,
        name=t("本期"),
        mode="lines+markers",
        marker={"size": 4},
        line={"color": colour, "width": 2.5},
        hovertemplate=t("%{y:,d} 起"),
    )
    return _layout(fig, y_title=unit or t("起/周"))


def months_since_reform(series: list[dict], *, y_title: str, unit: str) -> Figure:
    """One indicator per 10,000 常住人口 by months since each township's reform start.

    series: [{name, months: [int], rates: [float], counts: [float], labels: [str],
    small: [bool], campaigns: [str]}] per township (complete months only). Points resting on
    fewer than 20 events are drawn hollow (小基数); months with a 专项行动 as diamonds, its name
    in the hover (a campaign month's spike is the campaign, not the routine).
    """
    fig = Figure()
    for i, s in enumerate(series):
        colour = TOWN_COLOURS[i % len(TOWN_COLOURS)]
        marker, notes = _month_points(s, colour)
        fig.add(
            "scatter",
            x=s["months"],
            y=s["rates"],
            name=s["name"],
            mode="lines+markers",
            line={"color": colour, "width": 2.5},
            connectgaps=False,
            marker=marker,
            customdata=[[lab, c, note] for lab, c, note in zip(s["labels"], s["counts"], notes)],
            hovertemplate=(
                t("%{{customdata[0]}}：每万人 %{{y:.2f}}（%{{customdata[1]:,.0f}} {unit}）%{{customdata[2]}}", unit=unit)
                + "<extra>"
                + s["name"]
                + "</extra>"
            ),
        )
    fig = _layout(fig, y_title=y_title)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(
        tickformat="d",
        hoverformat="d",
        dtick=6,
        tickangle=0,
        showgrid=True,
        gridcolor="#eef1f5",
        zeroline=False,
        title={"text": t("改革后第N月（0 = 改革起始当月）"), "font": {"size": 12}},
    )
    fig.update_yaxes(tickformat=",.1f")
    reform = {"color": REFORM, "width": 1, "dash": "dash"}
    fig.add_layout_items(
        "shapes", [{"type": "line", "x0": 0, "x1": 0, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": reform}]
    )
    label = {"x": 0, "y": 1, "yref": "paper", "text": t("改革起始"), "showarrow": False, "xanchor": "left", "yanchor": "top"}
    fig.add_layout_items("annotations", [label | {"font": {"size": 12, "color": REFORM}, "xshift": 3, "bgcolor": LABEL_BG}])
    return fig


def _month_points(s: dict[str, Any], colour: str) -> tuple[dict[str, Any], list[str]]:
    """(marker, hover note per month): hollow = 小基数, diamond = a 专项行动 ran that month."""
    marker = {
        "size": [10 if cp else 9 if sm else 6 for sm, cp in zip(s["small"], s["campaigns"])],
        "color": colour,
        "symbol": [("diamond" if cp else "circle") + ("-open" if sm else "") for sm, cp in zip(s["small"], s["campaigns"])],
        "line": {"width": 2, "color": colour},
    }
    notes = [
        (t("（小基数）") if sm else "") + (t("（专项行动期间：{names}）", names=cp) if cp else "")
        for sm, cp in zip(s["small"], s["campaigns"])
    ]
    return marker, notes


# ---------------------------------------------------------------- issue 10: marked time charts


def mark_periods(
    fig: Figure,
    *,
    first: dt.date,
    last: dt.date,
    campaigns: list[dict[str, Any]],
    reform: dt.date | None,
    row: int | None = None,
    label: bool = True,
    reform_label: bool = True,
) -> Figure:
    """Shade each 专项行动 period and draw the reform date, where they fall in [first, last].

    campaigns: [{campaign, first_date, last_date}] of one township; ``label`` names the
    campaigns, ``reform_label`` the reform line (small multiples name them once).
    """
    xref, yref = ("x", "y domain") if row is None else (_ref("x", row), _ref("y", row) + " domain")
    span = {"xref": xref, "yref": yref, "y0": 0, "y1": 1}
    label_style = {"showarrow": False, "xanchor": "left", "yanchor": "top", "bgcolor": LABEL_BG, "xref": xref}
    label_style["yref"] = "paper" if row is None else yref
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for c in campaigns:
        x0, x1 = max(c["first_date"], first), min(c["last_date"], last)
        if x0 > x1:
            continue
        end = (x1 + dt.timedelta(days=1)).isoformat()
        shapes.append(
            {"type": "rect", "x0": x0.isoformat(), "x1": end, "fillcolor": CAMPAIGN_FILL, "opacity": 0.18, "line": {"width": 0}}
            | {"layer": "below", **span}
        )
        if label:
            # a space, not "：": Chromium lays out "专项：" + Han text in SVG ~10× slower
            # (measured: the 概览 chart took 0.7 s instead of 0.08 s at 375 px)
            text = t("专项 {name}", name=c["campaign"])
            notes.append({"x": x0.isoformat(), "y": 1, "text": text, "font": {"size": 12, "color": "#8a4b00"}, **label_style})
    if reform is not None and first <= reform <= last:
        x = reform.isoformat()
        shapes.append({"type": "line", "x0": x, "x1": x, "line": {"color": REFORM, "width": 1.5, "dash": "dash"}, **span})
        if reform_label:
            notes.append(
                {"x": x, "y": 0.82, "text": t("改革起始"), "font": {"size": 12, "color": REFORM}, "xshift": 2, **label_style}
            )
    fig.add_layout_items("shapes", shapes)
    fig.add_layout_items("annotations", notes)
    return fig


def inspections_by_kind(series: list[dict[str, Any]], *, first: dt.date, last: dt.date, y_title: str | None = None) -> Figure:
    """Small multiples: one panel per township with its own y axis, weekly bars stacked
    日常 / 专项行动, campaign periods shaded and the reform date marked.

    series: [{name, weeks: [iso date], routine: [n], campaign: [n] | None,
              campaigns: [...], reform: date | None}] per township.
    """
    n = max(len(series), 1)
    fig = subplots(
        n,
        # about 0.12 of the height between two panels, less for many (a district's 22 towns):
        # plotly refuses a gap over 1 / (rows - 1)
        vertical_spacing=min(0.12, 0.5 / n) if n > 1 else 0.0,
        titles=[s["name"] for s in series],
    )
    for i, s in enumerate(series, start=1):
        fig.add(
            "bar",
            x=s["weeks"],
            y=s["routine"],
            name=t("日常检查"),
            marker={"color": TOWN_COLOURS[0]},
            legendgroup="routine",
            showlegend=i == 1,
            hovertemplate=t("日常 %{y:,d}"),
            row=i,
        )
        if s.get("campaign") is not None:
            fig.add(
                "bar",
                x=s["weeks"],
                y=s["campaign"],
                name=t("专项行动"),
                marker={"color": CAMPAIGN_FILL},
                legendgroup="campaign",
                showlegend=i == 1,
                hovertemplate=t("专项 %{y:,d}"),
                row=i,
            )
        mark_periods(fig, first=first, last=last, campaigns=s.get("campaigns") or [], reform=s.get("reform"), row=i)
    fig.update_layout(barmode="stack", bargap=0.15)
    _layout(fig, y_title=y_title or t("件次/周"))
    fig.update_layout(margin={"l": 48, "r": 12, "t": 28, "b": 36}, legend={"y": 1.06 if n > 1 else 1.0})
    _font_size(fig, 12)
    for a in fig.annotations:
        if a["text"] in [s["name"] for s in series]:
            _merge(a, {"font": {"size": 13, "color": "#1d2733"}, "xanchor": "left", "x": 0})
    return fig


def sparkline(values: list[float], *, width: int = 96, height: int = 26, colour: str = "#1f6fb2") -> str:
    """A tiny inline SVG of weekly values (no plotly: it is one line of markup)."""
    vals = [float(v or 0) for v in values]
    if len(vals) < 2:
        return ""
    top = max(vals) or 1.0
    step = (width - 4) / (len(vals) - 1)
    pts = " ".join(f"{2 + i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(vals))
    last = pts.split(" ")[-1].split(",")
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{t("近{n}周走势", n=len(vals))}"><polyline fill="none" stroke="{colour}" '
        f'stroke-width="1.6" points="{pts}"/><circle cx="{last[0]}" cy="{last[1]}" r="2.2" '
        f'fill="{colour}"/></svg>'
    )


# ---------------------------------------------------------------- issue 10: topic pages and KPI drill-down

DAY_MS = 86_400_000


def _compact(values: list[float | None]) -> dict[str, str]:
    """A typed array (base64, as plotly writes numpy arrays): whole numbers as int16/int32,
    else float64."""
    import numpy as np

    vals = [0.0 if v is None else float(v) for v in values]
    if all(v.is_integer() and abs(v) < 2**15 for v in vals):
        dtype = np.int16
    elif all(v.is_integer() and abs(v) < 2**31 for v in vals):
        dtype = np.int32
    else:
        dtype = np.float64
    return to_typed_array_spec(np.asarray(vals, dtype=dtype))


def daily_drilldown(
    start: dt.date, daily: list[float], rolling: list[float], *, colour: str, unit: str, rolling_label: str | None = None
) -> Figure:
    """One indicator of one township, every day from ``start``: the 28-day running total on
    top (the KPI card's big number over time) and the daily counts below.

    Evenly spaced days (x0/dx) and typed arrays keep a 600-day series a few kB.
    """
    rolling_label = rolling_label or t("近28天合计")
    fig = subplots(2, vertical_spacing=0.1, row_heights=[0.55, 0.45], titles=[rolling_label, t("每日")])
    fig.add(
        "scatter",
        x0=start.isoformat(),
        dx=DAY_MS,
        y=_compact(rolling),
        mode="lines",
        name=rolling_label,
        line={"color": colour, "width": 2},
        hovertemplate=t("%{{x|%Y-%m-%d}} 止近28天 %{{y:,.0f}} {unit}", unit=unit) + "<extra></extra>",
        row=1,
    )
    fig.add(
        "bar",
        x0=start.isoformat(),
        dx=DAY_MS,
        y=_compact(daily),
        name=t("每日"),
        marker={"color": colour, "line": {"width": 0}},
        hovertemplate=t("%{{x|%Y-%m-%d}} 当天 %{{y:,.0f}} {unit}", unit=unit) + "<extra></extra>",
        row=2,
    )
    _layout(fig, y_title="")
    fig.update_layout(showlegend=False, hovermode="closest", bargap=0, margin={"l": 44, "r": 12, "t": 24, "b": 30})
    # a fixed range: labels of marked periods (mark_periods) must not widen the axis
    end = start + dt.timedelta(days=len(daily))
    fig.update_xaxes(
        type="date",
        tickformat="%Y-%m",
        hoverformat="%Y-%m-%d",
        range=[(start - dt.timedelta(days=1)).isoformat(), end.isoformat()],
    )
    _font_size(fig, 12)
    for a in fig.annotations:
        a.update(xanchor="left", x=0)
    return fig


def weekly_yoy_panels(
    panels: list[dict[str, Any]],
    *,
    colour: str,
    unit: str | None = None,
    campaigns: list[dict[str, Any]] | None = None,
    reform: dt.date | None = None,
) -> Figure:
    """Small multiples, one panel per category (own y axis): each complete week of this year
    against the same ISO week last year (a gap where last year has no data); the township's
    专项行动 periods shaded and its reform date marked in every panel, named in the first.

    panels: [{title, weeks: [iso date], now: [n], before: [n | None]}]; ``unit``: 起.
    """
    unit = unit or t("起")
    n = max(len(panels), 1)
    fig = subplots(n, vertical_spacing=min(0.3 / n, 0.08), titles=[p["title"] for p in panels])
    for i, p in enumerate(panels, start=1):
        fig.add(
            "scatter",
            x=p["weeks"],
            y=p["before"],
            name=t("去年同周"),
            mode="lines",
            connectgaps=False,
            line={"color": LAST_YEAR, "width": 1.6, "dash": "dot"},
            legendgroup="before",
            showlegend=i == 1,
            hovertemplate=t("去年同周 %{y:,d} ") + unit,
            row=i,
        )
        fig.add(
            "scatter",
            x=p["weeks"],
            y=p["now"],
            name=t("今年"),
            mode="lines",
            legendgroup="now",
            line={"color": colour, "width": 2.2},
            showlegend=i == 1,
            hovertemplate=t("今年 %{y:,d} ") + unit,
            row=i,
        )
        if p["weeks"]:  # the weeks' span, to their last Sunday
            span = {"first": dt.date.fromisoformat(p["weeks"][0]), "last": dt.date.fromisoformat(p["weeks"][-1]) + WEEK_END}
            mark_periods(fig, **span, campaigns=campaigns or [], reform=reform, row=i, label=i == 1, reform_label=i == 1)
    _layout(fig, y_title="")
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 34, "b": 30}, legend={"y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"}
    )
    fig.update_xaxes(tickformat="%m-%d", hoverformat=t("%Y-%m-%d（周一起）"))
    fig.update_yaxes(nticks=3)
    _font_size(fig, 12)
    for a in fig.annotations:
        if a["text"] in [p["title"] for p in panels]:
            _merge(a, {"xanchor": "left", "x": 0, "font": {"size": 12, "color": "#1d2733"}})
    return fig


def monthly_bars(
    months: list[str], series: list[dict[str, Any]], *, y_title: str, unit: str, partial: str | None = None
) -> Figure:
    """Grouped monthly bars. series: [{name, values: [n], colour}]; ``partial``: the month
    (iso date of its first day) that is not complete yet, drawn lighter."""
    fig = Figure()
    for s in series:
        opacity = [0.45 if partial is not None and m == partial else 1.0 for m in months]
        fig.add(
            "bar",
            x=months,
            y=s["values"],
            name=s["name"],
            marker={"color": s["colour"], "opacity": opacity},
            hovertemplate=s["name"] + " %{y:,d} " + unit + "<extra></extra>",
        )
    fig.update_layout(barmode="group", bargap=0.2)
    _layout(fig, y_title=y_title)
    fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m", tickangle=0, nticks=6)
    return fig


def keep_labels_inside(fig: Figure, first: dt.date, last: dt.date) -> Figure:
    """Date-anchored labels (e.g. of mark_periods) in the right third of [first, last] are
    right-aligned to their date, so a phone-width chart does not cut them off."""
    cut = first + (last - first) * 2 / 3
    for a in fig.annotations:
        try:
            x = dt.date.fromisoformat(str(a.get("x"))[:10])
        except ValueError:
            continue
        if x > cut and a.get("xanchor") == "left":
            a.update(xanchor="right", xshift=-3)
    return fig

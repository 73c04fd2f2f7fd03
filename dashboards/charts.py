"""Plotly figures for the site, sized for a phone first; labels in the language being built
(`dashboards.i18n`: Chinese, or English under en/).

Each figure is rendered as a ``<div>`` without plotly.js (pages load the one shared copy
from ``assets/plotly.min.js``) and with a fixed div id, so output is deterministic.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

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


def _layout(fig: go.Figure, *, y_title: str, y_percent: bool = False) -> go.Figure:
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


@functools.cache
def _template() -> dict[str, Any]:
    """plotly_white as plain JSON, resolved once: setting the template on each figure costs
    ~25 ms of plotly's validation (10 of the 98 s a district site took, ~400 charts)."""
    return pio.templates["plotly_white"].to_plotly_json()


def to_div(fig: go.Figure, div_id: str, height: int = 320) -> str:
    config = CONFIG if i18n.current() == "zh" else {k: v for k, v in CONFIG.items() if k != "locale"}
    spec = fig.to_dict()
    spec["layout"]["template"] = _template()
    return pio.to_html(
        spec,
        validate=False,  # the figure was validated as it was built
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=config,
        default_height=f"{height}px",
        default_width="100%",
    )


def one_visit_counts(series: list[dict]) -> go.Figure:
    """series: [{name, weeks: [date], one_visit: [int]}] per township."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_bar(
            x=s["weeks"],
            y=s["one_visit"],
            name=s["name"],
            marker_color=TOWN_COLOURS[i % len(TOWN_COLOURS)],
            hovertemplate=t("%{y:,d} 件次"),
        )
    fig.update_layout(barmode="group", bargap=0.15)
    return _layout(fig, y_title=t("件次/周"))


def one_visit_share(series: list[dict]) -> go.Figure:
    """series: [{name, weeks, share: [float 0..1 | None]}] per township."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_scatter(
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


def alarms_yoy(weeks: list, this_year: list, last_year: list, colour: str, unit: str | None = None) -> go.Figure:
    """Weekly valid alarms against the same ISO week a year earlier (y axis: ``unit``, 起/周)."""
    fig = go.Figure()
    fig.add_scatter(
        x=weeks,
        y=last_year,
        name=t("去年同周"),
        mode="lines",
        connectgaps=False,
        line={"color": LAST_YEAR, "width": 2, "dash": "dot"},
        hovertemplate=t("%{y:,d} 起"),
    )
    fig.add_scatter(
        x=weeks,
        y=this_year,
        name=t("本期"),
        mode="lines+markers",
        marker={"size": 4},
        line={"color": colour, "width": 2.5},
        hovertemplate=t("%{y:,d} 起"),
    )
    return _layout(fig, y_title=unit or t("起/周"))


def months_since_reform(series: list[dict], *, y_title: str, unit: str) -> go.Figure:
    """One indicator per 10,000 常住人口 by months since each township's reform start.

    series: [{name, months: [int], rates: [float], counts: [float], labels: [str],
    small: [bool], campaigns: [str]}] per township (complete months only). Points resting on
    fewer than 20 events are drawn hollow (小基数); months with a 专项行动 as diamonds, its name
    in the hover (a campaign month's spike is the campaign, not the routine).
    """
    fig = go.Figure()
    for i, s in enumerate(series):
        colour = TOWN_COLOURS[i % len(TOWN_COLOURS)]
        marker, notes = _month_points(s, colour)
        fig.add_scatter(
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
    fig.add_vline(x=0, line={"color": REFORM, "width": 1, "dash": "dash"})
    fig.add_annotation(
        x=0,
        y=1,
        yref="paper",
        text=t("改革起始"),
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 12, "color": REFORM},
        xshift=3,
        bgcolor=LABEL_BG,
    )
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
    fig: go.Figure,
    *,
    first: dt.date,
    last: dt.date,
    campaigns: list[dict[str, Any]],
    reform: dt.date | None,
    row: int | None = None,
    label: bool = True,
    reform_label: bool = True,
) -> go.Figure:
    """Shade each 专项行动 period and draw the reform date, where they fall in [first, last].

    campaigns: [{campaign, first_date, last_date}] of one township; ``label`` names the
    campaigns, ``reform_label`` the reform line (small multiples name them once).
    """
    # Plain dicts added in one assignment: plotly's add_vrect / add_vline re-validate the
    # figure per call (measured: 20 of the 98 s a district site took, 22 towns' small multiples)
    xref, yref = ("x", "y domain") if row is None else (_xref(fig, row), _yref(fig, row))
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
    if shapes:
        fig.layout.shapes = (*fig.layout.shapes, *shapes)
    if notes:
        fig.layout.annotations = (*fig.layout.annotations, *notes)
    return fig


def _xref(fig: go.Figure, row: int) -> str:
    return "x" if row == 1 else f"x{row}"


def _yref(fig: go.Figure, row: int) -> str:
    return ("y" if row == 1 else f"y{row}") + " domain"


def inspections_by_kind(series: list[dict[str, Any]], *, first: dt.date, last: dt.date, y_title: str | None = None) -> go.Figure:
    """Small multiples: one panel per township with its own y axis, weekly bars stacked
    日常 / 专项行动, campaign periods shaded and the reform date marked.

    series: [{name, weeks: [iso date], routine: [n], campaign: [n] | None,
              campaigns: [...], reform: date | None}] per township.
    """
    n = max(len(series), 1)
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        # about 0.12 of the height between two panels, less for many (a district's 22 towns):
        # plotly refuses a gap over 1 / (rows - 1)
        vertical_spacing=min(0.12, 0.5 / n) if n > 1 else 0.0,
        subplot_titles=[s["name"] for s in series],
    )
    for i, s in enumerate(series, start=1):
        fig.add_bar(
            x=s["weeks"],
            y=s["routine"],
            name=t("日常检查"),
            marker_color=TOWN_COLOURS[0],
            legendgroup="routine",
            showlegend=i == 1,
            hovertemplate=t("日常 %{y:,d}"),
            row=i,
            col=1,
        )
        if s.get("campaign") is not None:
            fig.add_bar(
                x=s["weeks"],
                y=s["campaign"],
                name=t("专项行动"),
                marker_color=CAMPAIGN_FILL,
                legendgroup="campaign",
                showlegend=i == 1,
                hovertemplate=t("专项 %{y:,d}"),
                row=i,
                col=1,
            )
        mark_periods(fig, first=first, last=last, campaigns=s.get("campaigns") or [], reform=s.get("reform"), row=i)
    fig.update_layout(barmode="stack", bargap=0.15)
    _layout(fig, y_title=y_title or t("件次/周"))
    fig.update_layout(margin={"l": 48, "r": 12, "t": 28, "b": 36}, legend={"y": 1.06 if n > 1 else 1.0})
    fig.update_annotations(font_size=12)
    for a in fig.layout.annotations:
        if a.text in [s["name"] for s in series]:
            a.update(font={"size": 13, "color": "#1d2733"}, xanchor="left", x=0)
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


def _compact(values: list[float | None]) -> Any:
    """A typed array (plotly writes it base64-encoded): whole numbers as int16/int32, else float64."""
    import numpy as np

    vals = [0.0 if v is None else float(v) for v in values]
    if all(v.is_integer() and abs(v) < 2**15 for v in vals):
        return np.asarray(vals, dtype=np.int16)
    if all(v.is_integer() and abs(v) < 2**31 for v in vals):
        return np.asarray(vals, dtype=np.int32)
    return np.asarray(vals, dtype=np.float64)


def daily_drilldown(
    start: dt.date, daily: list[float], rolling: list[float], *, colour: str, unit: str, rolling_label: str | None = None
) -> go.Figure:
    """One indicator of one township, every day from ``start``: the 28-day running total on
    top (the KPI card's big number over time) and the daily counts below.

    Evenly spaced days (x0/dx) and typed arrays keep a 600-day series a few kB.
    """
    rolling_label = rolling_label or t("近28天合计")
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        row_heights=[0.55, 0.45],
        subplot_titles=[rolling_label, t("每日")],
    )
    fig.add_scatter(
        x0=start.isoformat(),
        dx=DAY_MS,
        y=_compact(rolling),
        mode="lines",
        name=rolling_label,
        line={"color": colour, "width": 2},
        hovertemplate=t("%{{x|%Y-%m-%d}} 止近28天 %{{y:,.0f}} {unit}", unit=unit) + "<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_bar(
        x0=start.isoformat(),
        dx=DAY_MS,
        y=_compact(daily),
        name=t("每日"),
        marker_color=colour,
        marker_line_width=0,
        hovertemplate=t("%{{x|%Y-%m-%d}} 当天 %{{y:,.0f}} {unit}", unit=unit) + "<extra></extra>",
        row=2,
        col=1,
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
    fig.update_annotations(font_size=12)
    for a in fig.layout.annotations:
        a.update(xanchor="left", x=0)
    return fig


def weekly_yoy_panels(
    panels: list[dict[str, Any]],
    *,
    colour: str,
    unit: str | None = None,
    campaigns: list[dict[str, Any]] | None = None,
    reform: dt.date | None = None,
) -> go.Figure:
    """Small multiples, one panel per category (own y axis): each complete week of this year
    against the same ISO week last year (a gap where last year has no data); the township's
    专项行动 periods shaded and its reform date marked in every panel, named in the first.

    panels: [{title, weeks: [iso date], now: [n], before: [n | None]}]; ``unit``: 起.
    """
    unit = unit or t("起")
    n = max(len(panels), 1)
    fig = make_subplots(
        rows=n, cols=1, shared_xaxes=True, vertical_spacing=min(0.3 / n, 0.08), subplot_titles=[p["title"] for p in panels]
    )
    for i, p in enumerate(panels, start=1):
        fig.add_scatter(
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
            col=1,
        )
        fig.add_scatter(
            x=p["weeks"],
            y=p["now"],
            name=t("今年"),
            mode="lines",
            legendgroup="now",
            line={"color": colour, "width": 2.2},
            showlegend=i == 1,
            hovertemplate=t("今年 %{y:,d} ") + unit,
            row=i,
            col=1,
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
    fig.update_annotations(font_size=12)
    for a in fig.layout.annotations:
        if a.text in [p["title"] for p in panels]:
            a.update(xanchor="left", x=0, font={"size": 12, "color": "#1d2733"})
    return fig


def monthly_bars(
    months: list[str], series: list[dict[str, Any]], *, y_title: str, unit: str, partial: str | None = None
) -> go.Figure:
    """Grouped monthly bars. series: [{name, values: [n], colour}]; ``partial``: the month
    (iso date of its first day) that is not complete yet, drawn lighter."""
    fig = go.Figure()
    for s in series:
        opacity = [0.45 if partial is not None and m == partial else 1.0 for m in months]
        fig.add_bar(
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


def keep_labels_inside(fig: go.Figure, first: dt.date, last: dt.date) -> go.Figure:
    """Date-anchored labels (e.g. of mark_periods) in the right third of [first, last] are
    right-aligned to their date, so a phone-width chart does not cut them off."""
    cut = first + (last - first) * 2 / 3
    for a in fig.layout.annotations:
        try:
            x = dt.date.fromisoformat(str(a.x)[:10])
        except ValueError:
            continue
        if x > cut and a.xanchor == "left":
            a.update(xanchor="right", xshift=-3)
    return fig

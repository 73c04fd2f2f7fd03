"""Plotly figures for the site, with Chinese labels, sized for a phone first.

Each figure is rendered as a ``<div>`` without plotly.js (pages load the one shared copy
from ``assets/plotly.min.js``) and with a fixed div id, so output is deterministic.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
# One colour per township (in township-code order), colour-blind safe.
TOWN_COLOURS = ["#1f6fb2", "#e07b00", "#2a9d5c", "#8e44ad"]
LAST_YEAR = "#9aa5b1"

CAMPAIGN_FILL = "#f4a259"
REFORM = "#b3261e"
# No mode bar (it covered legends on phones and spoke English); the zh-CN locale is
# registered by assets/site.js (bundled, no CDN) before any chart is drawn.
CONFIG = {
    "displaylogo": False,
    "displayModeBar": False,
    "responsive": True,
    "scrollZoom": False,
    "locale": "zh-CN",
}


def _layout(fig: go.Figure, *, y_title: str, y_percent: bool = False) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1d2733"},
        margin={"l": 44, "r": 12, "t": 8, "b": 36},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        hovermode="x unified",
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
        dragmode=False,
    )
    fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m-%d（周一起）", showgrid=False)
    fig.update_yaxes(title={"text": y_title, "font": {"size": 12}}, rangemode="tozero",
                     tickformat=".0%" if y_percent else ",d", zeroline=True)
    return fig


def to_div(fig: go.Figure, div_id: str, height: int = 320) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config=CONFIG, default_height=f"{height}px", default_width="100%")


def one_visit_counts(series: list[dict]) -> go.Figure:
    """series: [{name, weeks: [date], one_visit: [int]}] per township."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_bar(x=s["weeks"], y=s["one_visit"], name=s["name"],
                    marker_color=TOWN_COLOURS[i % len(TOWN_COLOURS)],
                    hovertemplate="%{y:,d} 件次")
    fig.update_layout(barmode="group", bargap=0.15)
    return _layout(fig, y_title="件次/周")


def one_visit_share(series: list[dict]) -> go.Figure:
    """series: [{name, weeks, share: [float 0..1 | None]}] per township."""
    fig = go.Figure()
    for i, s in enumerate(series):
        fig.add_scatter(x=s["weeks"], y=s["share"], name=s["name"], mode="lines+markers",
                        marker={"size": 4}, line={"color": TOWN_COLOURS[i % len(TOWN_COLOURS)], "width": 2},
                        connectgaps=False, hovertemplate="%{y:.1%}")
    fig = _layout(fig, y_title="占比", y_percent=True)
    fig.update_yaxes(range=[0, 1])
    return fig


def alarms_yoy(weeks: list, this_year: list, last_year: list, colour: str, unit: str = "起/周") -> go.Figure:
    """Weekly valid alarms against the same ISO week a year earlier."""
    fig = go.Figure()
    fig.add_scatter(x=weeks, y=last_year, name="去年同周", mode="lines", connectgaps=False,
                    line={"color": LAST_YEAR, "width": 2, "dash": "dot"},
                    hovertemplate="%{y:,d} 起")
    fig.add_scatter(x=weeks, y=this_year, name="本期", mode="lines+markers",
                    marker={"size": 4}, line={"color": colour, "width": 2.5},
                    hovertemplate="%{y:,d} 起")
    return _layout(fig, y_title=unit)


def months_since_reform(series: list[dict], *, y_title: str, unit: str) -> go.Figure:
    """One indicator per 10,000 常住人口 by months since each township's reform start.

    series: [{name, months: [int], rates: [float], counts: [float], labels: [str],
    small: [bool]}] per township (complete months only). Points resting on fewer than
    20 events are drawn hollow (小基数).
    """
    fig = go.Figure()
    for i, s in enumerate(series):
        colour = TOWN_COLOURS[i % len(TOWN_COLOURS)]
        fig.add_scatter(
            x=s["months"], y=s["rates"], name=s["name"], mode="lines+markers",
            line={"color": colour, "width": 2.5}, connectgaps=False,
            marker={"size": [9 if sm else 6 for sm in s["small"]], "color": colour,
                    "symbol": ["circle-open" if sm else "circle" for sm in s["small"]],
                    "line": {"width": 2, "color": colour}},
            customdata=[[lab, c, "（小基数）" if sm else ""]
                        for lab, c, sm in zip(s["labels"], s["counts"], s["small"])],
            hovertemplate=("%{customdata[0]}：每万人 %{y:.2f}（%{customdata[1]:,.0f} "
                           + unit + "）%{customdata[2]}<extra>" + s["name"] + "</extra>"))
    fig = _layout(fig, y_title=y_title)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(tickformat="d", hoverformat="d", dtick=6, tickangle=0, showgrid=True, gridcolor="#eef1f5",
                     zeroline=False, title={"text": "改革后第N月（0 = 改革起始当月）", "font": {"size": 12}})
    fig.update_yaxes(tickformat=",.1f")
    fig.add_vline(x=0, line={"color": "#b3261e", "width": 1, "dash": "dash"})
    fig.add_annotation(x=0, y=1, yref="paper", text="改革起始", showarrow=False, xanchor="left",
                       yanchor="top", font={"size": 12, "color": "#b3261e"}, xshift=3)
    return fig


# ---------------------------------------------------------------- issue 10: marked time charts

def mark_periods(fig: go.Figure, *, first: dt.date, last: dt.date, campaigns: list[dict[str, Any]],
                 reform: dt.date | None, row: int | None = None, label: bool = True) -> go.Figure:
    """Shade each 专项行动 period and draw the reform date, where they fall in [first, last].

    campaigns: [{campaign, first_date, last_date}] of one township.
    """
    kw: dict[str, Any] = {} if row is None else {"row": row, "col": 1}
    for c in campaigns:
        x0, x1 = max(c["first_date"], first), min(c["last_date"], last)
        if x0 > x1:
            continue
        fig.add_vrect(x0=x0.isoformat(), x1=(x1 + dt.timedelta(days=1)).isoformat(),
                      fillcolor=CAMPAIGN_FILL, opacity=0.18, line_width=0, layer="below", **kw)
        if label:
            fig.add_annotation(x=x0.isoformat(), y=1, yref="paper" if row is None else _yref(fig, row),
                               text="专项：" + c["campaign"], showarrow=False, xanchor="left",
                               yanchor="top", font={"size": 12, "color": "#8a4b00"},
                               **({} if row is None else {"xref": _xref(fig, row)}))
    if reform is not None and first <= reform <= last:
        fig.add_vline(x=reform.isoformat(), line={"color": REFORM, "width": 1.5, "dash": "dash"}, **kw)
        fig.add_annotation(x=reform.isoformat(), y=0.82, yref="paper" if row is None else _yref(fig, row),
                           text="改革起始", showarrow=False, xanchor="left", yanchor="top",
                           font={"size": 12, "color": REFORM}, xshift=2,
                           **({} if row is None else {"xref": _xref(fig, row)}))
    return fig


def _xref(fig: go.Figure, row: int) -> str:
    return "x" if row == 1 else f"x{row}"


def _yref(fig: go.Figure, row: int) -> str:
    return ("y" if row == 1 else f"y{row}") + " domain"


def inspections_by_kind(series: list[dict[str, Any]], *, first: dt.date, last: dt.date,
                        y_title: str = "件次/周") -> go.Figure:
    """Small multiples: one panel per township with its own y axis, weekly bars stacked
    日常 / 专项行动, campaign periods shaded and the reform date marked.

    series: [{name, weeks: [iso date], routine: [n], campaign: [n] | None,
              campaigns: [...], reform: date | None}] per township.
    """
    n = max(len(series), 1)
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.12 if n > 1 else 0.0,
                        subplot_titles=[s["name"] for s in series])
    for i, s in enumerate(series, start=1):
        fig.add_bar(x=s["weeks"], y=s["routine"], name="日常检查", marker_color=TOWN_COLOURS[0],
                    legendgroup="routine", showlegend=i == 1, hovertemplate="日常 %{y:,d}",
                    row=i, col=1)
        if s.get("campaign") is not None:
            fig.add_bar(x=s["weeks"], y=s["campaign"], name="专项行动", marker_color=CAMPAIGN_FILL,
                        legendgroup="campaign", showlegend=i == 1, hovertemplate="专项 %{y:,d}",
                        row=i, col=1)
        mark_periods(fig, first=first, last=last, campaigns=s.get("campaigns") or [],
                     reform=s.get("reform"), row=i)
    fig.update_layout(barmode="stack", bargap=0.15)
    _layout(fig, y_title=y_title)
    fig.update_layout(margin={"l": 48, "r": 12, "t": 28, "b": 36},
                      legend={"y": 1.06 if n > 1 else 1.0})
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
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="近{len(vals)}周走势"><polyline fill="none" stroke="{colour}" '
            f'stroke-width="1.6" points="{pts}"/><circle cx="{last[0]}" cy="{last[1]}" r="2.2" '
            f'fill="{colour}"/></svg>')

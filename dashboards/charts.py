"""Plotly figures for the site, with Chinese labels, sized for a phone first.

Each figure is rendered as a ``<div>`` without plotly.js (pages load the one shared copy
from ``assets/plotly.min.js``) and with a fixed div id, so output is deterministic.
"""
from __future__ import annotations

import plotly.graph_objects as go

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
# One colour per township (in township-code order), colour-blind safe.
TOWN_COLOURS = ["#1f6fb2", "#e07b00", "#2a9d5c", "#8e44ad"]
LAST_YEAR = "#9aa5b1"

CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"],
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
                       yanchor="top", font={"size": 11, "color": "#b3261e"}, xshift=3)
    return fig

"""Chart builders (dashboards/charts.py): figures are plain plotly JSON, so plotly validates
every figure a built site draws here; and a small-multiples chart builds for any number of
townships (a district has 22; plotly refuses a panel gap over 1 / (rows - 1), and the
district bench's site step once failed on it)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboards import charts


def _figures(html: str) -> list[tuple[str, list[dict], dict]]:
    """(div id, traces, layout) of every Plotly.newPlot("id", [traces], {layout}, …) call."""
    out, decoder, key = [], json.JSONDecoder(), "Plotly.newPlot("
    pos = html.find(key)
    while pos >= 0:
        rest = html[pos + len(key) :]
        args, end = [], 0
        for _ in range(3):
            rest = rest[end:].lstrip(" \n,")
            value, end = decoder.raw_decode(rest)
            args.append(value)
        out.append(tuple(args))
        pos = html.find(key, pos + 1)
    return out


def _normalised(data: list[dict], layout: dict) -> tuple[list[dict], dict]:
    """The figure as plotly itself writes it: every property validated (a misspelt or
    misplaced one raises ValueError) and magic-underscore names (marker_color) expanded,
    which plotly.js would not do."""
    spec = json.loads(json.dumps(go.Figure(data=data, layout=layout).to_dict(), cls=PlotlyJSONEncoder))
    return spec["data"], {k: v for k, v in spec["layout"].items() if k != "template"}


def test_plotly_validates_every_figure_the_site_draws_and_changes_nothing(synthetic_site: Path):
    figures = [(p, *f) for p in sorted(synthetic_site.rglob("*.html")) for f in _figures(p.read_text(encoding="utf-8"))]
    assert len(figures) > 40, len(figures)
    for page, div_id, data, layout in figures:
        try:
            normalised = _normalised(data, layout)
        except ValueError as exc:
            pytest.fail(f"{page.name} {div_id}: {exc}")
        assert normalised == (data, {k: v for k, v in layout.items() if k != "template"}), f"{page.name} {div_id}"
    # the kinds the builders make: stacked panels, typed arrays, shaded periods
    assert any("xaxis2" in layout for *_, layout in figures)
    assert any(isinstance(t.get("y"), dict) and "bdata" in t["y"] for _, _, data, _ in figures for t in data)
    assert any(s["type"] == "rect" for *_, layout in figures for s in layout.get("shapes", []))


def test_a_misspelt_or_magic_underscore_property_is_caught():
    def bars():
        return charts.monthly_bars(
            ["2022-07-01"], [{"name": "义桥镇", "values": [3], "colour": "#1f6fb2"}], y_title="件", unit="件"
        )

    fig = bars()
    assert _normalised(fig.data, fig.layout) == (fig.data, fig.layout)
    fig.data[0]["marker"]["colr"] = "red"
    with pytest.raises(ValueError, match="colr"):
        _normalised(fig.data, fig.layout)
    fig = bars()
    fig.data[0]["marker_line_width"] = 0  # plotly takes it; plotly.js would ignore it
    assert _normalised(fig.data, fig.layout) != (fig.data, fig.layout)


@pytest.mark.parametrize("towns", [1, 2, 22, 40])
def test_inspections_small_multiples_build_for_any_number_of_townships(towns):
    weeks = [(dt.date(2022, 6, 6) + dt.timedelta(weeks=i)).isoformat() for i in range(8)]
    series = [
        {"name": f"镇{i}", "weeks": weeks, "routine": [i] * 8, "campaign": None, "campaigns": [], "reform": None}
        for i in range(towns)
    ]
    fig = charts.inspections_by_kind(series, first=dt.date(2022, 6, 6), last=dt.date(2022, 7, 31))
    assert len(fig.data) == towns
    domains = [fig.layout[f"yaxis{i if i > 1 else ''}"]["domain"] for i in range(1, towns + 1)]
    assert all(lo < hi for lo, hi in domains)  # every panel keeps a height of its own
    assert [a["text"] for a in fig.annotations] == [s["name"] for s in series]
    go.Figure(data=fig.data, layout=fig.layout)

"""Chart builders at district scale: a district has 22 townships, and a small-multiples chart
must still build with one panel each (plotly refuses a panel gap over 1 / (rows - 1); the
district bench's site step failed on it)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import charts


@pytest.mark.parametrize("towns", [1, 2, 22, 40])
def test_inspections_small_multiples_build_for_any_number_of_townships(towns):
    weeks = [(dt.date(2022, 6, 6) + dt.timedelta(weeks=i)).isoformat() for i in range(8)]
    series = [
        {"name": f"镇{i}", "weeks": weeks, "routine": [i] * 8, "campaign": None, "campaigns": [], "reform": None}
        for i in range(towns)
    ]
    fig = charts.inspections_by_kind(series, first=dt.date(2022, 6, 6), last=dt.date(2022, 7, 31))
    assert len(fig.data) == towns
    domains = [fig.layout[f"yaxis{i if i > 1 else ''}"].domain for i in range(1, towns + 1)]
    assert all(lo < hi for lo, hi in domains)  # every panel keeps a height of its own

"""What the pages show of a comparison (mart rows), week helpers and formatting."""

import datetime as dt

import pytest

from dashboards import metrics
from dashboards.metrics import Comparison, Shown


def _row(**kw):
    row = {
        "has_prior_data": True,
        "value_now": 0.0,
        "value_before": 0.0,
        "abs_change": 0.0,
        "pct_change": None,
        "is_small_base": True,
        "poisson_z": 0.0,
        "signal": "none",
    }
    row.update(kw)
    return row


def test_mart_row_small_base_shows_no_percent():
    c = Shown.from_mart(
        _row(value_now=30, value_before=19, abs_change=11, pct_change=None, is_small_base=True, poisson_z=2.24, signal="watch")
    )
    assert (c.now, c.before, c.abs_change, c.pct_change, c.level) == (30, 19, 11, None, "watch")
    assert metrics.fmt_pct_change(c) == "小基数"


def test_mart_row_percent_and_signal():
    c = Shown.from_mart(
        _row(
            value_now=24, value_before=76, abs_change=-52, pct_change=-68.42, is_small_base=False, poisson_z=-7.64, signal="alert"
        )
    )
    assert metrics.fmt_pct_change(c) == "−68.4%"
    assert c.level == "alert" and c.z == pytest.approx(-7.64)
    assert Shown.from_mart(_row(value_now=5, value_before=4, signal="none")).level is None


def test_mart_row_without_prior_data_is_no_comparison():
    c = Shown.from_mart(
        _row(
            has_prior_data=False,
            value_now=26042,
            value_before=None,
            abs_change=None,
            is_small_base=None,
            poisson_z=None,
            signal=None,
        )
    )
    assert c.now == 26042
    assert c.before is None and c.abs_change is None and c.pct_change is None and c.level is None
    assert metrics.fmt_pct_change(c) == "—"


# Comparison applies the rules of dbt/macros/comparisons.sql to the periods that are not mart
# windows; these are the cases of the mart's unit test comparisons_small_base_and_poisson_signal.
@pytest.mark.parametrize(
    "now,before,pct,level",
    [
        (4, 16, None, "alert"),
        (20, 25, -20.0, None),
        (45, 20, 125.0, "alert"),
        (16, 9, None, "watch"),
        (36, 19, None, "alert"),
        (0, 0, None, None),
        (9, 0, None, "alert"),
    ],
)
def test_comparison_follows_the_mart_rules(now, before, pct, level):
    c = Comparison(now, before)
    assert c.abs_change == now - before
    assert c.pct_change == (pytest.approx(pct) if pct is not None else None)
    assert c.level == level


def test_no_comparison_without_earlier_data():
    c = Comparison(now=5, before=None)
    assert c.abs_change is None and c.pct_change is None and c.level is None
    assert metrics.fmt_pct_change(c) == "—"


def test_year_earlier_handles_leap_day():
    assert metrics.year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert metrics.year_earlier(dt.date(2022, 8, 24)) == dt.date(2021, 8, 24)


def test_last_full_week_is_monday_to_sunday():
    assert metrics.last_full_week(dt.date(2022, 8, 24)) == (dt.date(2022, 8, 15), dt.date(2022, 8, 21))
    assert metrics.last_full_week(dt.date(2022, 8, 21)) == (dt.date(2022, 8, 15), dt.date(2022, 8, 21))


def test_signed_and_share_formatting():
    assert metrics.fmt_signed(1169) == "+1,169" and metrics.fmt_signed(-5) == "−5"
    assert metrics.fmt_signed(0) == "±0"
    assert metrics.fmt_share(335, 419) == "80.0%" and metrics.fmt_share(3, 0) == "—"

"""The comparison rules of contract §7 as used on the pages (pure functions)."""
import datetime as dt

import pytest

from dashboards import metrics
from dashboards.metrics import Comparison


def test_small_base_shows_no_percent():
    c = Comparison(now=30, before=19)
    assert c.small_base and c.pct_change is None
    assert metrics.fmt_pct_change(c) == "小基数"
    assert c.abs_change == 11


def test_percent_from_a_base_of_twenty():
    c = Comparison(now=10, before=20)
    assert not c.small_base
    assert c.pct_change == pytest.approx(-50.0)
    assert metrics.fmt_pct_change(c) == "−50.0%"


def test_headline_reduction_rounds_to_one_decimal():
    # 非法捕捞 May–June: 76 → 24 is −68.4 %; the formatter shows one decimal.
    assert metrics.fmt_pct_change(Comparison(now=24, before=76)) == "−68.4%"


@pytest.mark.parametrize("now,before,level", [
    (100, 100, None), (12, 9, None), (16, 9, "watch"), (9, 16, "watch"), (16, 4, "alert"),
    (25, 49, "alert"), (3, 0, None)])
def test_poisson_z_levels(now, before, level):
    assert Comparison(now, before).level == level


def test_no_comparison_without_earlier_data():
    c = Comparison(now=5, before=None)
    assert c.abs_change is None and c.pct_change is None and c.level is None and not c.small_base
    assert metrics.fmt_pct_change(c) == "—"


def test_year_earlier_handles_leap_day():
    assert metrics.year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert metrics.year_earlier(dt.date(2022, 8, 24)) == dt.date(2021, 8, 24)


def test_last_full_week_is_monday_to_sunday():
    assert metrics.last_full_week(dt.date(2022, 8, 24)) == (dt.date(2022, 8, 15), dt.date(2022, 8, 21))
    assert metrics.last_full_week(dt.date(2022, 8, 21)) == (dt.date(2022, 8, 15), dt.date(2022, 8, 21))


def test_same_iso_week_last_year():
    assert metrics.same_iso_week_last_year(dt.date(2022, 8, 15)) == (dt.date(2021, 8, 16), dt.date(2021, 8, 22))
    # 2020 has an ISO week 53; 2019 does not: fall back to week 52.
    assert metrics.same_iso_week_last_year(dt.date(2020, 12, 28))[0] == dt.date(2019, 12, 23)


def test_windows():
    ws = {w.key: w for w in metrics.windows(dt.date(2022, 8, 24), dt.date(2022, 6, 1))}
    assert list(ws) == ["week", "d28", "ytd", "reform"]
    assert (ws["d28"].start, ws["d28"].prev_start, ws["d28"].prev_end) == (
        dt.date(2022, 7, 28), dt.date(2021, 7, 28), dt.date(2021, 8, 24))
    assert (ws["ytd"].start, ws["ytd"].prev_end) == (dt.date(2022, 1, 1), dt.date(2021, 8, 24))
    assert ws["reform"].start == dt.date(2022, 6, 1)
    assert "reform" not in {w.key for w in metrics.windows(dt.date(2022, 5, 1), dt.date(2022, 6, 1))}

"""Comparison windows and the comparison rules of contract §7, as pure functions.

Rules (pipelines/contract.yaml `comparison_rules`): weeks run Monday–Sunday; each window
is compared with the same period a year earlier; the absolute change is always shown; a
percent change only when the earlier count is at least 20 (else 小基数); Poisson
z = 2(√now − √before) marks |z| ≥ 2 as watch (关注) and ≥ 3 as alert (预警).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

SMALL_BASE = 20
Z_WATCH = 2.0
Z_ALERT = 3.0


def year_earlier(d: dt.date) -> dt.date:
    """The same calendar day a year earlier (29 Feb → 28 Feb)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


@dataclass(frozen=True)
class Window:
    key: str
    label: str          # shown to users, e.g. 近28天
    start: dt.date
    end: dt.date        # inclusive
    prev_start: dt.date
    prev_end: dt.date

    @property
    def span(self) -> str:
        return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"

    @property
    def prev_span(self) -> str:
        return f"{self.prev_start:%Y-%m-%d}至{self.prev_end:%Y-%m-%d}"


def last_full_week(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The latest Monday–Sunday week that ends on or before as_of."""
    sunday = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    return sunday - dt.timedelta(days=6), sunday


def same_iso_week_last_year(monday: dt.date) -> tuple[dt.date, dt.date]:
    year, week, _ = monday.isocalendar()
    try:
        start = dt.date.fromisocalendar(year - 1, week, 1)
    except ValueError:  # week 53 has no counterpart: use last year's week 52
        start = dt.date.fromisocalendar(year - 1, 52, 1)
    return start, start + dt.timedelta(days=6)


def windows(as_of: dt.date, reform_start: dt.date | None = None) -> list[Window]:
    """上周 (last full ISO week), 近28天, 今年以来 and, when known, 改革以来."""
    wk_start, wk_end = last_full_week(as_of)
    pw_start, pw_end = same_iso_week_last_year(wk_start)
    out = [Window("week", "上周", wk_start, wk_end, pw_start, pw_end)]
    d28 = as_of - dt.timedelta(days=27)
    out.append(Window("d28", "近28天", d28, as_of, year_earlier(d28), year_earlier(as_of)))
    jan1 = as_of.replace(month=1, day=1)
    out.append(Window("ytd", "今年以来", jan1, as_of, year_earlier(jan1), year_earlier(as_of)))
    if reform_start is not None and reform_start <= as_of:
        out.append(Window("reform", "改革以来", reform_start, as_of,
                          year_earlier(reform_start), year_earlier(as_of)))
    return out


@dataclass(frozen=True)
class Comparison:
    """A count now against the same period a year earlier.

    ``before`` is None when the data do not reach back to the earlier period (e.g. the
    warehouse starts in 2021): no change is shown rather than a change against zero.
    """
    now: float
    before: float | None

    @property
    def comparable(self) -> bool:
        return self.before is not None

    @property
    def abs_change(self) -> float | None:
        return None if self.before is None else self.now - self.before

    @property
    def small_base(self) -> bool:
        return self.before is not None and self.before < SMALL_BASE

    @property
    def pct_change(self) -> float | None:
        """Percent change, or None under the small-base rule (never a misleading %)."""
        if self.before is None or self.small_base:
            return None
        return 100.0 * (self.now - self.before) / self.before

    @property
    def z(self) -> float | None:
        if self.before is None:
            return None
        return 2.0 * (math.sqrt(max(self.now, 0.0)) - math.sqrt(max(self.before, 0.0)))

    @property
    def level(self) -> str | None:
        """'alert' (|z| ≥ 3), 'watch' (|z| ≥ 2) or None.

        Not marked when the earlier count is 0: a measure that did not exist a year ago
        (首违提醒 before the reform) is not a significant change, just a new one.
        """
        if not self.before:
            return None
        z = abs(self.z)
        if z >= Z_ALERT:
            return "alert"
        if z >= Z_WATCH:
            return "watch"
        return None


# ---- formatting (Chinese conventions: thousands separators, full-width brackets) ----

def fmt_num(v: float | None, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if digits == 0:
        return f"{round(v):,}"
    return f"{v:,.{digits}f}"


def fmt_signed(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "—"
    s = fmt_num(abs(v), digits)
    if round(v, digits) > 0:
        return "+" + s
    if round(v, digits) < 0:
        return "−" + s
    return "±0"


def fmt_pct_change(c: Comparison) -> str:
    if c.before is None:
        return "—"
    p = c.pct_change
    if p is None:
        return "小基数"
    return fmt_signed(p, 1) + "%"


def fmt_share(part: float, whole: float) -> str:
    if not whole:
        return "—"
    return f"{100.0 * part / whole:.1f}%"

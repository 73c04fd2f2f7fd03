"""Comparisons as the pages show them, week helpers for the charts, and number formatting.

The comparison rules of contract §7 (windows vs the same period a year earlier, absolute
change, percent only when the earlier count is ≥ 20 else 小基数, Poisson z with watch /
alert) are defined once, in dbt: `mart_indicator_comparisons` (dbt/models/marts/
comparisons, proven by its unit tests). The KPI cards show its rows through `Shown`.

`Comparison` remains only for figures whose periods are not windows of that mart (the
totals over the compared weeks of the alarm charts, 日常 inspections against their own
year-earlier count); it applies the same rules as the mart's macros
(dbt/macros/comparisons.sql) and its tests check them against the same cases.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import i18n


@dataclass(frozen=True)
class Shown:
    """One comparison ready for the page: what the template's ``change`` macro reads.

    ``before`` is None when the data do not reach back to the earlier period (then
    ``abs_change``, ``pct_change``, ``level`` and ``z`` are None too): 去年同期无数据.
    ``pct_change`` is None with a ``before`` under the small-base rule (小基数).
    ``level`` is 'alert', 'watch' or None.
    """

    now: float
    before: float | None
    abs_change: float | None
    pct_change: float | None
    level: str | None
    z: float | None

    @classmethod
    def from_mart(cls, row: Mapping[str, Any]) -> Shown:
        """A row of mart_indicator_comparisons."""
        if not row.get("has_prior_data"):
            return cls(float(row["value_now"] or 0), None, None, None, None, None)
        signal = row.get("signal")
        return cls(
            now=float(row["value_now"] or 0),
            before=float(row["value_before"] or 0),
            abs_change=_float(row.get("abs_change")),
            pct_change=_float(row.get("pct_change")),
            level=signal if signal in ("alert", "watch") else None,
            z=_float(row.get("poisson_z")),
        )


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


# The mart's rules (dbt/macros/comparisons.sql), for the figures that are not mart windows.
SMALL_BASE = 20
Z_WATCH = 2.0
Z_ALERT = 3.0


@dataclass(frozen=True)
class Comparison:
    """A count now against a year earlier, for periods that are not windows of
    mart_indicator_comparisons. ``before`` None: the data do not reach back that far."""

    now: float
    before: float | None

    @property
    def abs_change(self) -> float | None:
        return None if self.before is None else self.now - self.before

    @property
    def pct_change(self) -> float | None:
        if self.before is None or self.before < SMALL_BASE:
            return None
        return 100.0 * (self.now - self.before) / self.before

    @property
    def z(self) -> float | None:
        if self.before is None:
            return None
        return 2.0 * (math.sqrt(max(self.now, 0.0)) - math.sqrt(max(self.before, 0.0)))

    @property
    def level(self) -> str | None:
        if self.z is None:
            return None
        if abs(self.z) >= Z_ALERT:
            return "alert"
        if abs(self.z) >= Z_WATCH:
            return "watch"
        return None


def change_class(abs_change: float | None, better: str | None) -> str:
    """'good' / 'bad' for a change in the direction the contract's indicator aims at
    (`better: up | down`), 'neutral' without a direction or without a change."""
    if better is None or not abs_change:
        return "neutral"
    return "good" if (abs_change > 0) == (better == "up") else "bad"


# ---- weeks and dates for the charts ----


def year_earlier(d: dt.date) -> dt.date:
    """The same calendar day a year earlier (29 Feb → 28 Feb)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def last_full_week(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The latest Monday–Sunday week that ends on or before as_of."""
    sunday = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    return sunday - dt.timedelta(days=6), sunday


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


def fmt_pct_change(c: Shown | Comparison) -> str:
    """The percent change of a comparison, 小基数 where the rule withholds it, — without data."""
    if c.before is None:
        return "—"
    if c.pct_change is None:
        return i18n.t("小基数")
    return fmt_signed(c.pct_change, 1) + "%"


def fmt_share(part: float, whole: float) -> str:
    if not whole:
        return "—"
    return f"{100.0 * part / whole:.1f}%"

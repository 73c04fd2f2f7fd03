"""Fixtures for the site tests: a small synthetic warehouse with every model the site reads
(the dbt exposure ``report_site``), each with the columns and types dbt gives it
(``MART_COLUMNS``; tests/dashboards/test_synthetic_warehouse.py keeps them equal to the
yml docs and to the demo warehouse), and a site built from it.

`synthetic_site` is built here from the synthetic warehouse. The browser tests run over
it and, when the session fixture `published_site` of tests/conftest.py exists (the site
the demo pipeline published), over that one too. No fixture here shadows `published_site`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

AS_OF = dt.date(2022, 8, 24)
START = dt.date(2021, 1, 1)
TOWNS = (  # code, name, reform start, 常住人口, area
    ("330109112", "义桥镇", dt.date(2022, 6, 1), 114000, 74.3),
    ("330109119", "瓜沥镇", dt.date(2021, 7, 1), 300000, 126.9),
)
THIRD_TOWN = ("330109199", "新街镇")  # in mart_grid_map only, with no polygons (its grids are only listed)
CELL = 30  # map units per synthetic square polygon of mart_grid_map
# A 专项行动 in 瓜沥 (like 除险保安 in the sample): CAMPAIGN_PER_DAY extra inspections every
# weekday of the period, all 综合查一次, on 出租房. Deterministic (no draws from the rng).
CAMPAIGN = ("330109119", "除险保安", dt.date(2022, 6, 15), dt.date(2022, 8, 14))
CAMPAIGN_PER_DAY = 300
COMPARISON_COLUMNS = (  # of mart_indicator_comparisons, in the mart's order
    "township_code",
    "window_name",
    "period_start",
    "period_end",
    "prior_start",
    "prior_end",
    "has_prior_data",
    "indicator",
    "breakdown",
    "value_now",
    "value_before",
    "abs_change",
    "pct_change",
    "is_small_base",
    "poisson_z",
    "signal",
    "rate_now_per_10k",
    "rate_before_per_10k",
)
# Every model the site reads (the dbt exposure report_site): dbt's columns and types, in order.
MART_COLUMNS: dict[str, str] = {
    "dim_grids": (
        "grid_code varchar, grid_name varchar, grid_type varchar, parent_grid_code varchar, "
        "township_code varchar, village varchar, actual_population bigint, is_micro_grid boolean, "
        "is_ranked_for_colors boolean"
    ),
    "dim_townships": (
        "township_code varchar, township_name varchar, aliases varchar, district varchar, area_km2 double, "
        "registered_population bigint, floating_population bigint, resident_population bigint, "
        "reform_start_date date"
    ),
    "fct_township_daily": (
        "township_code varchar, township_name varchar, date date, indicator varchar, breakdown varchar, value double"
    ),
    "mart_alarm_trends_weekly": (
        "township_code varchar, alarm_subcategory varchar, iso_year integer, iso_week integer, "
        "week_start date, valid_alarms bigint, valid_alarms_last_year bigint, abs_change bigint, "
        "pct_change double, is_small_base boolean, has_prior_data boolean"
    ),
    "mart_campaigns": (
        "township_code varchar, campaign varchar, target_type varchar, targets_checked bigint, "
        "inspections bigint, hazards_found bigint, hazards_accepted bigint, banned bigint, "
        "hazards_overdue bigint"
    ),
    "mart_case_lifecycle": (
        "township_code varchar, period varchar, cases_filed bigint, cases_closed bigint, "
        "median_days_to_close double, p90_days_to_close double, share_closed_over_90_days double, "
        "legal_review_share double, co_handler_share double, review_board_share double, "
        "police_transfers bigint, reconsiderations bigint, litigations bigint, repeat_party_cases bigint, "
        "repeat_parties bigint"
    ),
    "mart_empowered_matters": (
        "township_code varchar, enforcement_domain varchar, matters_in_catalogue bigint, "
        "matters_used bigint, utilisation_share double, cases_filed bigint, domains_in_catalogue bigint, "
        "domains_used bigint"
    ),
    "mart_flags": (
        "source varchar, file varchar, sheet varchar, row_number bigint, record_key varchar, "
        'reason_or_flag varchar, "column" varchar, raw_value varchar, explanation varchar'
    ),
    "mart_grid_colors": (
        "grid_code varchar, grid_name varchar, township_code varchar, window_start date, window_end date, "
        "population bigint, penalties bigint, petitions_disputes bigint, valid_alarms bigint, "
        "penalty_rate double, petition_rate double, alarm_rate double, penalty_pct double, "
        "petition_pct double, alarm_pct double, score double, color varchar, grey_reason varchar, "
        "last_week_color varchar, share_higher double, ranked_grids_in_township bigint"
    ),
    "mart_grid_map": (
        "grid_code varchar, grid_name varchar, township_code varchar, township_name varchar, "
        "window_start date, window_end date, population bigint, penalties bigint, petitions_disputes bigint, "
        "valid_alarms bigint, penalty_rate double, petition_rate double, alarm_rate double, "
        "penalty_pct double, petition_pct double, alarm_pct double, score double, color varchar, "
        "grey_reason varchar, last_week_color varchar, share_higher double, ranked_grids_in_township bigint, "
        "events_total bigint, is_few_events boolean, map_path varchar, map_unit_m integer"
    ),
    "mart_indicator_comparisons": (
        "township_code varchar, window_name varchar, period_start date, period_end date, prior_start date, "
        "prior_end date, has_prior_data boolean, indicator varchar, breakdown varchar, value_now double, "
        "value_before double, abs_change double, pct_change double, is_small_base boolean, poisson_z double, "
        "signal varchar, rate_now_per_10k double, rate_before_per_10k double"
    ),
    "mart_ingest_report": (
        "source varchar, file varchar, status varchar, rows_read bigint, rows_loaded bigint, "
        "rows_quarantined bigint, rows_superseded bigint, error varchar, rows_quarantined_at_ingest bigint, "
        "rows_future_dated bigint"
    ),
    "mart_inspection_burden": (
        "township_code varchar, inspection_year integer, target_type varchar, targets bigint, "
        "inspections bigint, one_visit_inspections bigint, inspections_per_target double, "
        "one_visit_share double"
    ),
    "mart_one_visit_weekly": (
        "township_code varchar, week_start date, target_type varchar, inspections bigint, "
        "one_visit_inspections bigint, one_visit_share double"
    ),
    "mart_quarantine": (
        "source varchar, file varchar, sheet varchar, row_number bigint, record_key varchar, "
        'reason_or_flag varchar, "column" varchar, raw_value varchar, explanation varchar'
    ),
    "mart_report_alarm_weeks": (
        "township_code varchar, alarm_subcategory varchar, iso_year integer, iso_week integer, "
        "week_start date, valid_alarms bigint, valid_alarms_last_year bigint, has_prior_data boolean"
    ),
    "mart_report_campaign_periods": (
        "township_code varchar, campaign varchar, first_date date, last_date date, inspections bigint"
    ),
    "mart_report_case_status": (
        "township_code varchar, period varchar, cases_filed bigint, cases_closed bigint, cases_open bigint, "
        "open_0_30_days bigint, open_31_90_days bigint, open_over_90_days bigint, police_transfers bigint, "
        "closed_share double"
    ),
    "mart_report_daily_series": (
        "township_code varchar, township_name varchar, indicator varchar, date date, value double, "
        "value_28d double, is_full_28d boolean"
    ),
    "mart_report_hazard_loop": (
        "township_code varchar, period varchar, inspections_with_hazards bigint, hazards_found bigint, "
        "hazards_accepted bigint, hazards_rectifying bigint, hazards_overdue bigint, hazards_other bigint, "
        "inspections_overdue bigint, accepted_share double, median_days_to_accept double"
    ),
    "mart_report_inspections_daily": (
        "township_code varchar, date date, kind varchar, inspections bigint, one_visit_inspections bigint"
    ),
    "mart_report_lead_periods": (
        "township_code varchar, event_source varchar, period varchar, months bigint, "
        "enforcement_leads bigint, leads_with_case bigint, conversion_share double, "
        "median_of_monthly_median_days double, min_monthly_median_days double, max_monthly_median_days double"
    ),
    "mart_report_open_items": (
        "township_code varchar, item_type varchar, item_id varchar, grid_code varchar, category varchar, "
        "opened_on date, due_on date, days_open integer"
    ),
    "mart_report_reform_phases": (
        "township_code varchar, indicator varchar, phase varchar, months bigint, first_month integer, "
        "last_month integer, events double, mean_per_10k double, mean_per_km2 double"
    ),
    "mart_source_status": (
        "source varchar, source_zh varchar, status varchar, files bigint, files_unreadable bigint, "
        "unreadable_files varchar, files_empty bigint, empty_files varchar, is_folder_missing boolean, "
        "newest_record_date date, as_of_date date, lag_days integer, stale_after_days integer, "
        "indicators varchar, message_zh varchar"
    ),
    "mart_township_comparison": (
        "township_code varchar, township_name varchar, indicator varchar, month_start date, "
        "months_since_reform integer, value double, value_per_10k double, value_per_km2 double, "
        "is_partial_month boolean"
    ),
}


def _create(con: duckdb.DuckDBPyConnection, name: str, select: str | None = None, params: Sequence = ()) -> None:
    """Create the model ``name`` with its dbt columns and types (MART_COLUMNS); fill it from
    ``select`` by column name (columns the select leaves out are null; values are cast)."""
    con.execute(f"create table {name} ({MART_COLUMNS[name]})")
    if select is not None:
        con.execute(f"insert into {name} by name {select}", list(params))


def _insert(con: duckdb.DuckDBPyConnection, name: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Create the model ``name`` (MART_COLUMNS) and insert ``rows`` of ``columns``."""
    _create(con, name)
    cols = ", ".join(f'"{c}"' for c in columns)
    con.executemany(f"insert into {name} ({cols}) values ({', '.join('?' * len(columns))})", [tuple(r) for r in rows])


def _daily_rows(rng: np.random.Generator, as_of: dt.date) -> list[tuple]:
    rows: list[tuple] = []
    days = [START + dt.timedelta(d) for d in range((as_of - START).days + 1)]
    for ti, (code, name, reform, _pop, _area) in enumerate(TOWNS):
        scale = 1.0 if ti == 0 else 2.2
        for day in days:
            post = day >= reform
            weekday = day.weekday() < 5

            def add(ind: str, value: float, breakdown: str = "all") -> None:
                if value:
                    rows.append((code, name, day, ind, breakdown, float(value)))

            def pois(lam: float) -> int:
                return int(rng.poisson(lam * scale))

            add("events_reported", pois(55))
            add("enforcement_leads", pois(4))
            add("petitions_disputes", pois(1.6))
            insp = {
                t: pois(lam * (1.0 if weekday else 0.3))
                for t, lam in (("企业", 3), ("沿街商铺", 6), ("出租房", 7), ("其他", 0.6))
            }
            camp = CAMPAIGN_PER_DAY if code == CAMPAIGN[0] and CAMPAIGN[2] <= day <= CAMPAIGN[3] and weekday else 0
            for t, v in insp.items():
                add("inspections", v + (camp if t == "出租房" else 0), t)
            total = sum(insp.values())
            add("inspections", total + camp)
            add("one_visit_inspections", int(rng.binomial(total, 0.7 if post else 0.06)) + camp)
            add("hazards_found", pois(5))
            add("hazards_accepted", pois(3.5))
            fields = {f: pois(lam) for f, lam in (("市容环卫", 1.2), ("城乡规划", 0.3), ("生态环境", 0.25), ("市场监管", 0.4))}
            for f, v in fields.items():
                add("cases_filed", v, f)
            add("cases_filed", sum(fields.values()))
            closed = pois(1.9)
            add("cases_closed", closed)
            add("fines_yuan", closed * 500.0 + (pois(2) * 100.0 if closed else 0))
            add("police_transfers", int(rng.poisson(0.03)))
            if post:
                fv = {"330109112-0101": pois(4.3), "330109112-0233": pois(0.4)}
                for m, v in fv.items():
                    add("first_violation_notices", v, m)
                add("first_violation_notices", sum(fv.values()))
                add("service_in_lieu", int(rng.poisson(0.3)))
            add("alarms_received", pois(22))
            may_june = day.month in (5, 6)
            fishing = 0.02 if ti else (1.3 if (may_june and day.year == 2021) else 0.42 if may_june else 0.35)
            sub = {
                "非法捕捞": int(rng.poisson(fishing)),
                "盗窃": pois(1.8),
                "噪音扰民": pois(2.4),
                "家庭纠纷": pois(1.5),
                "交通事故": pois(3.2),
            }
            for s, v in sub.items():
                add("valid_alarms", v, s)
            add("valid_alarms", sum(sub.values()))
    return rows


def _create_facts(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, as_of: dt.date) -> None:
    """fct_township_daily (drawn from ``rng``) and the townships' facts as temp tables."""
    schema = {
        "township_code": pl.String,
        "township_name": pl.String,
        "date": pl.Date,
        "indicator": pl.String,
        "breakdown": pl.String,
        "value": pl.Float64,
    }
    con.register("daily_df", pl.DataFrame(_daily_rows(rng, as_of), orient="row", schema=schema).to_arrow())
    _create(con, "fct_township_daily", "select * from daily_df")
    con.unregister("daily_df")
    con.execute("create temp table syn_towns (township_code varchar, reform date, pop bigint, area double)")
    con.executemany("insert into syn_towns values (?, ?, ?, ?)", [(c, r, p, a) for c, _n, r, p, a in TOWNS])


def _create_townships(con: duckdb.DuckDBPyConnection) -> None:
    cols = ("township_code", "township_name", "aliases", "district", "area_km2", "resident_population", "reform_start_date")
    _insert(con, "dim_townships", cols, [(c, n, n[:2], "萧山区", a, p, r) for c, n, r, p, a in TOWNS])


def _create_weekly_marts(con: duckdb.DuckDBPyConnection) -> None:
    """mart_one_visit_weekly and mart_alarm_trends_weekly from fct_township_daily."""
    _create(
        con,
        "mart_one_visit_weekly",
        """with w as (
              select township_code, cast(date_trunc('week', date) as date) as week_start,
                     sum(value) filter (where indicator = 'inspections' and breakdown = 'all') as inspections,
                     sum(value) filter (where indicator = 'one_visit_inspections') as one_visit_inspections
              from fct_township_daily group by 1, 2)
            select township_code, week_start, 'all' as target_type,
                   coalesce(inspections, 0) as inspections,
                   coalesce(one_visit_inspections, 0) as one_visit_inspections,
                   coalesce(one_visit_inspections, 0) / nullif(inspections, 0) as one_visit_share
            from w""",
    )
    _create(
        con,
        "mart_alarm_trends_weekly",
        """with w as (
              select township_code, breakdown as alarm_subcategory,
                     isoyear(date) as iso_year, week(date) as iso_week,
                     cast(date_trunc('week', date) as date) as week_start, sum(value) as valid_alarms
              from fct_township_daily where indicator = 'valid_alarms' group by all)
            select a.township_code, a.alarm_subcategory, a.iso_year, a.iso_week, a.week_start,
                   a.valid_alarms, coalesce(b.valid_alarms, 0) as valid_alarms_last_year,
                   a.valid_alarms - coalesce(b.valid_alarms, 0) as abs_change,
                   case when coalesce(b.valid_alarms, 0) >= 20
                        then 100.0 * (a.valid_alarms - b.valid_alarms) / b.valid_alarms end as pct_change,
                   coalesce(b.valid_alarms, 0) < 20 as is_small_base,
                   a.week_start - 364 >= ? as has_prior_data
            from w a left join w b on a.township_code = b.township_code
              and a.alarm_subcategory = b.alarm_subcategory
              and b.iso_year = a.iso_year - 1 and b.iso_week = a.iso_week""",
        [START],
    )


def _comparison_windows(as_of: dt.date) -> list[tuple]:
    """The windows of dbt's int_comparisons__windows, for the synthetic towns: (township_code,
    window_name, period_start, period_end, prior_start, prior_end, has_prior_data)."""

    def year_earlier(d: dt.date) -> dt.date:
        return d.replace(year=d.year - 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year - 1)

    monday = as_of - dt.timedelta(days=as_of.weekday())
    sunday = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    out = []
    for code, _name, reform, _pop, _area in TOWNS:
        periods = [
            ("week", monday, as_of, 364),
            ("last_week", sunday - dt.timedelta(days=6), sunday, 364),
            ("28_days", as_of - dt.timedelta(days=27), as_of, None),
            ("month", as_of.replace(day=1), as_of, None),
            ("year_to_date", as_of.replace(month=1, day=1), as_of, None),
        ]
        if reform <= as_of:
            periods.append(("reform_to_date", reform, as_of, None))
        for name, start, end, days in periods:
            ps, pe = (
                (start - dt.timedelta(days=days), end - dt.timedelta(days=days))
                if days
                else (year_earlier(start), year_earlier(end))
            )
            out.append((code, name, start, end, ps, pe, ps >= START))
    return out


def _create_comparisons(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """mart_indicator_comparisons from fct_township_daily, with the mart's columns and rules."""
    con.execute("""create temp table cmp_windows (township_code varchar, window_name varchar,
        period_start date, period_end date, prior_start date, prior_end date, has_prior_data boolean)""")
    con.executemany("insert into cmp_windows values (?, ?, ?, ?, ?, ?, ?)", _comparison_windows(as_of))
    con.execute("create temp table cmp_pop (township_code varchar, resident_population bigint)")
    con.executemany("insert into cmp_pop values (?, ?)", [(c, p) for c, _n, _r, p, _a in TOWNS])
    select = f"""
        with series as (
            select distinct w.township_code, w.window_name, d.indicator, d.breakdown
            from cmp_windows w join fct_township_daily d on d.township_code = w.township_code
              and (d.date between w.period_start and w.period_end
                   or d.date between w.prior_start and w.prior_end)
            union
            select w.township_code, w.window_name, i.indicator, 'all'
            from cmp_windows w cross join (select distinct indicator from fct_township_daily) i),
        v as (
            select w.*, s.indicator, s.breakdown,
                coalesce((select sum(value) from fct_township_daily d where d.township_code = s.township_code
                    and d.indicator = s.indicator and d.breakdown = s.breakdown
                    and d.date between w.period_start and w.period_end), 0) as value_now,
                case when w.has_prior_data then
                coalesce((select sum(value) from fct_township_daily d where d.township_code = s.township_code
                    and d.indicator = s.indicator and d.breakdown = s.breakdown
                    and d.date between w.prior_start and w.prior_end), 0) end as value_before
            from series s join cmp_windows w using (township_code, window_name)),
        z as (
            select v.*, case when indicator <> 'fines_yuan'
                then 2 * (sqrt(value_now) - sqrt(value_before)) end as poisson_z, p.resident_population
            from v join cmp_pop p using (township_code))
        select {", ".join(COMPARISON_COLUMNS[:10])},
            cast(value_before as double) as value_before,
            cast(value_now - value_before as double) as abs_change,
            case when value_before >= 20 then 100.0 * (value_now - value_before) / value_before end as pct_change,
            case when has_prior_data then value_before < 20 end as is_small_base,
            poisson_z,
            case when abs(poisson_z) >= 3 then 'alert' when abs(poisson_z) >= 2 then 'watch'
                 when poisson_z is not null then 'none' end as signal,
            value_now * 10000.0 / resident_population as rate_now_per_10k,
            value_before * 10000.0 / resident_population as rate_before_per_10k
        from z"""
    _create(con, "mart_indicator_comparisons", select)


def _create_township_comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Monthly totals of fct_township_daily (breakdown 'all'); the as_of month is partial."""
    _create(
        con,
        "mart_township_comparison",
        f"""select d.township_code, min(d.township_name) as township_name, d.indicator,
                   cast(date_trunc('month', d.date) as date) as month_start,
                   datediff('month', date_trunc('month', t.reform), date_trunc('month', d.date)) as months_since_reform,
                   sum(d.value) as value, sum(d.value) * 10000.0 / t.pop as value_per_10k,
                   sum(d.value) / t.area as value_per_km2,
                   cast(date_trunc('month', d.date) as date) = date '{as_of.replace(day=1).isoformat()}'
                       and date '{as_of.isoformat()}' < last_day(date '{as_of.isoformat()}') as is_partial_month
            from fct_township_daily d join syn_towns t using (township_code)
            where d.breakdown = 'all'
            group by d.township_code, d.indicator, 4, 5, t.pop, t.area""",
    )


YQ, GL = TOWNS[0][0], TOWNS[1][0]
CASE_LIFECYCLE = (  # township, period, then the mart's figures in its column order
    (YQ, "2021", 760, 752, 17.0, 43.6, 0.0093, 0.744, 0.455, 0.040, 10, 6, 1, 8, 6),
    (YQ, "2022", 560, 470, 12.0, 40.0, 0.0064, 0.614, 0.452, 0.032, 14, 5, 1, 29, 15),
    (YQ, "all", 1320, 1222, 15.0, 41.5, 0.0082, 0.689, 0.454, 0.036, 24, 11, 2, 37, 17),
    (GL, "2021", 2261, 2261, 15.0, 45.0, 0.0071, 0.713, 0.463, 0.049, 79, 25, 7, 89, 58),
    (GL, "2022", 1643, 1503, 13.0, 38.8, 0.0027, 0.659, 0.470, 0.044, 38, 13, 8, 108, 72),
    (GL, "all", 3904, 3764, 14.0, 42.0, 0.0053, 0.690, 0.466, 0.047, 117, 38, 15, 197, 87),
)
EMPOWERED_MATTERS = (  # township, domain, catalogue, used, share, cases, domains in catalogue, used
    (YQ, "all", 350, 146, 146 / 350, 322, 18, 18),
    (GL, "all", 882, 619, 619 / 882, 3463, 25, 25),
    (YQ, "市容环境卫生", 45, 32, 32 / 45, 92, 1, 1),
    (GL, "市容环境卫生", 70, 62, 62 / 70, 1121, 1, 1),
    (YQ, "生态环境", 26, 9, 9 / 26, 15, 1, 1),
    (GL, "生态环境", 56, 33, 33 / 56, 191, 1, 1),
    (GL, "教育", 20, 13, 13 / 20, 29, 1, 1),
    (YQ, "气象", 6, 0, 0.0, 0, 1, 0),
)
INSPECTION_BURDEN = (  # township, year, target type, targets, inspections, one-visit inspections
    (YQ, 2021, "all", 1091, 2370, 501),
    (YQ, 2021, "企业", 363, 809, 186),
    (YQ, 2022, "all", 1787, 2545, 1503),
    (YQ, 2022, "企业", 605, 869, 515),
    (YQ, 2022, "其他", 12, 19, 9),
    (GL, 2021, "all", 2779, 6258, 3328),
    (GL, 2021, "企业", 1020, 2231, 1175),
    (GL, 2022, "all", 25939, 29744, 22714),
    (GL, 2022, "企业", 1540, 1948, 1204),
    (GL, 2022, "出租房", 17770, 19698, 15532),
)


def _create_case_marts(con: duckdb.DuckDBPyConnection) -> None:
    """mart_case_lifecycle, mart_empowered_matters and mart_inspection_burden: fixed rows."""
    _insert(con, "mart_case_lifecycle", _columns("mart_case_lifecycle"), CASE_LIFECYCLE)
    _insert(con, "mart_empowered_matters", _columns("mart_empowered_matters"), EMPOWERED_MATTERS)
    rows = [(c, y, t, n, i, ov, i / n, ov / i) for c, y, t, n, i, ov in INSPECTION_BURDEN]
    _insert(con, "mart_inspection_burden", _columns("mart_inspection_burden"), rows)


def _columns(name: str) -> list[str]:
    """The column names of a model, in order (from MART_COLUMNS)."""
    return [c.strip().split(" ")[0].strip('"') for c in MART_COLUMNS[name].split(",")]


def _lead_rows(as_of: dt.date) -> list[tuple]:
    """mart_lead_conversion's rows (per township, month and 事件来源, and 'all') up to the as_of
    month: the site reads them summed, as mart_report_lead_periods."""
    rows = []
    month = dt.date(2021, 1, 1)
    while month <= as_of:
        for ti, (code, *_rest) in enumerate(TOWNS):
            by_src = {"网格员巡查": 40 + 40 * ti, "微网格长上报": 25 + 30 * ti, "12345热线": 6 + 10 * ti}
            tot_leads = tot_case = 0
            for src, leads in by_src.items():
                cases = leads // (10 if ti == 0 else 5)
                rows.append((code, month, src, leads, cases, cases / leads, 4.0 + (month.month % 3)))
                tot_leads += leads
                tot_case += cases
            rows.append((code, month, "all", tot_leads, tot_case, tot_case / tot_leads, 5.0 + (month.month % 2)))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return rows


def _create_analysis_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """The issue-4 marts of compare.html with small plausible rows."""
    _create_township_comparison(con, as_of)
    _create_case_marts(con)
    con.execute("""create temp table syn_leads (township_code varchar, month_start date, event_source varchar,
        enforcement_leads bigint, leads_with_case bigint, conversion_share double, median_days_to_case double)""")
    con.executemany("insert into syn_leads values (?, ?, ?, ?, ?, ?, ?)", _lead_rows(as_of))


def _create_campaign_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """mart_report_inspections_daily (日常 / 专项行动) and mart_report_campaign_periods."""
    code, name, first, last = CAMPAIGN
    con.execute("create temp table camp_days (township_code varchar, date date, n bigint)")
    days = [first + dt.timedelta(d) for d in range((min(last, as_of) - first).days + 1)]
    con.executemany("insert into camp_days values (?, ?, ?)", [(code, d, CAMPAIGN_PER_DAY) for d in days if d.weekday() < 5])
    _create(
        con,
        "mart_report_inspections_daily",
        """with t as (
              select township_code, date,
                     sum(value) filter (where indicator = 'inspections' and breakdown = 'all') as insp,
                     sum(value) filter (where indicator = 'one_visit_inspections') as ov
              from fct_township_daily group by 1, 2)
            select t.township_code, t.date, 'routine' as kind,
                   coalesce(t.insp, 0) - coalesce(c.n, 0) as inspections,
                   coalesce(t.ov, 0) - coalesce(c.n, 0) as one_visit_inspections
            from t left join camp_days c using (township_code, date)
            union all
            select township_code, date, 'campaign', n, n from camp_days""",
    )
    _create(
        con,
        "mart_report_campaign_periods",
        "select township_code, ? as campaign, min(date) as first_date, max(date) as last_date, "
        "sum(n) as inspections from camp_days group by 1",
        [name],
    )


def _open_item(tc: str, kind: str, item: str, category: str, opened: dt.date, due_days: int | None, as_of: dt.date):
    due = None if due_days is None else opened + dt.timedelta(days=due_days)
    return (tc, kind, item, None, category, opened, due, (as_of - opened).days)


def _open_item_rows(as_of: dt.date) -> list[tuple]:
    """mart_report_open_items: overdue events, open and overdue hazards, a case open > 90 days."""
    rows = []
    for ti, (tc, *_rest) in enumerate(TOWNS):
        for k in range(3 + 4 * ti):
            rows.append(
                _open_item(tc, "event_overdue", f"SJ{tc}{k:04d}", "市容环境", as_of - dt.timedelta(days=20 + 3 * k), 7, as_of)
            )
        for k in range(10 + 30 * ti):
            opened = as_of - dt.timedelta(days=5 + 4 * k)
            rows.append(_open_item(tc, "hazard_open", f"JC{tc}{k:04d}", "出租房", opened, 15, as_of))
            if k % 2:
                rows.append(_open_item(tc, "hazard_overdue", f"JC{tc}{k:04d}", "出租房", opened, 15, as_of))
        if ti:
            rows.append(
                _open_item(tc, "case_open_90d", f"AJ{tc}0001", "市容环境卫生", as_of - dt.timedelta(days=133), None, as_of)
            )
    return rows


def _create_series_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """mart_report_daily_series (every day of every indicator, 0 when nothing was recorded, and
    the 28-day running total) and mart_report_alarm_weeks (the as-of ISO year's complete weeks)."""
    _create(
        con,
        "mart_report_daily_series",
        """select t.township_code, t.township_name, i.indicator, d.date, coalesce(f.value, 0) as value,
                   sum(coalesce(f.value, 0)) over (partition by t.township_code, i.indicator order by d.date
                       rows between 27 preceding and current row) as value_28d,
                   d.date >= ? as is_full_28d
            from (select township_code, min(township_name) as township_name from fct_township_daily group by 1) t
            cross join (select distinct indicator from fct_township_daily) i
            cross join (select cast(unnest(generate_series(?, ?, interval 1 day)) as date) as date) d
            left join fct_township_daily f on f.township_code = t.township_code and f.indicator = i.indicator
                and f.date = d.date and f.breakdown = 'all'""",
        [START + dt.timedelta(days=27), START, as_of],
    )
    _create(
        con,
        "mart_report_alarm_weeks",
        """select township_code, alarm_subcategory, iso_year, iso_week, week_start, valid_alarms,
                   case when has_prior_data then valid_alarms_last_year end as valid_alarms_last_year,
                   has_prior_data
            from mart_alarm_trends_weekly where iso_year = isoyear(cast(? as date)) and week_start + 6 <= ?""",
        [as_of, as_of],
    )


def _create_phase_marts(con: duckdb.DuckDBPyConnection) -> None:
    """mart_report_reform_phases (改革前 / 改革后 monthly means of mart_township_comparison) and
    mart_report_lead_periods (the leads of mart_lead_conversion summed over 改革以来, each year and all)."""
    _create(
        con,
        "mart_report_reform_phases",
        """select township_code, indicator, case when months_since_reform < 0 then 'pre' else 'post' end as phase,
                   count(*) as months, min(months_since_reform) as first_month, max(months_since_reform) as last_month,
                   sum(value) as events, avg(value_per_10k) as mean_per_10k, avg(value_per_km2) as mean_per_km2
            from mart_township_comparison
            where not is_partial_month and months_since_reform is not null group by all""",
    )
    _create(
        con,
        "mart_report_lead_periods",
        """with p as (
              select l.*, 'all' as period from syn_leads l
              union all select l.*, cast(year(l.month_start) as varchar) from syn_leads l
              union all select l.*, 'reform_to_date' from syn_leads l join syn_towns t using (township_code)
                  where l.month_start >= date_trunc('month', t.reform))
            select township_code, event_source, period, count(*) as months,
                   sum(enforcement_leads) as enforcement_leads, sum(leads_with_case) as leads_with_case,
                   sum(leads_with_case) / nullif(sum(enforcement_leads), 0) as conversion_share,
                   median(median_days_to_case) as median_of_monthly_median_days,
                   min(median_days_to_case) as min_monthly_median_days,
                   max(median_days_to_case) as max_monthly_median_days
            from p group by all""",
    )


CASE_STATUS = (  # township, period, filed, closed, open, open 0–30 / 31–90 / >90 days, to police
    (YQ, "2022", 560, 470, 90, 52, 30, 8, 14),
    (YQ, "all", 1320, 1222, 98, 52, 30, 16, 24),
    (GL, "2022", 1643, 1503, 140, 80, 45, 15, 38),
    (GL, "all", 3904, 3764, 140, 80, 45, 15, 117),
)
HAZARD_LOOP = (  # township, period, inspections with hazards, found, accepted, rectifying, overdue, other, insp. overdue
    (YQ, "2022", 410, 620, 480, 95, 40, 5, 22),
    (YQ, "all", 980, 1530, 1310, 150, 62, 8, 35),
    (GL, "2022", 2600, 4100, 3500, 420, 180, 0, 95),
    (GL, "all", 4800, 7900, 7020, 560, 320, 0, 170),
)


def _create_status_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """mart_report_case_status, mart_report_hazard_loop and mart_report_open_items: fixed rows."""
    rows = [(*r, r[3] / r[2]) for r in CASE_STATUS]
    _insert(con, "mart_report_case_status", _columns("mart_report_case_status"), rows)
    rows = [(*r, r[4] / r[3], 9.0) for r in HAZARD_LOOP]
    _insert(con, "mart_report_hazard_loop", _columns("mart_report_hazard_loop"), rows)
    _insert(con, "mart_report_open_items", _columns("mart_report_open_items"), _open_item_rows(as_of))


def _create_report_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """The issue-10 marts of dbt/models/marts/reports/."""
    _create_campaign_marts(con, as_of)
    _create_series_marts(con, as_of)
    _create_phase_marts(con)
    _create_status_marts(con, as_of)


def _percentiles(values: list[float]) -> list[float]:
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    return [(r - 1) / (n - 1) if n > 1 else 0.0 for r in ranks]


def _colour(h: float) -> str:
    for limit, c in ((0.05, "red"), (0.15, "orange"), (0.35, "yellow"), (0.65, "blue")):
        if h < limit:
            return c
    return "green"


def _grid_rows(rng: np.random.Generator, as_of: dt.date, per_town: int) -> list[dict]:
    out = []
    start = as_of - dt.timedelta(days=55)
    for code, name, *_ in TOWNS:
        grids = []
        for g in range(per_town):
            pop = int(rng.choice([30, 45]) if g % 11 == 5 else rng.integers(120, 2600))
            grids.append(
                {
                    "grid_code": f"{code}{g + 1:04d}",
                    "grid_name": f"{name[:2]}第{g + 1}微网格",
                    "township_code": code,
                    "window_start": start,
                    "window_end": as_of,
                    "population": pop,
                    "penalties": int(rng.poisson(pop / 400)),
                    "petitions_disputes": int(rng.poisson(pop / 700)),
                    "valid_alarms": int(rng.poisson(pop / 250)),
                }
            )
        ranked = [g for g in grids if g["population"] >= 50]
        for cnt, rate, pct in (
            ("penalties", "penalty_rate", "penalty_pct"),
            ("petitions_disputes", "petition_rate", "petition_pct"),
            ("valid_alarms", "alarm_rate", "alarm_pct"),
        ):
            for g in grids:
                g[rate] = g[cnt] / g["population"] * 1000 if g["population"] >= 50 else None
            for g, p in zip(ranked, _percentiles([g[rate] for g in ranked])):
                g[pct] = p
        for g in grids:
            if g["population"] < 50:
                g.update(penalty_pct=None, petition_pct=None, alarm_pct=None, score=None, color="grey", last_week_color="grey")
            else:
                g["score"] = 100 * (g["penalty_pct"] + g["petition_pct"] + g["alarm_pct"]) / 3
        for g in ranked:
            h = sum(1 for o in ranked if o["score"] > g["score"]) / len(ranked)
            g["color"] = _colour(h)
            g["last_week_color"] = (
                g["color"] if rng.random() > 0.15 else str(rng.choice(["red", "orange", "yellow", "blue", "green"]))
            )
        out += grids
    return out


# mart_source_status of the synthetic warehouse: source, status, unreadable files, lag, limit, indicators.

CAMPAIGNS = (  # mart_campaigns without hazards_overdue
    (TOWNS[1][0], "除险保安", "企业", 296, 412, 180, 150, 9),
    (TOWNS[1][0], "除险保安", "沿街商铺", 5295, 6020, 910, 860, 41),
    (TOWNS[1][0], "除险保安", "出租房", 17232, 18800, 2400, 2210, 57),
    (TOWNS[1][0], "除险保安", "all", 22823, 25232, 3490, 3220, 107),
    (TOWNS[0][0], "迎亚运平安护航", "沿街商铺", 640, 702, 88, 80, 3),
    (TOWNS[0][0], "迎亚运平安护航", "出租房", 1210, 1300, 150, 122, 0),
    (TOWNS[0][0], "迎亚运平安护航", "all", 1850, 2002, 238, 202, 3),
)


def _create_grid_colors(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, as_of: dt.date, per_town: int) -> None:
    """mart_grid_colors (drawn from ``rng``) and dim_grids."""
    grids = _grid_rows(rng, as_of, per_town)
    cols = list(grids[0])
    _insert(con, "mart_grid_colors", cols, [tuple(g[c] for c in cols) for g in grids])
    _create(
        con,
        "dim_grids",
        """select grid_code, grid_name, '微网格' as grid_type, township_code, population as actual_population,
                  true as is_micro_grid, population >= 50 as is_ranked_for_colors
           from mart_grid_colors""",
    )


def _create_grid_map(con: duckdb.DuckDBPyConnection) -> None:
    """mart_grid_map as dbt builds it from mart_grid_colors: square polygons for most grids, a
    few grids without one, and THIRD_TOWN whose grids have no polygon at all."""
    con.execute(f"""
        create temp table third as
        select '{THIRD_TOWN[0]}' || lpad(cast(i as varchar), 4, '0') as grid_code,
               '新街第' || i || '微网格' as grid_name, '{THIRD_TOWN[0]}' as township_code,
               window_start, window_end, cast(200 + 10 * i as bigint) as population,
               cast(i % 3 as bigint) as penalties, cast(i % 2 as bigint) as petitions_disputes,
               cast(i % 4 as bigint) as valid_alarms, 'grey' as color, 'grey' as last_week_color
        from (select min(window_start) as window_start, min(window_end) as window_end from mart_grid_colors),
             range(1, 7) as r(i)""")
    con.execute(f"""
        create temp table colours as
        select c.*, coalesce(t.township_name, '{THIRD_TOWN[1]}') as township_name,
               row_number() over (partition by c.township_code order by c.grid_code) - 1 as k,
               count(*) over (partition by c.township_code) as n_town,
               count(c.score) over (partition by c.township_code) as n_ranked
        from (select * exclude (grey_reason, share_higher, ranked_grids_in_township) from mart_grid_colors
              union all by name select * from third) c
        left join dim_townships t on c.township_code = t.township_code""")
    _create(
        con,
        "mart_grid_map",
        f"""select * exclude (k, n_town, n_ranked, x, y),
               case when color = 'grey' then (case when township_code = '{THIRD_TOWN[0]}'
                    then 'too_few_grids' else 'low_population' end) end as grey_reason,
               case when score is not null then
                   (select count(*) from colours o where o.township_code = c.township_code
                    and o.score > c.score) * 1.0 / n_ranked end as share_higher,
               case when n_ranked > 0 then n_ranked end as ranked_grids_in_township,
               penalties + petitions_disputes + valid_alarms as events_total,
               penalties + petitions_disputes + valid_alarms < 3 as is_few_events,
               case when township_code = '{THIRD_TOWN[0]}' or k % 13 = 7 then null else
                   'M' || x || ' ' || y || ' ' || (x + {CELL}) || ' ' || y || ' ' || (x + {CELL}) || ' '
                   || (y + {CELL}) || ' ' || x || ' ' || (y + {CELL}) || 'Z'
                   -- one grid with a hole (even-odd rule)
                   || case when k = 0 then 'M' || (x + 10) || ' ' || (y + 10) || ' ' || (x + 20) || ' '
                        || (y + 10) || ' ' || (x + 20) || ' ' || (y + 20) || 'Z' else '' end
               end as map_path,
               10 as map_unit_m
        from (select *, {CELL} * (k % cast(ceil(sqrt(n_town)) as bigint)) as x,
                     {CELL} * (k // cast(ceil(sqrt(n_town)) as bigint)) as y from colours) c""",
    )


INGEST_REPORT = (  # mart_ingest_report: source, file, status, read, loaded, quarantined, superseded, error
    ("cases", "cases/cases_20220731.xlsx", "loaded", 5210, 5101, 3, 106, None),
    ("cases", "cases/cases_20220824.xlsx", "loaded", 5480, 5470, 2, 8, None),
    ("grid_events", "grid_events/事件导出_20220824.csv", "loaded", 61230, 60950, 4, 276, None),
    ("inspections", "inspections/检查任务_20220824.xlsx", "loaded", 20410, 20400, 1, 9, None),
    ("inspections", "inspections/broken_20220801.xlsx", "unreadable", 0, 0, 0, 0, "不是有效的 xlsx 文件（zip 结构损坏）"),
    ("notices", "notices/柔性执法_20220824.csv", "loaded", 1290, 1288, 2, 0, None),
    ("police_alarms", "police_alarms/jq_20220824.jsonl", "loaded", 30011, 29990, 1, 20, None),
)
QUARANTINE = (  # mart_quarantine, in its column order
    ("cases", "cases/cases_20220731.xlsx", "Sheet1", 18, None, "missing_key", "case_id", None, "案件编号为空"),
    (
        "cases",
        "cases/cases_20220731.xlsx",
        "Sheet1",
        233,
        "XS2022-0412",
        "bad_date",
        "filed_on",
        "2022年13月1日",
        "立案日期无法识别为日期",
    ),
    (
        "cases",
        "cases/cases_20220731.xlsx",
        "Sheet1",
        874,
        "XS2022-0977",
        "unknown_township",
        "township_code",
        "新湾",
        "所属镇街不是镇街编码、名称或别名",
    ),
    (
        "cases",
        "cases/cases_20220824.xlsx",
        "Sheet1",
        40,
        "XS2022-1102",
        "future_date",
        "filed_on",
        "2022-09-30",
        "立案日期晚于截至日次日",
    ),
    (
        "grid_events",
        "grid_events/事件导出_20220824.csv",
        None,
        77,
        "SJ202208110031",
        "bad_date",
        "reported_at",
        "明天上午",
        "上报时间无法识别为日期",
    ),
    (
        "inspections",
        "inspections/broken_20220801.xlsx",
        None,
        None,
        None,
        "unreadable_file",
        None,
        None,
        "文件无法读取：不是有效的 xlsx 文件（zip 结构损坏）",
    ),
    ("notices", "notices/柔性执法_20220824.csv", None, 12, None, "missing_key", "notice_id", None, "记录编号为空"),
)
FLAGS = (  # mart_flags, in its column order
    (
        "cases",
        "cases/cases_20220824.xlsx",
        "Sheet1",
        57,
        "XS2022-1150",
        "future_date",
        "closed_on",
        "2202-08-20",
        "结案日期晚于截至日次日，按空值处理",
    ),
    (
        "cases",
        "cases/cases_20220824.xlsx",
        "Sheet1",
        58,
        "XS2022-1151",
        "bad_date",
        "closed_on",
        "2022-08-32",
        "结案日期无法识别为日期，按空值处理",
    ),
    (
        "police_alarms",
        "police_alarms/jq_20220824.jsonl",
        None,
        3321,
        "3.30109E+18|2022-06-01 08:30:00",
        "id_precision_lost",
        "alarm_id",
        "3.30109E+18",
        "接警单编号精度丢失（科学计数法）",
    ),
)


SOURCE_STATUS = (
    ("grid_events", "ok", 0, None, 0, 3, "events_reported,enforcement_leads,petitions_disputes"),
    (
        "inspections",
        "incomplete",
        1,
        "inspections/broken_20220801.xlsx",
        0,
        7,
        "inspections,one_visit_inspections,hazards_found,hazards_accepted",
    ),
    ("cases", "ok", 0, None, 1, 14, "cases_filed,cases_closed,fines_yuan,police_transfers"),
    ("notices", "ok", 0, None, 0, 14, "first_violation_notices,service_in_lieu"),
    ("police_alarms", "ok", 0, None, 0, 3, "alarms_received,valid_alarms"),
)
ALL_SOURCES_OK = tuple((s, "ok", 0, None, 0, limit, inds) for s, _, _, _, _, limit, inds in SOURCE_STATUS)


def _create_quality_marts(con: duckdb.DuckDBPyConnection, as_of: dt.date, source_status: tuple) -> None:
    """mart_ingest_report, mart_quarantine, mart_flags and mart_source_status."""
    rows = [(*r, r[5], 0) for r in INGEST_REPORT]  # nothing quarantined after ingest, nothing future-dated
    _insert(con, "mart_ingest_report", _columns("mart_ingest_report"), rows)
    _insert(con, "mart_quarantine", _columns("mart_quarantine"), QUARANTINE)
    _insert(con, "mart_flags", _columns("mart_flags"), FLAGS)
    cols = _columns("mart_source_status")
    rows = [
        (s, s, st, 2, n_bad, bad, 0, None, False, as_of - dt.timedelta(days=lag), as_of, lag, limit, inds, "")
        for s, st, n_bad, bad, lag, limit, inds in source_status
    ]
    _insert(con, "mart_source_status", cols, rows)


def build_synthetic_warehouse(
    path: Path,
    *,
    as_of: dt.date = AS_OF,
    grids_per_town: int = 24,
    seed: int = 7,
    omit: tuple[str, ...] = (),
    source_status: tuple = SOURCE_STATUS,
) -> Path:
    """A DuckDB file with every model the site reads (MART_COLUMNS), filled with plausible
    synthetic rows; the models in ``omit`` are left out (to test the error a missing one gives)."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    _create_facts(con, rng, as_of)
    _create_townships(con)
    _create_weekly_marts(con)
    _create_comparisons(con, as_of)
    _create_analysis_marts(con, as_of)
    _create_report_marts(con, as_of)
    _insert(con, "mart_campaigns", _columns("mart_campaigns")[:8], CAMPAIGNS)
    _create_grid_colors(con, rng, as_of, grids_per_town)
    _create_grid_map(con)
    _create_quality_marts(con, as_of, source_status)
    for name in omit:
        con.execute(f"drop table {name}")
    con.close()
    return path


build_synthetic_warehouse.as_of = AS_OF  # type: ignore[attr-defined]
build_synthetic_warehouse.all_sources_ok = ALL_SOURCES_OK  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def warehouse_factory():
    """``build_synthetic_warehouse(path, *, as_of, grids_per_town, seed, omit)``."""
    return build_synthetic_warehouse


@pytest.fixture(scope="session")
def synthetic_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def synthetic_site(synthetic_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dashboards.site import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    build_site(synthetic_warehouse, out, AS_OF, build_stamp="test")
    return out


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's /usr/bin/chromium through Playwright's executable_path)."""
    import os

    from tests.dashboards.browsing import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

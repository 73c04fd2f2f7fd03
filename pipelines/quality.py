"""The publishing gate: is tonight's data fit to show?

dbt tests prove the models (keys, relationships, the counting definitions). This gate asks
other questions, with Great Expectations, of the warehouse dbt just built and of the files
the site is about to publish:

- gx_sources_complete     every contract source is present, not missing, every file readable
- gx_sources_fresh        newest record per source vs its cadence (contract.yaml stale_after_days)
- gx_weekly_volumes       last complete week per source and township vs the trailing median
- gx_marts_match_records  mart totals = the current records recounted from staging
- gx_published_totals     the CSV downloads (written by the site's own exporter) = the marts
- gx_campaigns_agree      campaigns.csv agrees with township_daily.csv

Each check is a set of GX expectation classes over a small pandas frame read from DuckDB
(read-only; GX's SQL datasource over duckdb-engine fails with duckdb 2.0). Expected values
computed from the warehouse or the contract enter as GX suite parameters. An expectation's
`severity` says what a failure means: `critical` blocks the publish, `warning` is reported
and lets the site go out. Titles, thresholds and the reasoning behind them:
expectations/gate.yml. The results of a run are written as JSON (`write_results`) for the
数据质量 page and for the record.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipelines.contract import Contract, Source, load_contract
from pipelines.settings import EXPECTATIONS_DIR

CRITICAL, WARNING = "critical", "warning"
PASS, WARN, FAIL = "pass", "warn", "fail"
STATUS_ZH = {PASS: "通过", WARN: "警告", FAIL: "未通过"}
RESULTS_FILE = "gate.json"
SOURCE_STATUS_ZH = {"ok": "正常", "stale": "数据滞后", "missing": "缺失", "incomplete": "不完整"}
# the frames' columns, as the page names them
COLUMN_ZH = {
    "mart_total": "township_daily 合计",
    "records_counted": "逐条重新计数",
    "daily_inspections": "township_daily 检查次数",
    "campaign_inspections": "各专项行动检查次数之和",
    "daily_hazards_found": "township_daily 发现隐患",
    "campaign_hazards_found": "各专项行动发现隐患之和",
    "daily_hazards_accepted": "township_daily 整改验收",
    "campaign_hazards_accepted": "各专项行动整改验收之和",
    "inspections_all": "合计行检查次数",
    "inspections_by_type": "各类型行检查次数之和",
    "hazards_found_all": "合计行发现隐患",
    "hazards_found_by_type": "各类型行发现隐患之和",
    "targets_checked": "检查对象数",
    "banned": "取缔对象数",
}


def _col(name: str) -> str:
    return COLUMN_ZH.get(name, name)


@lru_cache(maxsize=1)
def gate_config() -> dict:
    return yaml.safe_load((EXPECTATIONS_DIR / "gate.yml").read_text(encoding="utf-8"))


def check_names() -> list[str]:
    return list(gate_config()["checks"])


def results_path(workdir: Path) -> Path:
    """Where a run's gate results are kept: WORKDIR/quality/gate.json (the last run's)."""
    return Path(workdir) / "quality" / RESULTS_FILE


def downloads_path(workdir: Path) -> Path:
    """Where the gate leaves the downloads it checked (WORKDIR/quality/downloads/data/…), for
    the site to publish those very files; the site moves them into its release."""
    return Path(workdir) / "quality" / "downloads"


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    cfg = yaml.safe_load((EXPECTATIONS_DIR / "gx_context.yml").read_text(encoding="utf-8"))
    project_config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=cfg["analytics_enabled"],
        progress_bars=ProgressBarsConfig(**cfg["progress_bars"]),
    )
    context = gx.get_context(project_config=project_config, mode="ephemeral")
    return context, context.data_sources.add_pandas("warehouse")


# ---------------------------------------------------------------------------- results


@dataclass
class Batch:
    """One GX validation: a frame, the expectations over it, and the suite parameters."""

    name: str
    frame: pd.DataFrame
    expectations: list = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    name: str
    title: str
    what: str
    asset: str
    status: str = PASS  # pass | warn | fail
    items: list[dict] = field(default_factory=list)  # one per expectation, for people
    notes: list[str] = field(default_factory=list)  # e.g. what was not judged (small base)
    gx: list[dict] = field(default_factory=list)  # GX's own validation results (JSON)

    @property
    def blocks(self) -> bool:
        return self.status == FAIL

    def describe(self) -> str:
        bad = [i for i in self.items if not i["success"]]
        head = f"{self.name}: {self.status}"
        if not bad:
            return f"{head} ({len(self.items)} expectations)"
        return (
            head
            + " — "
            + "; ".join(
                f"[{i['severity']}] {i['subject']}: {i['type']} observed {i['observed']}, expected {i['expected']}"
                for i in bad[:8]
            )
            + (f"; … {len(bad) - 8} more" if len(bad) > 8 else "")
        )

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "what": self.what,
            "asset": self.asset,
            "status": self.status,
            "status_zh": STATUS_ZH[self.status],
            "items": self.items,
            "notes": self.notes,
            "gx_validation_results": self.gx,
        }


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple, set)):
        return "、".join(_fmt(x) for x in v) if v else "（无）"
    return str(v)


def _expected(kind: str, kw: dict) -> str:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if kind in ("expect_table_row_count_to_equal",):
        return f"= {_fmt(kw.get('value'))}"
    if "value_set" in kw:
        return ("恰为 " if "equal_set" in kind else "属于 ") + _fmt(kw["value_set"])
    if kind == "expect_column_pair_values_to_be_equal":
        return f"{_col(kw['column_A'])} = {_col(kw['column_B'])}（每一行）"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{_col(kw['column_A'])} {'≥' if kw.get('or_equal') else '>'} {_col(kw['column_B'])}（每一行）"
    if lo is not None and hi is not None:
        if abs(float(hi) - float(lo)) <= 2 * float(gate_config()["totals"]["tolerance"]) + 1e-9:
            return f"= {_fmt((float(lo) + float(hi)) / 2)}"
        return f"{_fmt(lo)} – {_fmt(hi)}"
    if lo is not None:
        return f"≥ {_fmt(lo)}"
    if hi is not None:
        return f"≤ {_fmt(hi)}"
    return "—"


def _observed(res: dict) -> str:
    r = res.get("result") or {}
    if "observed_value" in r:
        if r.get("partial_missing_list"):
            return f"{_fmt(r.get('observed_value'))}；缺少 {_fmt(r['partial_missing_list'])}"
        return _fmt(r["observed_value"])
    if "unexpected_count" in r:
        n, total = r.get("unexpected_count") or 0, r.get("element_count") or 0
        if not n:
            return f"{total:,} 行全部符合"
        sample = r.get("partial_unexpected_list") or []
        return f"{n:,} / {total:,} 行不符，例如 {json.dumps(sample[:3], ensure_ascii=False, default=str)}"
    if res.get("exception_info", {}).get("raised_exception"):
        return "检查出错：" + str(res["exception_info"].get("exception_message"))[:200]
    return "—"


def _selected(frame: pd.DataFrame, kw: dict) -> pd.DataFrame:
    """The rows a serialised GX row condition (equalities joined by and, as `_where` writes) selects."""
    cond = kw.get("row_condition")
    if not cond:
        return frame
    parts = cond["conditions"] if cond.get("type") == "and" else [cond]
    mask = pd.Series(True, index=frame.index)
    for c in parts:
        mask &= frame[c["column"]["name"]] == c["parameter"]
    return frame[mask]


def _shown(frame: pd.DataFrame, kind: str, kw: dict, observed: str, expected: str) -> tuple[str, str]:
    """Observed / expected in words a reader can compare, where GX's own result is a row count
    or nothing (set and column-pair expectations): the values of the rows it judged."""
    rows = _selected(frame, kw)
    if "value_set" in kw and (observed == "—" or kw.get("column") == "status"):
        values = sorted(str(v) for v in rows[kw["column"]].dropna().unique())
        if kw.get("column") == "status":
            values = [SOURCE_STATUS_ZH.get(v, v) for v in values]
        observed = _fmt(values)
    if kind.startswith("expect_column_pair_values") and not rows.empty:
        a, b = rows[kw["column_A"]], rows[kw["column_B"]]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            sign = "=" if kind.endswith("to_be_equal") else ("≥" if kw.get("or_equal") else ">")
            head = f"{_col(kw['column_A'])} {_fmt(float(a.sum()))}"
            ok = (a == b) if sign == "=" else (a >= b) if sign == "≥" else (a > b)
            keys = [c for c in rows.columns if not pd.api.types.is_numeric_dtype(rows[c])]
            bad = [
                " ".join(str(r[k]) for k in keys) + f"：{_fmt(float(r[kw['column_A']]))} vs {_fmt(float(r[kw['column_B']]))}"
                for _, r in rows[~ok.fillna(False)].head(3).iterrows()
            ]
            observed = head if not bad else f"{head}；{int((~ok.fillna(False)).sum()):,} 行不符，例如 " + "；".join(bad)
            expected = f"{sign} {_col(kw['column_B'])} {_fmt(float(b.sum()))}（逐行比较 {len(rows):,} 行）"
    return observed, expected


def validate(check: CheckResult, batches: list[Batch]) -> CheckResult:
    """Run each batch's expectations with GX; fill the check's items, status and raw results."""
    import great_expectations as gx

    context, datasource = _context()
    for b in batches:
        asset = datasource.add_dataframe_asset(f"{check.name}.{b.name}.{id(b.frame)}")
        try:
            batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": b.frame})
            suite = gx.ExpectationSuite(name=f"{check.name}.{b.name}", expectations=b.expectations)
            result = batch.validate(suite, result_format="SUMMARY", expectation_parameters=b.parameters)
        finally:
            datasource.delete_asset(asset.name)
        raw = result.to_json_dict()
        check.gx.append(raw)
        for res in raw["results"]:
            cfg = res["expectation_config"]
            kw = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
            success = bool(res["success"])
            severity = cfg.get("severity") or CRITICAL
            meta = cfg.get("meta") or {}
            observed, expected = _shown(
                b.frame, cfg["type"], kw, _observed(res), meta.get("expected") or _expected(cfg["type"], kw)
            )
            check.items.append(
                {
                    "subject": (cfg.get("meta") or {}).get("subject", b.name),
                    "what": cfg.get("description") or cfg["type"],
                    "type": cfg["type"],
                    "severity": severity,
                    "success": success,
                    "status": PASS if success else (FAIL if severity == CRITICAL else WARN),
                    "observed": observed,
                    "expected": expected,
                    "batch": b.name,
                }
            )
    statuses = {i["status"] for i in check.items}
    check.status = FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
    return check


def _where(**eq: Any) -> dict:
    """A GX row condition selecting the rows where every named column equals its value."""
    from great_expectations.expectations.row_conditions import Column

    cond = None
    for k, v in eq.items():
        c = Column(k) == v
        cond = c if cond is None else cond & c
    return {"row_condition": cond}


def _param(name: str) -> dict:
    return {"$PARAMETER": name}


# ---------------------------------------------------------------------------- frames


class _Reader:
    """Read-only DuckDB access that finds a model in any schema (staging, intermediate, main)."""

    def __init__(self, warehouse: Path, memory_limit: str | None = None):
        from dashboards.mart_reader import Warehouse

        self.wh = Warehouse(warehouse, memory_limit)
        self._records: dict[str, bool] = {}

    def records(self, source: str) -> str | None:
        """A temporary table of the source's current records (the columns the gate counts
        with), read once from its staging view: the views re-run versioning on every read."""
        name = f"gate_records_{source}"
        if name not in self._records:
            model, cols = _RECORDS[source]
            if not self.wh.has(model):
                return None
            self.wh.con.execute(
                f"create temp table {name} as select township_code, counting_date, {', '.join(cols)} "
                f"from {self.t(model)} where coalesce(is_current_version, true)"
            )
            self._records[name] = True
        return name

    def df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.wh.con.execute(sql, params or []).df()

    def t(self, name: str) -> str:
        return self.wh.table(name)

    def close(self) -> None:
        self.wh.close()


def _sources(contract: Contract) -> dict[str, Source]:
    return contract.sources


def _zh(contract: Contract, source: str) -> str:
    return contract.sources[source].zh if source in contract.sources else source


def _as_of(r: _Reader) -> dt.date:
    return pd.Timestamp(r.df(f"select max(as_of_date) as d from {r.t('mart_source_status')}")["d"].iloc[0]).date()


def _town_names(r: _Reader) -> dict[str, str]:
    if not r.wh.has("dim_townships"):
        return {}
    rows = r.df(f"select township_code, township_name from {r.t('dim_townships')}")
    return dict(zip(rows["township_code"], rows["township_name"]))


def check_sources_complete(r: _Reader, contract: Contract, cfg: dict) -> list[Batch]:
    import great_expectations.expectations as gxe

    frame = r.df(f"select source, status, files, files_unreadable from {r.t('mart_source_status')} order by source")
    sources = sorted(_sources(contract))
    exps = [
        gxe.ExpectColumnDistinctValuesToEqualSet(
            column="source",
            value_set=_param("contract_sources"),
            severity=CRITICAL,
            description="来源状态表列出合同规定的全部数据来源（缺一个，网页就不会提示它缺失）",
            meta={"subject": "全部来源"},
        )
    ]
    for s in sources:
        exps.append(
            gxe.ExpectColumnDistinctValuesToBeInSet(
                column="status",
                value_set=["ok", "stale"],
                severity=WARNING,
                **_where(source=s),
                description=f"{_zh(contract, s)}：当晚有导出文件、每个文件都能读取（缺失或不完整时网站照常发布并在每页标注，退出码 3）",
                meta={"subject": _zh(contract, s), "expected": "正常（或数据滞后：由新鲜度检查判断）"},
            )
        )
    return [Batch("mart_source_status", frame, exps, {"contract_sources": sources})]


def check_sources_fresh(r: _Reader, contract: Contract, cfg: dict) -> list[Batch]:
    import great_expectations.expectations as gxe

    frame = r.df(f"select source, newest_record_date, as_of_date, lag_days from {r.t('mart_source_status')}")
    frame["lag_days"] = frame["lag_days"].astype("float")
    exps, params = [], {}
    for s, spec in sorted(_sources(contract).items()):
        params[f"stale_after_days__{s}"] = spec.stale_after_days
        exps.append(
            gxe.ExpectColumnMaxToBeBetween(
                column="lag_days",
                max_value=_param(f"stale_after_days__{s}"),
                severity=WARNING,
                **_where(source=s),
                description=f"{_zh(contract, s)}：最新记录距截至日的天数不超过更新周期 {spec.stale_after_days} 天",
                meta={"subject": _zh(contract, s)},
            )
        )
    return [Batch("mart_source_status", frame, exps, params)]


# the records of each source (current versions) with their township and counting date
_RECORDS = {
    "grid_events": ("stg_grid_events__events", ("event_id", "status", "is_enforcement_lead")),
    "inspections": ("stg_inspections__inspections", ("inspection_id", "hazards_found", "campaign")),
    "cases": ("stg_cases__cases", ("case_id", "outcome", "filed_on")),
    "notices": ("stg_notices__notices", ("notice_id", "notice_type")),
    "police_alarms": ("stg_police_alarms__alarms", ("alarm_id", "merge_id")),
}


def weekly_volumes(r: _Reader, contract: Contract, cfg: dict) -> tuple[pd.DataFrame, dt.date]:
    """Records per source, township and week (Monday–Sunday) for the last complete week
    (weeks_back 0) and the trailing weeks before it; absent weeks count 0."""
    v = cfg["volumes"]
    as_of = _as_of(r)
    last_sunday = as_of - dt.timedelta(days=(as_of.isoweekday() % 7))
    first_day = last_sunday - dt.timedelta(days=7 * (v["trailing_weeks"] + 1) - 1)
    parts = []
    for s in _RECORDS:
        table = r.records(s) if s in _sources(contract) else None
        if table is None:
            continue
        routine = "coalesce(campaign, '') = ''" if s == "inspections" and v["exclude_campaign_inspections"] else "true"
        parts.append(f"select '{s}' as source, township_code, counting_date from {table} where {routine}")
    counted = r.df(
        f"select source, township_code, cast(datediff('day', counting_date, ?::date) // 7 as integer) as weeks_back, "
        f"count(*) as records from ({' union all '.join(parts)}) "
        f"where counting_date between ?::date and ?::date group by all",
        [last_sunday, first_day, last_sunday],
    )
    towns = sorted(set(_town_names(r)) | set(counted["township_code"].dropna()))
    grid = pd.MultiIndex.from_product(
        [sorted(_RECORDS), towns, range(v["trailing_weeks"] + 1)], names=["source", "township_code", "weeks_back"]
    )
    frame = (
        counted.set_index(["source", "township_code", "weeks_back"])["records"]
        .reindex(grid, fill_value=0)
        .astype("float")
        .reset_index()
    )
    frame["week_start"] = [(last_sunday - dt.timedelta(days=7 * w + 6)).isoformat() for w in frame["weeks_back"]]
    return frame, last_sunday


def check_weekly_volumes(r: _Reader, contract: Contract, cfg: dict) -> tuple[list[Batch], list[str]]:
    import great_expectations.expectations as gxe

    v = cfg["volumes"]
    frame, last_sunday = weekly_volumes(r, contract, cfg)
    names = _town_names(r)
    exps, params, notes = [], {}, []
    week = f"{(last_sunday - dt.timedelta(days=6)).isoformat()} – {last_sunday.isoformat()}"
    for (s, t), rows in frame.groupby(["source", "township_code"], sort=True):
        trailing = rows.loc[rows["weeks_back"] > 0, "records"].tolist()
        median = statistics.median(trailing) if trailing else 0.0
        label = f"{_zh(contract, s)} · {names.get(t, t)}"
        if s == "inspections" and v["exclude_campaign_inspections"]:
            label += "（不含专项行动）"
        if median < v["min_base"]:
            last = rows.loc[rows["weeks_back"] == 0, "records"].sum()
            notes.append(
                f"{label}：前 {v['trailing_weeks']} 周中位数 {_fmt(float(median))} 条/周，"
                f"小于 {v['min_base']}，小基数不作判断（上周 {_fmt(float(last))} 条）"
            )
            continue
        lo, hi = math.ceil(v["low"] * median), math.floor(v["high"] * median)
        key = f"{s}__{t}"
        params[f"volume_min__{key}"], params[f"volume_max__{key}"] = lo, hi
        exps.append(
            gxe.ExpectColumnSumToBeBetween(
                column="records",
                min_value=_param(f"volume_min__{key}"),
                max_value=_param(f"volume_max__{key}"),
                severity=WARNING,
                **_where(source=s, township_code=t, weeks_back=0),
                description=(
                    f"{label}：上一个完整周（{week}）的记录数在前 {v['trailing_weeks']} 周中位数"
                    f"（{_fmt(float(median))} 条）的 {v['low']:g}–{v['high']:g} 倍之间"
                ),
                meta={"subject": label, "trailing_median": median},
            )
        )
    return [Batch("weekly_records", frame, exps, params)], notes


def recounts(r: _Reader) -> pd.DataFrame:
    """Per indicator and township: the mart's total (fct_township_daily, breakdown all) and the
    same figure counted again from the current records in staging, as contract §7 words it."""
    recount_sql = {
        "events_reported": (
            "grid_events",
            "count(distinct event_id)",
            "status is distinct from '已作废' and counting_date <= a.d",
        ),
        "enforcement_leads": (
            "grid_events",
            "count(distinct event_id)",
            "status is distinct from '已作废' and is_enforcement_lead and counting_date <= a.d",
        ),
        "inspections": ("inspections", "count(distinct inspection_id)", "counting_date <= a.d"),
        "hazards_found": ("inspections", "coalesce(sum(hazards_found), 0)", "counting_date <= a.d"),
        "cases_filed": ("cases", "count(distinct case_id)", "outcome is distinct from '撤销立案' and filed_on <= a.d"),
        "first_violation_notices": ("notices", "count(distinct notice_id)", "notice_type = '首违提醒' and counting_date <= a.d"),
        "service_in_lieu": ("notices", "count(distinct notice_id)", "notice_type = '以服代罚' and counting_date <= a.d"),
    }
    as_of = f"(select max(as_of_date) as d from {r.t('mart_source_status')}) a"
    parts = []
    for ind, (source, expr, cond) in recount_sql.items():
        table = r.records(source)
        if table:
            parts.append(
                f"select '{ind}' as indicator, township_code, cast({expr} as double) as records_counted "
                f"from {table}, {as_of} where {cond} group by all"
            )
    alarms = r.records("police_alarms")
    if alarms:
        # an incident is the alarms sharing 合并编号, dated by its first alarm; located by its first
        # valid alarm (§7 v1.1), so it is recounted over all townships together
        parts.append(
            f"select 'alarms_received' as indicator, '全部' as township_code, cast(count(*) as double) "
            f"from (select coalesce(nullif(merge_id, ''), alarm_id) as incident, min(counting_date) as first_on "
            f"from {alarms} group by 1) i, {as_of} where i.first_on <= a.d"
        )
    counted = r.df(" union all ".join(parts))
    fct = r.df(
        f"select indicator, township_code, sum(value) as mart_total from {r.t('fct_township_daily')} "
        f"where breakdown = 'all' group by all"
    )
    total = fct.groupby("indicator", as_index=False)["mart_total"].sum().assign(township_code="全部")
    marts = pd.concat([fct, total[total["indicator"] == "alarms_received"]], ignore_index=True)
    out = counted.merge(marts, on=["indicator", "township_code"], how="outer")
    out = out[out["indicator"].isin(counted["indicator"].unique())]
    out = out[~((out["indicator"] == "alarms_received") & (out["township_code"] != "全部"))]
    return out.fillna({"records_counted": 0.0, "mart_total": 0.0}).sort_values(["indicator", "township_code"])


def check_marts_match_records(r: _Reader, contract: Contract, cfg: dict) -> list[Batch]:
    import great_expectations.expectations as gxe

    frame = recounts(r)
    zh = {i.name: i.zh for i in contract.indicators}
    exps = [
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="mart_total",
            column_B="records_counted",
            severity=CRITICAL,
            **_where(indicator=ind),
            description=f"{zh.get(ind, ind)}：township_daily 的合计（各镇街）等于按统计口径逐条重新计数的当前有效记录",
            meta={"subject": zh.get(ind, ind)},
        )
        for ind in sorted(frame["indicator"].unique())
    ]
    return [Batch("mart_vs_records", frame, exps)]


# the numeric columns of each download whose totals must equal the mart's
_SUMMED = {
    "fct_township_daily": ("value",),
    "mart_campaigns": ("targets_checked", "inspections", "hazards_found", "hazards_accepted", "banned"),
    "mart_grid_colors": ("population", "penalties", "petitions_disputes", "valid_alarms"),
    "mart_ingest_report": ("rows_read", "rows_loaded", "rows_quarantined", "rows_superseded"),
}


def write_downloads(warehouse: Path, out_dir: Path, memory_limit: str | None = None) -> dict[str, Path]:
    """The CSV downloads exactly as the site writes them (dashboards/exports.py)."""
    from dashboards.exports import DOWNLOADS
    from dashboards.exports import write_downloads as write
    from dashboards.mart_reader import Warehouse

    with Warehouse(warehouse, memory_limit) as wh:
        paths = write(wh, out_dir)
    marts = {d.file: d.mart for d in DOWNLOADS}  # the §6 downloads (others, e.g. chart series, are not judged)
    return {marts[rel]: p for p in paths if (rel := p.relative_to(out_dir).as_posix()) in marts}


# The columns of a download its row conditions name (besides the summed ones): a check
# reads only those, since the whole of flags.csv as text took 6 GiB at city scale.
_CONDITION_COLUMNS = {"fct_township_daily": ("indicator", "breakdown")}


def read_download(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A published CSV as text, every row parsed (`columns`: keep only these); an empty field
    is "". polars parses it (a district's flags.csv: 2.3 s in pandas, 0.4 s), the same frame."""
    import polars as pl

    return pl.read_csv(path, columns=columns, infer_schema=False, empty_string_is_null=False).to_pandas()


def check_published_totals(r: _Reader, contract: Contract, cfg: dict, downloads: dict[str, Path]) -> list[Batch]:
    tol = float(cfg["totals"]["tolerance"])
    zh = {i.name: i.zh for i in contract.indicators}
    return [_download_batch(r, mart, path, tol, zh) for mart, path in sorted(downloads.items())]


def _download_batch(r: _Reader, mart: str, path: Path, tol: float, zh: dict[str, str]) -> Batch:
    """One download: as many rows as its mart, and the same totals (per indicator's 'all'
    rows for township_daily, per summed column otherwise)."""
    import great_expectations.expectations as gxe

    header = list(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)
    summed = [c for c in _SUMMED.get(mart, ()) if c in header]
    needed = set(summed) | set(_CONDITION_COLUMNS.get(mart, ()))
    frame = read_download(path, [c for c in header if c in needed] or header[:1])  # the row count needs one
    name = path.name
    for c in summed:
        frame[c] = pd.to_numeric(frame[c].replace("", None), errors="coerce").astype("float")
    for c in _CONDITION_COLUMNS.get(mart, ()):  # GX filters by them once per expectation: 0.96 → 0.63 s at district
        frame[c] = frame[c].astype("category")
    rows = int(r.df(f"select count(*) as n from {r.t(mart)}")["n"].iloc[0])
    params = {"rows": rows}
    exps = [
        gxe.ExpectTableRowCountToEqual(
            value=_param("rows"),
            severity=CRITICAL,
            description=f"{name} 的行数等于数据集市 {mart} 的行数",
            meta={"subject": name},
        )
    ]
    if mart == "fct_township_daily":
        totals = r.df(
            f"select indicator, coalesce(sum(value), 0) as total from {r.t(mart)} where breakdown = 'all' group by 1 order by 1"
        )
        for ind, total in zip(totals["indicator"], totals["total"]):
            label = zh.get(ind, ind)
            where = _where(indicator=ind, breakdown="all")
            exps.append(
                _sum_matches(
                    params,
                    "value",
                    ind,
                    float(total),
                    tol,
                    f"{name}：{label}（合计行）的总和等于数据集市",
                    f"{name} · {label}",
                    where,
                )
            )
    elif summed:
        totals = r.df("select " + ", ".join(f'coalesce(sum("{c}"), 0) as "{c}"' for c in summed) + f" from {r.t(mart)}")
        for c in summed:
            exps.append(
                _sum_matches(params, c, c, float(totals[c].iloc[0]), tol, f"{name}：{c} 的总和等于数据集市", f"{name} · {c}")
            )
    return Batch(name, frame, exps, params)


def _sum_matches(params: dict, column: str, key: str, total: float, tol: float, description: str, subject: str, where=None):
    """The column's sum within `tol` of `total` (bounds as parameters lo__key / hi__key)."""
    import great_expectations.expectations as gxe

    params[f"lo__{key}"], params[f"hi__{key}"] = total - tol, total + tol
    return gxe.ExpectColumnSumToBeBetween(
        column=column,
        min_value=_param(f"lo__{key}"),
        max_value=_param(f"hi__{key}"),
        severity=CRITICAL,
        **(where or {}),
        description=description,
        meta={"subject": subject},
    )


def campaigns_vs_daily(downloads: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From the two published files: per township and target type, the campaigns' summed
    counts next to township_daily's; and per campaign, the 'all' row next to its typed rows."""
    camp = read_download(downloads["mart_campaigns"])
    daily = read_download(downloads["fct_township_daily"])
    nums = ["inspections", "hazards_found", "hazards_accepted", "targets_checked", "banned"]
    for c in nums:
        camp[c] = pd.to_numeric(camp[c].replace("", None), errors="coerce").fillna(0.0).astype("float")
    daily["value"] = pd.to_numeric(daily["value"].replace("", None), errors="coerce").fillna(0.0).astype("float")
    summed = camp.groupby(["township_code", "target_type"], as_index=False)[
        ["inspections", "hazards_found", "hazards_accepted"]
    ].sum()
    by_type = daily[daily["indicator"] == "inspections"].copy()
    by_type["target_type"] = by_type["breakdown"]
    d_insp = (
        by_type.groupby(["township_code", "target_type"], as_index=False)["value"]
        .sum()
        .rename(columns={"value": "daily_inspections"})
    )
    d_all = (
        daily[daily["breakdown"] == "all"]
        .pivot_table(index="township_code", columns="indicator", values="value", aggfunc="sum", fill_value=0.0)
        .reindex(columns=["hazards_found", "hazards_accepted"], fill_value=0.0)
        .add_prefix("daily_")
        .reset_index()
        .assign(target_type="all")
    )
    agree = (
        summed.rename(columns={c: f"campaign_{c}" for c in ["inspections", "hazards_found", "hazards_accepted"]})
        .merge(d_insp, on=["township_code", "target_type"], how="left")
        .merge(d_all, on=["township_code", "target_type"], how="left")
    )
    agree = agree.fillna({"daily_inspections": 0.0})
    typed = (
        camp[camp["target_type"] != "all"]
        .groupby(["township_code", "campaign"], as_index=False)[["inspections", "hazards_found", "hazards_accepted"]]
        .sum()
    )
    whole = camp[camp["target_type"] == "all"][
        ["township_code", "campaign", "inspections", "hazards_found", "hazards_accepted", "targets_checked", "banned"]
    ]
    inner = whole.merge(typed, on=["township_code", "campaign"], how="outer", suffixes=("_all", "_by_type"))
    return agree, inner.fillna(0.0)


# (column A, column B, A == B or A ≥ B, the 'all' rows only, description, subject)
_CAMPAIGNS_WITHIN_DAILY = (
    (
        "daily_inspections",
        "campaign_inspections",
        "≥",
        False,
        "每个镇街、每种检查对象类型：各专项行动的检查次数之和不超过 township_daily.csv 的检查次数"
        "（专项行动的检查是全部检查的一部分，日期同样截至截至日）",
        "检查次数",
    ),
    (
        "daily_hazards_found",
        "campaign_hazards_found",
        "≥",
        True,
        "每个镇街：各专项行动发现的隐患之和不超过 township_daily.csv 的发现隐患数",
        "发现隐患",
    ),
    (
        "daily_hazards_accepted",
        "campaign_hazards_accepted",
        "≥",
        True,
        "每个镇街：各专项行动整改验收的隐患之和不超过 township_daily.csv 的整改验收数",
        "整改验收",
    ),
)
_CAMPAIGN_ROWS_AGREE = (
    (
        "inspections_all",
        "inspections_by_type",
        "==",
        False,
        "campaigns.csv 每个专项行动：合计行（all）的检查次数等于各对象类型行之和",
        "合计行 · 检查次数",
    ),
    (
        "hazards_found_all",
        "hazards_found_by_type",
        "==",
        False,
        "campaigns.csv 每个专项行动：合计行（all）的发现隐患等于各对象类型行之和",
        "合计行 · 发现隐患",
    ),
    ("targets_checked", "banned", "≥", False, "campaigns.csv 每个专项行动：依法取缔的对象数不超过检查对象数", "取缔 ≤ 检查对象"),
    (
        "inspections_all",
        "targets_checked",
        "≥",
        False,
        "campaigns.csv 每个专项行动：检查对象数不超过检查次数",
        "检查对象 ≤ 检查次数",
    ),
)


def _column_pair(a: str, b: str, op: str, all_rows_only: bool, description: str, subject: str):
    import great_expectations.expectations as gxe

    where = _where(target_type="all") if all_rows_only else {}
    if op == "==":
        return gxe.ExpectColumnPairValuesToBeEqual(
            column_A=a, column_B=b, severity=CRITICAL, **where, description=description, meta={"subject": subject}
        )
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=True, severity=CRITICAL, **where, description=description, meta={"subject": subject}
    )


def check_campaigns_agree(r: _Reader, contract: Contract, cfg: dict, downloads: dict[str, Path]) -> list[Batch]:
    agree, inner = campaigns_vs_daily(downloads)
    return [
        Batch("campaigns_vs_township_daily", agree, [_column_pair(*spec) for spec in _CAMPAIGNS_WITHIN_DAILY]),
        Batch("campaigns_rows", inner, [_column_pair(*spec) for spec in _CAMPAIGN_ROWS_AGREE]),
    ]


# ---------------------------------------------------------------------------- the gate


def run_gate(
    warehouse: Path,
    contract: Contract | None = None,
    scratch: Path | None = None,
    only: list[str] | None = None,
    keep_downloads: Path | None = None,
    memory_limit: str | None = None,
) -> list[CheckResult]:
    """Every gate check (or `only` these) over one warehouse; one CheckResult per check.
    `keep_downloads`: write the downloads there (emptied first) and leave them, else in a
    temporary folder under `scratch`. `memory_limit`: DuckDB's, instead of the configured one."""
    contract = contract or load_contract()
    cfg = gate_config()
    results = {c.name: c for c in _blank_results(only)}
    try:
        reader = _Reader(warehouse, memory_limit)
    except Exception as exc:
        return gate_not_run("warehouse", "读取仓库", f"cannot read warehouse: {exc}", "可读", only)

    def run(name: str, build) -> None:
        if name in results:
            _run_check(results[name], build)

    if keep_downloads is not None:
        shutil.rmtree(keep_downloads, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="gate-", dir=scratch) as tmp:
        try:
            run("gx_sources_complete", lambda: check_sources_complete(reader, contract, cfg))
            run("gx_sources_fresh", lambda: check_sources_fresh(reader, contract, cfg))
            run("gx_weekly_volumes", lambda: check_weekly_volumes(reader, contract, cfg))
            run("gx_marts_match_records", lambda: check_marts_match_records(reader, contract, cfg))
            downloads: dict[str, Path] = {}

            def csvs() -> dict[str, Path]:  # the site's downloads, written once
                if not downloads:
                    downloads.update(write_downloads(warehouse, keep_downloads or Path(tmp), memory_limit))
                return downloads

            run("gx_published_totals", lambda: check_published_totals(reader, contract, cfg, csvs()))
            run("gx_campaigns_agree", lambda: check_campaigns_agree(reader, contract, cfg, csvs()))
        finally:
            reader.close()
    return list(results.values())


def gate_not_run(subject: str, what: str, observed: str, expected: str, only: list[str] | None = None) -> list[CheckResult]:
    """Every check (or `only` these) failed for one reason that kept the gate from running."""
    results = _blank_results(only)
    for check in results:
        _fail(check, subject, what, observed, expected)
    return results


def _blank_results(only: list[str] | None) -> list[CheckResult]:
    """A result per configured check (or `only` these), none run yet."""
    checks = gate_config()["checks"].items()
    return [CheckResult(n, c["title"], c["what"], c["asset"]) for n, c in checks if only is None or n in only]


def _run_check(check: CheckResult, build) -> None:
    """Build the check's batches (and notes) and validate them; a check that cannot run is a
    failed check: never a silent pass."""
    try:
        out = build()
        batches, notes = out if isinstance(out, tuple) else (out, [])
        check.notes = notes
        validate(check, batches)
    except Exception as exc:
        _fail(check, check.title, check.what, f"检查无法运行：{type(exc).__name__}: {exc}", "可以运行")


def _fail(check: CheckResult, subject: str, what: str, observed: str, expected: str) -> None:
    check.status = FAIL
    check.items.append(
        {
            "subject": subject,
            "what": what,
            "type": "error",
            "severity": CRITICAL,
            "success": False,
            "status": FAIL,
            "observed": observed[:400],
            "expected": expected,
            "batch": "",
        }
    )


def write_results(results: list[CheckResult], path: Path, **about: Any) -> Path:
    """The run's gate results as JSON (atomically): what the 数据质量 page shows."""
    doc = {**about, "status": gate_status(results), "checks": [c.to_json() for c in results]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_results(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def gate_for_site(workdir: Path, run_id: str, warehouse: Path) -> tuple[dict | None, Path | None]:
    """What the site shows and publishes of this run's gate: its results (None: the gate did
    not run in this run), and the downloads it checked when they are of this very warehouse
    and it let the site publish (None: the site writes them itself)."""
    gate = read_results(results_path(workdir))
    if gate is not None and gate.get("run_id") != run_id:
        gate = None
    checked = downloads_path(workdir)
    if gate and gate.get("warehouse") == str(warehouse) and gate.get("status") != FAIL and checked.is_dir():
        return gate, checked
    return gate, None


def await_gate(workdir: Path, run_id: str, warehouse: Path, poll_s: float = 0.05) -> tuple[dict | None, Path | None]:
    """`gate_for_site` once this run's gate has written its results: the site's child calls
    it while it builds beside the gate (pipelines/assets/publish.py)."""
    path, seen = results_path(workdir), None
    while True:  # gate.json is parsed again only when it changed (a district's is 330 kB)
        try:
            st = path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp != seen:
            seen = stamp
            if (read_results(path) or {}).get("run_id") == run_id:
                return gate_for_site(workdir, run_id, warehouse)
        time.sleep(poll_s)


def gate_status(results: list[CheckResult]) -> str:
    statuses = {c.status for c in results}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

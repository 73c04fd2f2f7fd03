"""数据质量: the publishing gate's results of this run, the state and freshness of each
source, every inbox file accounted for, and every row held back (quarantine) or kept with a
problem (flags), by reason in Chinese (the first rows of each; the full lists are the CSVs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import i18n
from ..i18n import N_

if TYPE_CHECKING:
    from pipelines.contract import Contract

    from ..site import SiteContext

FILE = "quality.html"
NAV = N_("数据质量")
PER_REASON = 50  # rows listed per reason; the full lists are data/quarantine.csv and data/flags.csv
MAX_LISTED = PER_REASON  # (kept for callers of the old name)
STATUS_ZH = {"ok": N_("正常"), "missing": N_("缺失"), "incomplete": N_("不完整"), "stale": N_("数据滞后")}
GATE_ZH = {"pass": N_("通过"), "warn": N_("警告"), "fail": N_("未通过")}
# reason (quarantine) and flag codes (docs/ARCHITECTURE.md §1, dbt/macros/quality.sql)
REASON_ZH = {
    "missing_key": N_("缺少记录编号"),
    "missing_date": N_("缺少统计日期"),
    "bad_date": N_("日期无法识别"),
    "future_date": N_("日期晚于截至日次日"),
    "unknown_township": N_("镇街无法识别"),
    "unreadable_file": N_("文件无法读取"),
    "bad_line": N_("行无法解析"),
    "id_precision_lost": N_("编号丢失精度"),
    "id_checksum_failed": N_("证件号码校验不通过"),
    "unknown_grid": N_("网格编码未知"),
    "grid_from_location": N_("网格由经纬度定位"),
    "bad_value": N_("取值无法识别"),
}


def _source_names(contract: Contract) -> dict[str, str]:
    return {k: i18n.label(v) for k, v in contract.sources.items()}


def _files(ctx: SiteContext) -> tuple[list[dict], list[dict]]:
    """Per-file and per-source accounting from mart_ingest_report."""
    wh = ctx.wh
    files = wh.rows(f"select * from {wh.table('mart_ingest_report')} order by source, file")
    for f in files:
        parts = [f.get(k) or 0 for k in ("rows_loaded", "rows_quarantined", "rows_superseded")]
        f["balanced"] = (f.get("rows_read") or 0) == sum(parts)
    sources = []
    for s in sorted({f["source"] for f in files}):
        fs = [f for f in files if f["source"] == s]
        sources.append(
            {
                "source": s,
                "files": len(fs),
                **{
                    k: sum(f.get(k) or 0 for f in fs) for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_superseded")
                },
                "balanced": all(f["balanced"] for f in fs),
                "unreadable": sum(1 for f in fs if (f["status"] or "") == "unreadable"),
            }
        )
    return files, sources


def _listing(ctx: SiteContext, mart: str) -> dict[str, Any]:
    """Counts by (source, reason_or_flag), and per reason its first PER_REASON rows."""
    t = ctx.wh.table(mart)
    by_code = ctx.wh.rows(f"select source, reason_or_flag, count(*) as n from {t} group by 1, 2 order by 1, 2")
    counts: dict[str, int] = {}
    for r in by_code:
        counts[r["reason_or_flag"]] = counts.get(r["reason_or_flag"], 0) + r["n"]
    # one top-N query per reason: a window over the whole mart sorted every row of it (a
    # district's flags: +450 MB in each site process)
    first_rows = (
        'select source, file, sheet, row_number, record_key, reason_or_flag, "column", raw_value, explanation '
        f"from {t} where reason_or_flag = ? "
        f'order by source, file, row_number nulls first, record_key, "column" limit {PER_REASON}'
    )
    reasons = [
        {
            "code": code,
            "label": i18n.t(REASON_ZH[code]) if code in REASON_ZH else code,
            "n": n,
            "rows": ctx.wh.rows(first_rows, [code]),
        }
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    for r in reasons:
        r["truncated"] = r["n"] > len(r["rows"])
    total = sum(counts.values())
    return {"by_code": by_code, "total": total, "reasons": reasons, "truncated": any(r["truncated"] for r in reasons)}


def _freshness(status: list[dict], contract: Contract) -> list[dict]:
    """Per source: newest record, expected cadence (contract stale_after_days), lag, verdict."""
    out = []
    for s in status:
        source = contract.sources.get(s["source"])
        cadence = source.stale_after_days if source else s.get("stale_after_days")
        lag = s.get("lag_days")
        if s.get("newest_record_date") is None:
            verdict = N_("无记录")
        elif cadence is not None and lag is not None and lag > cadence:
            verdict = N_("滞后")
        else:
            verdict = N_("及时")
        out.append({**s, "cadence": cadence, "fresh": verdict})
    return out


def _gate(ctx: SiteContext) -> dict[str, Any] | None:
    gate = ctx.gate
    if not gate:
        return None
    checks = gate.get("checks") or []
    return {
        "status": gate.get("status"),
        "checks": checks,
        "counts": {k: sum(1 for c in checks if c.get("status") == k) for k in GATE_ZH},
    }


def build(ctx: SiteContext) -> str:
    files, sources = _files(ctx)
    status = ctx.wh.rows(f"select * from {ctx.wh.table('mart_source_status')} order by source")
    return ctx.render(
        "quality.html.j2",
        page_file=FILE,
        title=NAV,
        sources=sources,
        files=files,
        status=_freshness(status, ctx.contract),
        status_zh={k: ctx.t(v) for k, v in STATUS_ZH.items()},
        gate=_gate(ctx),
        gate_zh={k: ctx.t(v) for k, v in GATE_ZH.items()},
        reason_zh={k: ctx.t(v) for k, v in REASON_ZH.items()},
        quarantine=_listing(ctx, "mart_quarantine"),
        flagged=_listing(ctx, "mart_flags"),
        source_names=_source_names(ctx.contract),
        per_reason=PER_REASON,
    )

"""数据质量: every inbox file accounted for, and the rows held back with their reasons."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..site import SiteContext

FILE = "quality.html"
NAV = "数据质量"
MAX_LISTED = 500  # per page; the full list is data/quarantine.csv

REASONS = {
    "missing_key": "缺少主键",
    "bad_required_date": "必填日期无法识别",
    "unknown_township": "镇街无法匹配",
    "future_date": "统计日期晚于截至日",
    "unreadable_file": "文件无法读取",
}
FLAGS = {  # soft problems (row kept), for reference on the page
    "id_precision_lost": "编号精度丢失（科学计数法或小数）",
    "id_checksum_failed": "证件号码校验失败",
    "unknown_grid": "网格编码未知",
    "grid_from_location": "按经纬度定位网格",
    "bad_value": "字段值无法识别",
}


def _source_names(contract: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("zh", k) for k, v in contract.get("sources", {}).items()}


def build(ctx: "SiteContext") -> str:
    wh = ctx.wh
    files = wh.rows(f"select * from {wh.table('mart_ingest_report')} order by source, file")
    for f in files:
        parts = [f.get(k) or 0 for k in ("rows_loaded", "rows_quarantined", "rows_superseded")]
        f["balanced"] = (f.get("rows_read") or 0) == sum(parts)
        f.setdefault("status", None)
        f.setdefault("error", None)
    sources = []
    for s in sorted({f["source"] for f in files}):
        fs = [f for f in files if f["source"] == s]
        sources.append({"source": s, "files": len(fs),
                        **{k: sum(f.get(k) or 0 for f in fs) for k in
                           ("rows_read", "rows_loaded", "rows_quarantined", "rows_superseded")},
                        "balanced": all(f["balanced"] for f in fs),
                        "unreadable": sum(1 for f in fs if (f["status"] or "") == "unreadable")})

    quarantine = None
    if wh.has("mart_quarantine"):
        q = wh.table("mart_quarantine")
        by_reason = wh.rows(f"select source, reason, count(*) as n from {q} group by 1, 2 order by 1, 2")
        total = sum(r["n"] for r in by_reason)
        listed = wh.rows(f"select source, file, sheet, row_number, record_key, reason, detail from {q} "
                         f"order by source, file, row_number nulls first, record_key limit {MAX_LISTED}")
        quarantine = {"by_reason": by_reason, "total": total, "rows": listed,
                      "truncated": total > len(listed)}

    flag_counts = []
    if wh.has("mart_ingest_flags"):
        flag_counts = wh.rows(f"select source, file, flag, count(*) as n from {wh.table('mart_ingest_flags')} "
                              "group by 1, 2, 3 order by 1, 2, 3")

    return ctx.render("quality.html.j2", page_file=FILE, title="数据质量", sources=sources,
                      files=files, quarantine=quarantine, reasons=REASONS, flags=FLAGS, flag_counts=flag_counts,
                      source_names=_source_names(ctx.contract), max_listed=MAX_LISTED)

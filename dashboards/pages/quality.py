"""数据质量: the state of each source, every inbox file accounted for, and every row held
back (quarantine) or kept with a problem (flags), listed row by row with Chinese reasons."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..site import SiteContext

FILE = "quality.html"
NAV = "数据质量"
MAX_LISTED = 300  # rows listed per section; the full lists are data/quarantine.csv and data/flags.csv
STATUS_ZH = {"ok": "正常", "missing": "缺失", "incomplete": "不完整", "stale": "数据滞后"}


def _source_names(contract: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("zh", k) for k, v in contract.get("sources", {}).items()}


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
        sources.append({"source": s, "files": len(fs),
                        **{k: sum(f.get(k) or 0 for f in fs) for k in
                           ("rows_read", "rows_loaded", "rows_quarantined", "rows_superseded")},
                        "balanced": all(f["balanced"] for f in fs),
                        "unreadable": sum(1 for f in fs if (f["status"] or "") == "unreadable")})
    return files, sources


def _listing(ctx: SiteContext, mart: str) -> dict[str, Any]:
    """Counts by (source, reason_or_flag) and the first MAX_LISTED rows of a quality mart."""
    t = ctx.wh.table(mart)
    by_code = ctx.wh.rows(f"select source, reason_or_flag, count(*) as n from {t} group by 1, 2 order by 1, 2")
    total = sum(r["n"] for r in by_code)
    rows = ctx.wh.rows(
        f"select source, file, sheet, row_number, record_key, reason_or_flag, \"column\", raw_value, explanation "
        f"from {t} order by source, file, row_number nulls first, record_key, reason_or_flag, \"column\" "
        f"limit {MAX_LISTED}")
    return {"by_code": by_code, "total": total, "rows": rows, "truncated": total > len(rows)}


def build(ctx: SiteContext) -> str:
    files, sources = _files(ctx)
    status = ctx.wh.rows(f"select * from {ctx.wh.table('mart_source_status')} order by source")
    return ctx.render("quality.html.j2", page_file=FILE, title="数据质量", sources=sources, files=files,
                      status=status, status_zh=STATUS_ZH,
                      quarantine=_listing(ctx, "mart_quarantine"), flagged=_listing(ctx, "mart_flags"),
                      source_names=_source_names(ctx.contract), max_listed=MAX_LISTED)

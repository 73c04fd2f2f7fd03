"""Ingest assets: the reference tables, then one asset per source, each landing its new or
changed inbox files as Parquet in the lake (pipelines/ingest does the work)."""

import datetime as dt
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.assets import progress_done, progress_start, warm_ahead
from pipelines.contract import load_contract
from pipelines.dbt_child import warm_dbt
from pipelines.ingest import SOURCES, ingest_reference, ingest_source, load_reference
from pipelines.pii import load_or_create_secret
from pipelines.resources import RunSettings

REFERENCE_KEY = AssetKey(["lake", "reference"])


@asset(
    key=REFERENCE_KEY, group_name="ingest", description="乡镇街道, 网格, 赋权事项 and micro-grid polygons from inbox/reference/."
)
def reference(context: AssetExecutionContext, run_settings: RunSettings) -> MaterializeResult:
    s = run_settings.settings
    progress_start("reference 参考表")
    ref = ingest_reference(s.inbox, s.lake)
    progress_done(ref.summary().removeprefix("reference: "))
    context.log.info(ref.summary())
    # In a `zhifa run` the sources' steps and dbt's follow in this process, and the ingest
    # workers are already reading every source's new files (pipelines/cli.py `_read_ahead`):
    # dbt imports meanwhile.
    if warm_ahead(context.run.tags):
        warm_dbt(s.workdir)
    return MaterializeResult(metadata={"summary": ref.summary()})


def _source_asset(source: str):
    @asset(
        key=AssetKey(["lake", source]),
        deps=[REFERENCE_KEY],
        group_name="ingest",
        description=f"inbox/{source}/ exports → lake/{source}/*.parquet (incremental by content hash; quarantine with reasons).",
    )
    def _ingest(context: AssetExecutionContext, run_settings: RunSettings) -> MaterializeResult:
        s = run_settings.settings
        progress_start(f"ingest {source}")
        report = ingest_source(source, s.inbox, s.lake, load_or_create_secret(s.workdir), load_reference(s.lake))
        context.log.info(report.summary())
        newest = newest_counting_date(s.lake, source)
        progress_done(
            f"{len(report.files):,} files ({len(report.files_read)} read, {len(report.files_unchanged)} unchanged), "
            f"{report.rows_read:,} rows: {report.rows_lake:,} to the lake, {report.rows_quarantined:,} quarantined"
            + (f"; UNREADABLE: {', '.join(report.unreadable)}" if report.unreadable else "")
        )
        return MaterializeResult(
            metadata={
                "files_read": MetadataValue.int(len(report.files_read)),
                "files_unchanged": MetadataValue.int(len(report.files_unchanged)),
                "files_removed": MetadataValue.int(len(report.files_removed)),
                "files_unreadable": MetadataValue.int(len(report.unreadable)),
                "rows_read": MetadataValue.int(report.rows_read),
                "rows_lake": MetadataValue.int(report.rows_lake),
                "rows_quarantined": MetadataValue.int(report.rows_quarantined),
                "newest_record": MetadataValue.text(newest.isoformat() if newest else "—"),
                "summary": report.summary(),
            }
        )

    _ingest.__name__ = f"ingest_{source}"
    return _ingest


def newest_counting_date(lake: Path, source: str) -> dt.date | None:
    parts = [p for p in (lake / source).glob("*.parquet")]
    if not parts:
        return None
    with duckdb.connect() as con:
        return con.execute(
            "select max(_counting_date) from read_parquet(?, union_by_name=true)", [[str(p) for p in parts]]
        ).fetchone()[0]


def _freshness_check(source: str):
    """Is the feed alive? Newest record vs today, against the source's stale_after_days.
    A warning, not a gate: a late feed is published with the 数据滞后 banner, not blocked."""
    limit = load_contract().sources[source].stale_after_days

    @asset_check(
        asset=AssetKey(["lake", source]),
        name="freshness",
        blocking=False,
        description=f"newest {source} record within {limit} days of today",
    )
    def _check(run_settings: RunSettings) -> AssetCheckResult:
        newest = newest_counting_date(run_settings.settings.lake, source)
        lag = (dt.date.today() - newest).days if newest else None
        return AssetCheckResult(
            passed=lag is not None and lag <= limit,
            severity=AssetCheckSeverity.WARN,
            description=(
                f"no {source} records" if newest is None else f"newest record {newest}, {lag} days before today (limit {limit})"
            ),
            metadata={"newest_record": MetadataValue.text(str(newest)), "lag_days": MetadataValue.int(lag or -1)},
        )

    return _check


source_assets = [_source_asset(source) for source in SOURCES]
ingest_assets = [reference, *source_assets]
freshness_checks = [_freshness_check(source) for source in SOURCES]

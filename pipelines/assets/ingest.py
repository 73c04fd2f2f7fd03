"""Ingest assets: the reference tables, then one asset per source, each landing its new or
changed inbox files as Parquet in the lake (pipelines/ingest does the work)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.ingest import SOURCES, ingest_reference, ingest_source, load_reference
from pipelines.pii import load_or_create_secret
from pipelines.resources import WarehousePaths

REFERENCE_KEY = AssetKey(["lake", "reference"])


@asset(key=REFERENCE_KEY, group_name="ingest", description="乡镇街道, 网格, 赋权事项 and micro-grid polygons from inbox/reference/.")
def reference(context: AssetExecutionContext, paths: WarehousePaths) -> MaterializeResult:
    s = paths.settings
    ref = ingest_reference(s.inbox, s.lake)
    context.log.info(ref.summary())
    return MaterializeResult(metadata={"summary": ref.summary()})


def _source_asset(source: str):
    @asset(
        key=AssetKey(["lake", source]),
        deps=[REFERENCE_KEY],
        group_name="ingest",
        description=f"inbox/{source}/ exports → lake/{source}/*.parquet (incremental by content hash; quarantine with reasons).",
    )
    def _ingest(context: AssetExecutionContext, paths: WarehousePaths) -> MaterializeResult:
        s = paths.settings
        report = ingest_source(source, s.inbox, s.lake, load_or_create_secret(s.workdir), load_reference(s.lake))
        context.log.info(report.summary())
        return MaterializeResult(
            metadata={
                "files_read": MetadataValue.int(len(report.files_read)),
                "files_unchanged": MetadataValue.int(len(report.files_unchanged)),
                "files_removed": MetadataValue.int(len(report.files_removed)),
                "summary": report.summary(),
            }
        )

    _ingest.__name__ = f"ingest_{source}"
    return _ingest


source_assets = [_source_asset(source) for source in SOURCES]
ingest_assets = [reference, *source_assets]

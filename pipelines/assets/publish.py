"""The static report site: built beside the live one, swapped in only after the gate."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.site import build_site
from pipelines.asof import warehouse_as_of
from pipelines.assets.quality import SITE_MARTS
from pipelines.publish import new_release_dir, promote_warehouse, swap_in
from pipelines.resources import WarehousePaths

SITE_KEY = AssetKey(["site"])


@asset(
    key=SITE_KEY,
    deps=[AssetKey(["marts", mart]) for mart in SITE_MARTS],
    group_name="publish",
    description="WORKDIR/site: KPI pages, 五色图, data quality, glossary and the §6 downloads.",
)
def site(context: AssetExecutionContext, paths: WarehousePaths) -> MaterializeResult:
    s = paths.settings
    warehouse = s.newest_warehouse()
    release = new_release_dir(s.site, context.run.run_id)
    pages = build_site(warehouse, release, warehouse_as_of(warehouse))
    if warehouse != s.warehouse:  # tonight's build passed the gate: it becomes the live warehouse
        promote_warehouse(s)
    swap_in(s.site, release)
    context.log.info(f"published {len(pages)} files to {s.site} → {release.name}")
    return MaterializeResult(metadata={"release": release.name, "files": MetadataValue.int(len(pages))})

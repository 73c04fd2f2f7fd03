"""The static report site: built beside the live one, swapped in only after the gate."""

import shutil

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.site import build_site
from pipelines.asof import warehouse_as_of
from pipelines.assets import progress_done, progress_start
from pipelines.assets.quality import SITE_MARTS
from pipelines.publish import commit_link, new_release_dir, promote_warehouse, stage_link
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
    progress_start("site 网站")
    release = new_release_dir(s.site, context.run.run_id)
    try:
        pages = build_site(warehouse, release, warehouse_as_of(warehouse))
        link = stage_link(s.site, release)  # the one step that needs new space: before any swap
    except BaseException:
        # disk full, an unwritable folder, a crash of the builder: no half-built release is
        # left behind, and the live site and warehouse stay as they were
        shutil.rmtree(release, ignore_errors=True)
        raise
    if warehouse != s.warehouse:  # tonight's build passed the gate: it becomes the live warehouse
        promote_warehouse(s)
    commit_link(link, s.site, release)  # rename(2): the new site appears all at once
    progress_done(f"{len(pages)} files, release {release.name}")
    context.log.info(f"published {len(pages)} files to {s.site} → {release.name}")
    return MaterializeResult(metadata={"release": release.name, "files": MetadataValue.int(len(pages))})

"""The static report site: built beside the live one, swapped in only after the gate.

Its upstream is the dbt exposure `report_site` (dbt/models/exposures.yml): the models the
site reads, taken from dbt's manifest and keyed by the same translator as the dbt assets.
"""

import datetime as dt
import json
import shutil
from zoneinfo import ZoneInfo

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.mart_reader import SITE_EXPOSURE
from dashboards.site import build_site
from pipelines.asof import warehouse_as_of
from pipelines.assets import SITE_STEP, progress_done, progress_start
from pipelines.child import call_in_child
from pipelines.dbt_parse import prepare_manifest
from pipelines.dbt_project import DBT_PROJECT, LayeredTranslator
from pipelines.publish import (
    INPUTS_TAG,
    commit_link,
    complete_release,
    new_release_dir,
    promote_warehouse,
    remember_release,
    stage_link,
)
from pipelines.quality import downloads_path, read_results, results_path
from pipelines.resources import RunSettings

SITE_KEY = AssetKey(["site"])


def exposure_models(manifest: dict, exposure: str = SITE_EXPOSURE) -> list[dict]:
    """The manifest nodes (models) the exposure depends on."""
    found = [e for e in manifest.get("exposures", {}).values() if e["name"] == exposure]
    if not found:
        raise LookupError(f"dbt exposure {exposure!r} not found (dbt/models/exposures.yml)")
    return [manifest["nodes"][n] for n in sorted(found[0]["depends_on"]["nodes"]) if n in manifest["nodes"]]


def site_deps() -> list[AssetKey]:
    """The asset keys of the models the site reads, from the exposure in dbt's manifest."""
    manifest = json.loads(prepare_manifest(DBT_PROJECT).read_text(encoding="utf-8"))
    translator = LayeredTranslator()
    return [translator.get_asset_key(node) for node in exposure_models(manifest)]


def publish_stamp(now: dt.datetime | None = None) -> str:
    """When this release was published, Beijing time (the footer and 数据质量 show it)."""
    now = now or dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    return now.strftime("%Y-%m-%d %H:%M")  # Beijing time: the pages say so in their language


@asset(
    key=SITE_KEY,
    deps=site_deps(),
    group_name="publish",
    description="WORKDIR/site: KPI pages, 五色图, data quality, glossary and the §6 downloads.",
)
def site(context: AssetExecutionContext, run_settings: RunSettings) -> MaterializeResult:
    s = run_settings.settings
    warehouse = s.newest_warehouse()
    progress_start("site 网站")
    release = new_release_dir(s.site, context.run.run_id)
    try:
        gate = read_results(results_path(s.workdir))
        if gate is not None and gate.get("run_id") != context.run.run_id:
            gate = None  # another run's results: the page says the gate did not run with this build
        # the downloads the gate checked, of this very warehouse: published as they are
        checked = downloads_path(s.workdir) if gate and gate.get("warehouse") == str(warehouse) else None
        pages = call_in_child(
            SITE_STEP,
            build_site,
            warehouse,
            release,
            warehouse_as_of(warehouse),
            build_stamp=publish_stamp(),
            gate=gate,
            downloads=checked if checked and checked.is_dir() else None,
        )
        release = complete_release(release)
        link = stage_link(s.site, release)  # the one step that needs new space: before any swap
    except BaseException:
        # disk full, an unwritable folder, a crash of the builder: no half-built release is
        # left behind, and the live site and warehouse stay as they were
        shutil.rmtree(release, ignore_errors=True)
        raise
    if warehouse != s.warehouse:  # tonight's build passed the gate: it becomes the live warehouse
        promote_warehouse(s)
    commit_link(link, s.site, release)  # rename(2): the new site appears all at once
    remember_release(s, context.run.tags.get(INPUTS_TAG))  # an unchanged night can then be skipped
    progress_done(f"{len(pages)} files, release {release.name}")
    context.log.info(f"published {len(pages)} files to {s.site} → {release.name}")
    return MaterializeResult(metadata={"release": release.name, "files": MetadataValue.int(len(pages))})

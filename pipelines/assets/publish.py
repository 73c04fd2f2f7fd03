"""The static report site: built beside the live one, swapped in only after the gate.

Its upstream is the dbt exposure `report_site` (dbt/models/exposures.yml): the models the
site reads, taken from dbt's manifest and keyed by the same translator as the dbt assets.
"""

import datetime as dt
import functools
import json
import shutil
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.mart_reader import SITE_EXPOSURE
from dashboards.site import build_site
from pipelines.asof import warehouse_as_of
from pipelines.assets import SITE_STEP, progress_done, progress_start
from pipelines.child import Pending, call_in_child, submit_in_child
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
from pipelines.quality import await_gate, gate_for_site
from pipelines.resources import RunSettings
from pipelines.settings import Settings

SITE_KEY = AssetKey(["site"])


# A `zhifa run` builds the site while the gate runs: the gate's step starts the build in the
# site's child (`build_beside_gate`), which writes every page but 数据质量 meanwhile and then
# waits for the gate's results (pipelines/quality.py `await_gate`). The site's step takes it
# when the gate let the site run; otherwise the run drops it (`drop_site_beside_gate`).
class Beside(NamedTuple):
    build: Pending
    release: Path
    warehouse: Path


_BESIDE_GATE: dict[str, Beside] = {}  # by run id


def build_beside_gate(s: Settings, run_id: str, warehouse: Path) -> None:
    release = new_release_dir(s.site, run_id)
    wait = functools.partial(await_gate, s.workdir, run_id, warehouse)
    as_of, stamp = warehouse_as_of(warehouse), publish_stamp()
    pending = submit_in_child(SITE_STEP, build_site, warehouse, release, as_of, build_stamp=stamp, await_gate=wait)
    _BESIDE_GATE[run_id] = Beside(pending, release, warehouse)


def drop_site_beside_gate() -> None:
    """End the builds no site step took (the gate blocked, or the run stopped)."""
    while _BESIDE_GATE:
        _drop(_BESIDE_GATE.popitem()[1])


def _drop(beside: Beside) -> None:
    beside.build.cancel()
    shutil.rmtree(beside.release, ignore_errors=True)


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
    beside = _BESIDE_GATE.pop(context.run.run_id, None)
    if beside is not None and beside.warehouse != warehouse:  # not the warehouse to publish: built again
        _drop(beside)
        beside = None
    release = beside.release if beside else new_release_dir(s.site, context.run.run_id)
    try:
        if beside is not None:  # started beside the gate (`build_beside_gate`)
            pages = beside.build.result()
        else:
            gate, checked = gate_for_site(s.workdir, context.run.run_id, warehouse)
            pages = call_in_child(
                SITE_STEP,
                build_site,
                warehouse,
                release,
                warehouse_as_of(warehouse),
                build_stamp=publish_stamp(),
                gate=gate,
                downloads=checked,
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

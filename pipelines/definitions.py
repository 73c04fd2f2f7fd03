"""The one place the Dagster definitions are assembled: `dagster dev -m pipelines.definitions`
shows exactly what `zhifa run` and the nightly schedule execute."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from pipelines.assets.dbt_models import warehouse_models
from pipelines.assets.ingest import freshness_checks, ingest_assets
from pipelines.assets.publish import site
from pipelines.assets.quality import gx_checks
from pipelines.dbt_child import dbt_launcher
from pipelines.dbt_project import OfflineDbtCliResource
from pipelines.resources import RunSettings
from pipelines.sensors import build_inbox_sensor, build_nightly_schedule, build_run_recorders
from pipelines.settings import DBT_DIR, Settings

NIGHTLY_JOB = "nightly"
PUBLISH_JOB = "publish"

nightly_job = define_asset_job(NIGHTLY_JOB, selection=AssetSelection.all(), description="inbox → lake → marts → gate → site")
# Re-run the gate over the warehouse as it is and publish if it passes (no ingest, no dbt).
publish_job = define_asset_job(
    PUBLISH_JOB,
    selection=AssetSelection.assets(site) | AssetSelection.checks(*gx_checks),
    description="quality gate → site, over the existing warehouse",
)


def build_definitions(settings: Settings) -> Definitions:
    settings.export_env()
    return Definitions(
        assets=[*ingest_assets, warehouse_models, site],
        asset_checks=[*gx_checks, *freshness_checks],
        jobs=[nightly_job, publish_job],
        schedules=[build_nightly_schedule(nightly_job)],
        sensors=[build_inbox_sensor(nightly_job), *build_run_recorders(nightly_job, publish_job)],
        resources={
            "run_settings": RunSettings.from_settings(settings),
            "dbt": OfflineDbtCliResource(
                project_dir=str(DBT_DIR),
                profiles_dir=str(DBT_DIR),
                # this environment's dbt, through a launcher that dies with the run (dbt_child.py)
                dbt_executable=str(dbt_launcher(settings.workdir)),
            ),
        },
        # One DuckDB file has one writer: steps run one after another in the run's process.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())

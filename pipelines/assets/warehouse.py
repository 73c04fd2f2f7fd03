"""The dbt project (staging → intermediate → marts) as Dagster assets."""

import json

from dagster import AssetCheckResult, AssetExecutionContext, AssetMaterialization, Output
from dagster_dbt import dbt_assets

from pipelines.asof import resolve_as_of
from pipelines.assets import progress_done, progress_start
from pipelines.resources import WarehousePaths
from pipelines.warehouse import DBT_PROJECT, LayeredTranslator, OfflineDbtCliResource, prepare_manifest

prepare_manifest(DBT_PROJECT)


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=LayeredTranslator())
def warehouse_models(context: AssetExecutionContext, dbt: OfflineDbtCliResource, paths: WarehousePaths):
    s = paths.settings
    s.export_env()
    as_of = resolve_as_of(s)
    context.log.info(f"as-of date {as_of}")
    # Build a fresh warehouse beside the live one: a run that is killed or blocked leaves the
    # live warehouse (and the site built from it) exactly as they were.
    s.warehouse_build_done.unlink(missing_ok=True)
    s.warehouse_build.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (s.warehouse_build, s.warehouse_build.with_name(s.warehouse_build.name + ".wal")):
        leftover.unlink(missing_ok=True)
    progress_start(f"dbt build, as of {as_of}")
    models = tests = 0
    for event in dbt.cli(
        ["build", "--vars", json.dumps({"as_of": as_of.isoformat()})],
        context=context,
        target_path=s.dbt_target,
    ).stream():
        if isinstance(event, AssetCheckResult):
            tests += 1
        elif isinstance(event, (Output, AssetMaterialization)):
            models += 1
        yield event
    progress_done(f"{models} models, {tests} tests")
    s.warehouse_build_done.write_text(as_of.isoformat(), encoding="utf-8")

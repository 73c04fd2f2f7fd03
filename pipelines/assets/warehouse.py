"""The dbt project (staging → intermediate → marts) as Dagster assets."""

import json

from dagster import AssetExecutionContext
from dagster_dbt import dbt_assets

from pipelines.asof import resolve_as_of
from pipelines.resources import WarehousePaths
from pipelines.warehouse import DBT_PROJECT, LayeredTranslator, OfflineDbtCliResource, prepare_manifest

prepare_manifest(DBT_PROJECT)


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=LayeredTranslator())
def warehouse_models(context: AssetExecutionContext, dbt: OfflineDbtCliResource, paths: WarehousePaths):
    s = paths.settings
    s.export_env()
    as_of = resolve_as_of(s)
    context.log.info(f"as-of date {as_of}")
    yield from dbt.cli(
        ["build", "--vars", json.dumps({"as_of": as_of.isoformat()})],
        context=context,
        target_path=s.dbt_target,
    ).stream()

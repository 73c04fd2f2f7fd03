"""The dbt project (staging → intermediate → marts) as Dagster assets.

Which dbt tests a night runs: every data test the first time a code version (pipelines,
dbt project, contract, libraries: `pipelines.publish.code_version`) builds in a workdir,
so a new deployment proves itself on this site's data; after that passed, only the tests
that guard the marts (every test on a mart, the singular tests). The tests on staging and
intermediate views check the code, which has not changed, and re-run each view's query
(a third of the build). The dbt unit tests never run at night: their inputs are fixtures
written in the yml, not tonight's data, so a night can add nothing to what CI proved
(`make test` runs them; `ZHIFA_DBT_TESTS=all` runs every test and unit test here too).
"""

import os

from dagster import AssetCheckResult, AssetExecutionContext, AssetMaterialization, Output
from dagster_dbt import dbt_assets

from pipelines.asof import resolve_as_of
from pipelines.assets import GATE_IMPORTS, GATE_STEP, progress_done, progress_start, warm_ahead
from pipelines.child import warm_child
from pipelines.dbt_parse import prepare_manifest, seed_parse_cache
from pipelines.dbt_project import DBT_PROJECT, LayeredTranslator, OfflineDbtCliResource
from pipelines.increment import record_build, start_build
from pipelines.ingest.workers import release_workers
from pipelines.publish import code_version
from pipelines.resources import RunSettings

prepare_manifest(DBT_PROJECT)

UNIT_TESTS = "resource_type:unit_test"  # fixtures, not data: CI's job
# dbt selectors of what a night with already-proven code also leaves out
PROVEN_CODE_EXCLUDE = (
    "resource_type:test,path:models/staging",
    "resource_type:test,path:models/intermediate",
)
RUN_AS_OF_ENV = "ZHIFA_RUN_AS_OF"
ALL_TESTS_ENV = "ZHIFA_DBT_TESTS"  # "all": every dbt test and unit test, whatever the stamp says


def tests_scope(settings, code: str) -> tuple[list[str], str | None]:
    """(extra dbt arguments, the code version `code` to stamp after a passing build or None)."""
    try:
        proven = settings.dbt_full_build_stamp.read_text(encoding="utf-8").strip() == code
    except OSError:
        proven = False
    if os.environ.get(ALL_TESTS_ENV, "").lower() == "all":
        return [], code
    # one argument (a space-separated union): dagster-dbt keeps only the first value of an option
    if proven:
        return ["--exclude", " ".join((UNIT_TESTS, *PROVEN_CODE_EXCLUDE))], None
    return ["--exclude", UNIT_TESTS], code


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=LayeredTranslator())
def warehouse_models(context: AssetExecutionContext, dbt: OfflineDbtCliResource, run_settings: RunSettings):
    s = run_settings.settings
    s.export_env()
    release_workers()  # ingest is over: the workers' memory goes back before dbt's DuckDB takes its share
    as_of = resolve_as_of(s)
    context.log.info(f"as-of date {as_of}")
    os.environ[RUN_AS_OF_ENV] = as_of.isoformat()  # read by stg_lake__as_of (an env var, not a dbt var: see there)
    # Build tonight's warehouse beside the live one (fresh, or a copy that dbt continues:
    # pipelines/increment.py): a run that is killed or blocked leaves the live warehouse (and
    # the site built from it) exactly as they were.
    s.warehouse_build_done.unlink(missing_ok=True)
    s.warehouse_build.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (s.warehouse_build, s.warehouse_build.with_name(s.warehouse_build.name + ".wal")):
        leftover.unlink(missing_ok=True)
    code = code_version()
    build = start_build(s.warehouse, s.warehouse_build, s.lake, code)
    if warm_ahead(context.run.tags, None if build.incremental else s.lake):
        warm_child(GATE_STEP, *GATE_IMPORTS)
    exclude, stamp = tests_scope(s, code)
    if stamp:  # until this build passes, the code is not proven here
        s.dbt_full_build_stamp.unlink(missing_ok=True)
    seed_parse_cache(s.dbt_target, DBT_PROJECT)
    progress_start(f"dbt build, as of {as_of}, {build.why}")
    models = tests = 0
    for event in dbt.cli(
        ["build", *exclude],
        context=context,
        target_path=s.dbt_target,
    ).stream():
        if isinstance(event, AssetCheckResult):
            tests += 1
        elif isinstance(event, (Output, AssetMaterialization)):
            models += 1
        yield event
    progress_done(
        f"{models} models, {tests} tests"
        + (
            " (every data test: first build of this code here)"
            if stamp
            else " (those guarding the marts; the others passed on this code before)"
        )
    )
    if stamp:  # every test passed with this code: later nights may run the mart tests only
        s.dbt_full_build_stamp.parent.mkdir(parents=True, exist_ok=True)
        s.dbt_full_build_stamp.write_text(stamp, encoding="utf-8")
    record_build(s.warehouse_build, s.lake, code, as_of, build)
    s.warehouse_build_done.write_text(as_of.isoformat(), encoding="utf-8")

"""The publishing gate (pipelines/quality.py) as Dagster asset checks.

One `multi_asset_check` runs every gate check once over the newest complete warehouse and
reports one blocking check per gate check (gx_*) on the mart it judges. A failed
`critical` expectation gives an ERROR result: the site (downstream of those marts) is not
built and the live site stays. A failed `warning` expectation gives a WARN result: the
site is published and the warning is on the 数据质量 page. The run's results are written to
WORKDIR/quality/gate.json, where the site asset reads them.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from pipelines.assets import GATE_STEP, SITE_IMPORTS, SITE_STEP, progress_line, site_beside_gate, warm_ahead
from pipelines.assets.publish import build_beside_gate
from pipelines.child import ChildDied, call_in_child, warm_child
from pipelines.quality import (
    PASS,
    WARN,
    downloads_path,
    gate_config,
    gate_not_run,
    results_path,
    run_gate,
    write_results,
)
from pipelines.resources import RunSettings

# DuckDB's cap in the gate's child while the site's is built beside it (instead of 1 GB): a
# district's +1 day peaked at 1,926 MB with 1 GB; 512 MB took no longer (`zhifa publish`,
# 18.7 and 18.5 s) and kept the gate's child ~100 MB smaller (publish peak 1,822 → 1,728 MB).
GATE_BESIDE_SITE_MEMORY_LIMIT = "512MB"

GATE_SPECS = [
    AssetCheckSpec(name, asset=AssetKey(["marts", c["asset"]]), blocking=True, description=c["what"])
    for name, c in gate_config()["checks"].items()
]


@multi_asset_check(
    specs=GATE_SPECS, name="quality_gate", description="Great Expectations publishing gate: is tonight's data fit to show?"
)
def quality_gate(context: AssetCheckExecutionContext, run_settings: RunSettings):
    s = run_settings.settings
    warehouse = s.newest_warehouse()
    memory_limit = None
    if warm_ahead(context.run.tags):  # the site's step follows in this process
        if site_beside_gate(warehouse):
            build_beside_gate(s, context.run.run_id, warehouse)
            memory_limit = GATE_BESIDE_SITE_MEMORY_LIMIT
        else:
            warm_child(SITE_STEP, *SITE_IMPORTS)
    # in a child: the gate's frames are the run's largest memory and must not stay for the site
    try:
        scratch = s.workdir if s.workdir.is_dir() else None
        keep = downloads_path(s.workdir) if scratch else None
        results = call_in_child(GATE_STEP, run_gate, warehouse, scratch=scratch, keep_downloads=keep, memory_limit=memory_limit)
    except ChildDied as exc:  # killed or out of memory: every check failed, never a silent pass
        results = gate_not_run(GATE_STEP, "运行检查", str(exc), "检查进程正常结束")
    write_results(results, results_path(s.workdir), run_id=context.run.run_id, warehouse=str(warehouse))
    for check in results:
        bad = [i for i in check.items if not i["success"]]
        progress_line(
            f"quality gate {check.name}: "
            + {PASS: "passed", WARN: "WARNING (publishes)"}.get(check.status, "FAILED (blocks)")
            + f" ({len(check.items) - len(bad)}/{len(check.items)} expectations)"
        )
        yield AssetCheckResult(
            asset_key=AssetKey(["marts", gate_config()["checks"][check.name]["asset"]]),
            check_name=check.name,
            passed=check.status == PASS,
            severity=AssetCheckSeverity.WARN if check.status in (PASS, WARN) else AssetCheckSeverity.ERROR,
            description=("warning only, the site is published: " if check.status == WARN else "") + check.describe(),
            metadata={
                "status": MetadataValue.text(check.status),
                "expectations": MetadataValue.int(len(check.items)),
                "failures": MetadataValue.json([f"{i['subject']}: {i['observed']} (expected {i['expected']})" for i in bad]),
            },
        )


gx_checks = [quality_gate]

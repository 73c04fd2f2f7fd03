"""Great Expectations suites as blocking asset checks: a failed suite stops the publish."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from pipelines.assets import progress_line
from pipelines.quality import load_suite_spec, suite_names, validate_suite
from pipelines.resources import WarehousePaths

SITE_MARTS = suite_names()  # each mart that feeds the site has a suite of the same name


def _gx_check(mart: str):
    @asset_check(
        asset=AssetKey(["marts", mart]),
        name=f"gx_{mart}",
        blocking=True,
        description=load_suite_spec(mart)["meta"]["description"],
    )
    def _check(paths: WarehousePaths) -> AssetCheckResult:
        result = validate_suite(paths.settings.newest_warehouse(), mart)
        progress_line(f"quality gate {mart}: {'passed' if result.success else 'FAILED'} ({result.rows:,} rows)")
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            description=result.describe(),
            metadata={"rows": MetadataValue.int(result.rows), "failures": MetadataValue.json(result.failures)},
        )

    return _check


gx_checks = [_gx_check(mart) for mart in SITE_MARTS]

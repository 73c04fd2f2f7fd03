"""The publishing gate: Great Expectations suites over the marts that feed the site.

Suites live in `expectations/<mart>.json` (GX suite JSON plus `meta.query`, the SQL that
reads the mart). Facts of the contract enter as GX suite parameters (`{"$PARAMETER":
"contract_indicators"}`), filled from pipelines/contract.yaml at validation: not copied. GX's SQL datasource over duckdb-engine fails with duckdb 2.0, so each mart
is read from DuckDB (read-only) into pandas and validated with GX's pandas datasource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import yaml

from pipelines.settings import EXPECTATIONS_DIR, load_contract


@dataclass
class SuiteResult:
    suite: str
    success: bool
    rows: int
    failures: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.success:
            return f"{self.suite}: passed ({self.rows} rows)"
        return f"{self.suite}: FAILED — " + "; ".join(self.failures)


def suite_names(directory: Path = EXPECTATIONS_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def load_suite_spec(name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    cfg = yaml.safe_load((EXPECTATIONS_DIR / "gx_context.yml").read_text(encoding="utf-8"))
    project_config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=cfg["analytics_enabled"],
        progress_bars=ProgressBarsConfig(**cfg["progress_bars"]),
    )
    context = gx.get_context(project_config=project_config, mode="ephemeral")
    return context, context.data_sources.add_pandas("warehouse")


def suite_parameters() -> dict:
    """The contract facts the suites refer to with {"$PARAMETER": name}."""
    return {"contract_indicators": [i["name"] for i in load_contract()["indicators"]]}


def validate_suite(warehouse: Path, name: str, directory: Path = EXPECTATIONS_DIR) -> SuiteResult:
    import great_expectations as gx

    spec = load_suite_spec(name, directory)
    query = spec["meta"]["query"]
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            frame = con.execute(query).df()
    except duckdb.Error as exc:
        return SuiteResult(name, False, 0, [f"cannot read mart: {exc}"])

    context, datasource = _context()
    asset = datasource.add_dataframe_asset(f"{name}_{id(frame)}")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"])
    result = batch.validate(suite, result_format="SUMMARY", expectation_parameters=suite_parameters())
    datasource.delete_asset(asset.name)

    failures = []
    for r in result.results:
        if r.success:
            continue
        kwargs = {k: v for k, v in r.expectation_config.kwargs.items() if k not in ("batch_id",)}
        detail = r.result or {}
        sample = detail.get("partial_unexpected_list") or detail.get("observed_value")
        failures.append(
            f"{r.expectation_config.type}({json.dumps(kwargs, ensure_ascii=False, default=str)})"
            + (f" unexpected={detail.get('unexpected_count')}" if detail.get("unexpected_count") is not None else "")
            + (f" e.g. {json.dumps(sample[:5] if isinstance(sample, list) else sample, ensure_ascii=False, default=str)}" if sample is not None else "")
        )
    return SuiteResult(name, bool(result.success), len(frame), failures)

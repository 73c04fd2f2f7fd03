"""The `site` asset's upstream is the dbt exposure `report_site`, and the exposure names every
model the site's code reads (dashboards/), so the lineage Dagster shows is the real one."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from dagster import AssetKey

from dashboards.mart_reader import SITE_EXPOSURE, site_models
from pipelines.assets.publish import exposure_models
from pipelines.settings import DBT_DIR, REPO_ROOT

EXPOSURES = DBT_DIR / "models" / "exposures.yml"


def _exposure() -> dict:
    doc = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))
    [site] = [e for e in doc["exposures"] if e["name"] == SITE_EXPOSURE]
    return site


def _models() -> set[str]:
    return {p.stem for p in (DBT_DIR / "models").rglob("*.sql")}


def test_exposure_is_a_dashboard_of_every_model_the_site_reads():
    site = _exposure()
    assert site["type"] == "dashboard"
    named = set()
    for path in (REPO_ROOT / "dashboards").rglob("*"):
        if path.suffix in (".py", ".j2"):
            named |= set(re.findall(r"\b((?:mart|fct|dim)_[a-z0-9_]+)", path.read_text(encoding="utf-8")))
    read = named & _models()
    assert {"fct_township_daily", "mart_campaigns", "mart_source_status", "mart_flags"} <= read
    listed = set(site_models())  # what build_site requires
    assert listed == read, f"missing: {sorted(read - listed)}, extra: {sorted(listed - read)}"


def test_site_deps_come_from_the_exposure_in_the_manifest():
    from pipelines.definitions import defs

    parents = defs.resolve_asset_graph().get(AssetKey(["site"])).parent_keys
    assert parents == {AssetKey(["marts", m]) for m in site_models()}


def test_exposure_models_reads_the_manifest_shape():
    manifest = {
        "exposures": {
            "exposure.zhifa.report_site": {"name": "report_site", "depends_on": {"nodes": ["model.zhifa.b", "model.zhifa.a"]}}
        },
        "nodes": {"model.zhifa.a": {"name": "a"}, "model.zhifa.b": {"name": "b"}},
    }
    assert [n["name"] for n in exposure_models(manifest)] == ["a", "b"]


def test_the_gate_checks_are_blocking_checks_on_marts_the_site_reads():
    from pipelines.definitions import defs
    from pipelines.quality import check_names

    graph = defs.resolve_asset_graph()
    site_parents = graph.get(AssetKey(["site"])).parent_keys
    checks = {c.name: c for c in graph.asset_check_keys}
    for name in check_names():
        key = checks[name]
        assert key.asset_key in site_parents, name  # so a failed check stops the site
        assert defs.get_asset_checks_def(key).get_spec_for_check_key(key).blocking


def test_no_gx_suite_repeats_a_dbt_not_null_or_unique_test():
    assert not list((REPO_ROOT / "expectations").glob("*.json"))
    source = (REPO_ROOT / "pipelines" / "quality.py").read_text(encoding="utf-8")
    for repeat in ("ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        assert repeat not in source
    assert Path(REPO_ROOT / "expectations" / "gate.yml").is_file()

"""The §7 indicator list lives in pipelines/contract.yaml; every other place that must list
the same indicators (dbt var, dbt accepted_values tests, the GX suite) is checked against it,
so a new indicator cannot be added in one place and silently missing in another."""

from __future__ import annotations

import json

import yaml

from pipelines.settings import DBT_DIR, EXPECTATIONS_DIR, load_contract

CONTRACT_INDICATORS = [i["name"] for i in load_contract()["indicators"]]


def _accepted_indicator_lists():
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []):
            for column in model.get("columns", []):
                if column.get("name") != "indicator":
                    continue
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test:
                        args = test["accepted_values"].get("arguments", test["accepted_values"])
                        yield f"{path.name}:{model['name']}", args["values"]


def test_dbt_var_lists_the_contract_indicators_in_order():
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["indicators"] == CONTRACT_INDICATORS


def test_dbt_accepted_values_match_the_contract():
    lists = dict(_accepted_indicator_lists())
    assert len(lists) >= 3
    for where, values in lists.items():
        assert sorted(values) == sorted(CONTRACT_INDICATORS), where


def test_gx_suite_matches_the_contract():
    suite = json.loads((EXPECTATIONS_DIR / "fct_township_daily.json").read_text(encoding="utf-8"))
    sets = [e["kwargs"]["value_set"] for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "indicator"]
    assert sets and sorted(sets[0]) == sorted(CONTRACT_INDICATORS)


def _project_vars() -> dict:
    return yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def test_dbt_var_maps_each_indicator_to_its_contract_source():
    """Clause 5 (has_prior_data per indicator source) and mart_source_status read this var."""
    expected = {i["name"]: i["source"] for i in load_contract()["indicators"]}
    assert list(_project_vars()["indicator_sources"].items()) == list(expected.items())


def test_dbt_var_lists_the_contract_sources_with_their_stale_limits():
    expected = {name: {"zh": s["zh"], "stale_after_days": s["stale_after_days"]}
                for name, s in load_contract()["sources"].items()}
    assert _project_vars()["lake_sources"] == expected


def test_dbt_var_lists_every_secondary_date_with_its_horizon():
    """Every date/timestamp column but the primary counting date may not lie after as_of + 1 day
    (deadlines: + 366 days); dbt sets later values to NULL and flags them future_date."""
    expected = {}
    for name, s in load_contract()["sources"].items():
        counting = s["counting_date"]
        primary = counting[0] if isinstance(counting, list) else counting
        expected[name] = {c["name"]: 366 if c.get("deadline") else 1 for c in s["columns"]
                          if c["type"] in ("date", "timestamp") and c["name"] != primary}
    assert _project_vars()["secondary_dates"] == expected

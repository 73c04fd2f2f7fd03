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

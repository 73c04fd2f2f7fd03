"""Each fact of the contract is written once, in pipelines/contract.yaml. dbt reads it from the
GENERATED vars block of dbt_project.yml (pipelines/contract_gen.py), its accepted_values
tests from `var('indicators')`, and GX from suite parameters — so one test suffices: that
regenerating changes nothing."""

from __future__ import annotations

import json

import yaml

from pipelines import contract_gen
from pipelines.contract import load_contract
from pipelines.settings import DBT_DIR, EXPECTATIONS_DIR


def test_regenerating_the_dbt_vars_changes_nothing():
    assert contract_gen.main(["--check"]) == 0, "run `python -m pipelines.contract_gen`"


def _accepted_values(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for model in doc.get("models", []):
        for column in model.get("columns", []):
            for test in column.get("data_tests", []):
                if isinstance(test, dict) and "accepted_values" in test:
                    args = test["accepted_values"].get("arguments", test["accepted_values"])
                    yield f"{path.name}:{model['name']}.{column['name']}", args["values"]


def test_no_indicator_list_is_copied_into_dbt_or_gx():
    names = set(load_contract().indicator_names)
    checked = 0
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        for where, values in _accepted_values(path):
            if isinstance(values, str):
                checked += values == "{{ var('indicators') }}"
            else:
                assert not names <= set(values), f"{where}: use var('indicators')"
    assert checked >= 3
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for e in suite["expectations"]:
            value_set = e["kwargs"].get("value_set")
            assert not (isinstance(value_set, list) and names <= set(value_set)), path


def test_generated_secondary_dates_follow_the_one_rule_for_dates():
    """Every date/timestamp column but the primary counting date; deadlines may lie a year ahead."""
    generated = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert generated["secondary_dates"]["cases"] == {"accepted_on": 1, "closed_on": 1, "police_transfer_on": 1, "updated_at": 1}
    assert generated["secondary_dates"]["grid_events"]["due_at"] == 366
    assert generated["secondary_dates"]["police_alarms"] == {}

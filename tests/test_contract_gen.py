"""Each fact of the contract is written once, in pipelines/contract.yaml (and the lake layout
once, in pipelines/ingest/lake.py). `pipelines/contract_gen.py` writes what dbt needs from
them: the GENERATED vars block of dbt_project.yml (read by the models and by accepted_values
tests as `var('colour_names')`, …) and the dbt sources ymls. So one test proves the copies
equal — regenerating changes nothing — and another that no list is copied by hand again."""

from __future__ import annotations

import yaml

from pipelines import contract_gen
from pipelines.contract import load_contract
from pipelines.settings import DBT_DIR


def test_regenerating_changes_nothing():
    """dbt_project.yml's vars and every generated sources yml are what the contract gives."""
    assert contract_gen.main(["--check"]) == 0, "run `python -m pipelines.contract_gen`"


def test_check_fails_on_an_edited_or_stale_generated_file(tmp_path, monkeypatch, capsys):
    generated = tmp_path / "staging" / "x" / "_x__sources.yml"
    stale = tmp_path / "staging" / "gone" / "_gone__sources.yml"
    hand = tmp_path / "staging" / "x" / "_kept__sources.yml"
    for p, text in ((generated, contract_gen.HEADER + "edited by hand\n"), (stale, contract_gen.HEADER), (hand, "version: 2\n")):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    monkeypatch.setattr(contract_gen, "DBT_DIR", tmp_path)
    monkeypatch.setattr(contract_gen, "STAGING", tmp_path / "staging")
    monkeypatch.setattr(contract_gen, "generated_files", lambda _: {generated: contract_gen.HEADER + "version: 2\n"})
    assert contract_gen.main(["--check"]) == 1
    assert "x/_x__sources.yml" in capsys.readouterr().err
    assert contract_gen.main([]) == 0
    assert contract_gen.main(["--check"]) == 0
    assert not stale.exists() and hand.exists()  # a file without the GENERATED header is never removed


def _accepted_values(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for model in doc.get("models", []):
        for column in model.get("columns", []):
            for test in column.get("data_tests", []):
                if isinstance(test, dict) and "accepted_values" in test:
                    args = test["accepted_values"].get("arguments", test["accepted_values"])
                    yield f"{path.name}:{model['name']}.{column['name']}", args["values"]


def test_no_generated_list_is_copied_into_a_dbt_test():
    """accepted_values of indicators, sources, colours, ingest reasons, flags and file statuses
    read the generated vars; a hand-written list holding one of them is a copy."""
    generated = contract_gen.dbt_vars(load_contract())
    lists = {name: set(generated[name]) for name in contract_gen.CODE_LISTS}
    used = set()
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        for where, values in _accepted_values(path):
            if isinstance(values, str):
                used |= {name for name in lists if f"var('{name}')" in values}
                continue
            for name, codes in lists.items():
                assert not codes <= set(values), f"{where}: use var('{name}')"
    assert used == set(lists)


def test_generated_secondary_dates_follow_the_one_rule_for_dates():
    """Every date/timestamp column but the primary counting date; deadlines may lie a year ahead."""
    generated = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert generated["secondary_dates"]["cases"] == {"accepted_on": 1, "closed_on": 1, "police_transfer_on": 1, "updated_at": 1}
    assert generated["secondary_dates"]["grid_events"]["due_at"] == 366
    assert generated["secondary_dates"]["police_alarms"] == {}


def test_generated_sources_document_every_lake_column():
    """The source of each lake folder lists the contract columns (export header, type, PII
    class), then ingest's lineage columns, and reads the lake through ZHIFA_LAKE."""
    from pipelines.ingest.lake import row_schema

    contract = load_contract()
    for name, source in contract.sources.items():
        (table,) = contract_gen.lake_source(contract, name)["tables"]
        assert [c["name"] for c in table["columns"]] == list(row_schema(source)), name
        assert table["meta"]["external_location"].startswith("read_parquet('{{ env_var('ZHIFA_LAKE'")
    columns = {c["name"]: c["description"] for c in contract_gen.lake_source(contract, "police_alarms")["tables"][0]["columns"]}
    assert (
        columns["caller_pseudonym"]
        == "报警人姓名 (bjrxm) — contract type `text`; PII class `name`, holds a keyed pseudonym or scrubbed text."
    )

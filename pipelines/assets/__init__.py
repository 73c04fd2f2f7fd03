"""Dagster assets, one module per stage: ingest → warehouse (dbt) → quality → publish."""

"""Write the facts dbt needs from pipelines/contract.yaml (and the lake layout of
pipelines/ingest/lake.py) into the dbt project, so each fact is written once:

- the `vars:` block of dbt/dbt_project.yml between the GENERATED markers: the indicators,
  sources, counting dates, five-colour parameters and the code lists that accepted_values
  tests read (`values: "{{ var('colour_names') }}"`);
- the dbt sources, one file per lake folder: `staging/<source>/_<source>__sources.yml`
  (column docs = the export header, contract type and PII class, then the lake's lineage
  columns), `staging/lake/_lake__sources.yml` (quarantine and manifests) and
  `staging/reference/_reference__sources.yml`. The hand-written model docs and tests stay in
  the `_stg_*.yml` files beside them.

    python -m pipelines.contract_gen          # regenerate
    python -m pipelines.contract_gen --check  # exit 1 if any generated file is out of date (CI)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from pipelines.contract import Column, Contract, load_contract
from pipelines.ingest.lake import (
    FILE_STATUSES,
    LINEAGE_SCHEMA,
    MANIFEST_DIR,
    MANIFEST_SCHEMA,
    QUARANTINE_DIR,
    QUARANTINE_REASONS,
    QUARANTINE_SCHEMA,
)
from pipelines.ingest.transform import FLAG_ORDER
from pipelines.settings import DBT_DIR

PROJECT = DBT_DIR / "dbt_project.yml"
STAGING = DBT_DIR / "models" / "staging"
BEGIN = "  # --- GENERATED from pipelines/contract.yaml by `python -m pipelines.contract_gen`; do not edit ---\n"
END = "  # --- end of GENERATED ---\n"
HEADER = (
    "# GENERATED from pipelines/contract.yaml and the lake layout (pipelines/ingest/lake.py)\n"
    "# by `python -m pipelines.contract_gen` — do not edit.\n"
)
DATE_TYPES = ("date", "timestamp")
DEADLINE_DAYS, EVENT_DAYS = 366, 1
LAKE = "{{ env_var('ZHIFA_LAKE', '../data/lake') }}"

# Docs of the lake's own columns (ARCHITECTURE.md §1); the names and order come from the
# schemas in pipelines/ingest/lake.py, so a column added there without a line here fails.
LINEAGE_DOCS = {
    "_source_file": "Source file, path relative to the inbox (lineage).",
    "_sheet": "Sheet name for xlsx exports, NULL otherwise (lineage).",
    "_row_number": "1-based physical row in the sheet/csv/jsonl, counting title and header rows (lineage).",
    "_flags": "`;`-joined soft-problem codes set at ingest ('' when none).",
    "_extra": "JSON object of the export's non-contract columns (PII-scrubbed).",
    "_file_name": "The file's base name without its folder (`cases/archive/cases_20220825.csv` → `cases_20220825.csv`);"
    ' versioning\'s "name sorts last".',
    "_file_date": "End (23:59:59) of the export date in the file name — its last 8-digit group that is a valid YYYYMMDD;"
    " NULL when none.",
    "_counting_date": "The row's primary counting date (contract §2 v1.1): decides the future_date quarantine and the as-of date.",
    "_record_key": "The record identity used for versioning: the key, or `<key>|<primary counting time>` when the key lost"
    " digits (id_precision_lost).",
    "_flag_details": "JSON array of ingest's flags, one object per (flag, column): flag, column, raw_value (masked);"
    " `[]` when none.",
    "_mapping": "The inbox mapping file (`_mappings/*.yaml`) the row's export was read through; NULL for a contract export.",
}
QUARANTINE_DOCS = {
    "source": "Source name.",
    "_source_file": "Inbox file, relative path.",
    "_sheet": "Sheet name or NULL.",
    "_row_number": "Physical row; NULL for a whole unreadable file.",
    "record_key": "Primary key value when known.",
    "column": "The contract column (English name) the reason is about; NULL for unreadable_file.",
    "raw_value": "The column's raw value as exported (personal values masked).",
    "reason": "Reason code: "
    + ", ".join(f"{r} (a csv line that cannot be parsed)" if r == "bad_line" else r for r in QUARANTINE_REASONS)
    + ".",
    "detail": "Human-readable explanation (PII masked).",
}
MANIFEST_DOCS = {
    "source": "Source name.",
    "source_file": "Inbox file, path relative to the inbox (same form as `_source_file`).",
    "sha256": "SHA-256 of the file bytes (incremental loads skip unchanged files).",
    "size_bytes": "File size in bytes.",
    "status": "`loaded`, `empty` (a header but no data row) or `unreadable`.",
    "error": "Why the file could not be read (NULL when loaded).",
    "rows_read": "Data rows read from the file (0 when unreadable).",
    "rows_lake": "Rows written to the lake.",
    "rows_quarantined": "Rows quarantined at ingest.",
    "sheet": "Sheet read (xlsx).",
    "header_row": "Physical row of the detected header.",
    "encoding": "Detected text encoding (csv/jsonl).",
    "ingest_context": "Hash of the parser version, the reference data and the key fingerprint: a file is read again"
    " when it changes.",
    "folder_missing": "True on every row when the source folder was missing or held no export file on the last run;"
    " the rows and lake parts are the previous import, kept.",
    "mapping": "The inbox mapping file (`_mappings/*.yaml`) applied to the file, NULL when none.",
}


# The generated code lists that accepted_values tests read (`values: "{{ var('colour_names') }}"`).
CODE_LISTS = ("indicators", "source_names", "colour_names", "quarantine_reasons", "ingest_flags", "file_statuses")


def dbt_vars(contract: Contract) -> dict[str, Any]:
    """The contract's facts in the shape the dbt models and their tests read."""
    fc = contract.five_colour
    return {
        "indicators": list(contract.indicator_names),
        "indicator_sources": {i.name: i.source for i in contract.indicators},
        "lake_sources": {name: {"zh": s.zh, "stale_after_days": s.stale_after_days} for name, s in contract.sources.items()},
        # every date column but the first counting date (cases' fallback 结案日期 is one too),
        # with how many days after the as-of date it may lie (contract §2 v1.1)
        "secondary_dates": {
            name: {
                c.name: DEADLINE_DAYS if c.deadline else EVENT_DAYS
                for c in s.columns
                if c.type in DATE_TYPES and c.name != s.counting_date
            }
            for name, s in contract.sources.items()
        },
        "column_labels": {name: {c.name: c.zh for c in s.columns} for name, s in contract.sources.items()},
        "five_colour": {
            "window_days": fc.window_days,
            "min_population": fc.min_population,
            "min_ranked_grids": fc.min_ranked_grids,
            "colours": [{"color": c.color, "h_below": c.h_below} for c in fc.colours],
        },
        # code lists for accepted_values tests (CODE_LISTS)
        "source_names": list(contract.sources),
        "colour_names": [c.color for c in fc.colours] + [fc.grey.color],
        "quarantine_reasons": list(QUARANTINE_REASONS),  # ingest's; dbt adds future_date
        "ingest_flags": list(FLAG_ORDER),  # ingest's soft-problem codes; dbt adds future_date
        "file_statuses": list(FILE_STATUSES),
    }


def render(project_text: str, values: dict[str, Any]) -> str:
    """dbt_project.yml with its GENERATED block replaced by `values`."""
    if BEGIN not in project_text or END not in project_text:
        raise ValueError(f"{PROJECT} lacks the GENERATED markers")
    head, rest = project_text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=100)
    block = "".join(f"  {line}\n" for line in body.splitlines())
    return head + BEGIN + block + END + tail


# --- dbt sources ---------------------------------------------------------------------------


def _asset(name: str) -> dict[str, Any]:
    """The Dagster asset that writes the table (pipelines/assets/ingest.py: lake/<source>, lake/reference)."""
    return {"dagster": {"asset_key": ["lake", name]}}


def _table(name: str, description: str, asset: str, location: str, columns: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "meta": {**_asset(asset), "external_location": location},
        "columns": columns,
    }


def _documented(schema: dict[str, Any], docs: dict[str, str]) -> list[dict[str, str]]:
    """Columns in the order of a lake schema (pipelines/ingest/lake.py), each with its doc."""
    if undocumented := [c for c in schema if c not in docs]:
        raise ValueError(f"describe the lake columns {undocumented} in pipelines/contract_gen.py")
    return [{"name": c, "description": docs[c]} for c in schema]


def _contract_doc(c: Column) -> str:
    header = f"{c.zh} ({c.pinyin})" if c.pinyin else c.zh
    pii = f"; PII class `{c.pii}`, holds a keyed pseudonym or scrubbed text" if c.pii else ""
    return f"{header} — contract type `{c.type}`{pii}."


def lake_source(contract: Contract, name: str) -> dict[str, Any]:
    """The dbt source `<name>.records`: the contract columns, then lineage."""
    s = contract.sources[name]
    columns = [{"name": c.name, "description": _contract_doc(c)} for c in s.columns]
    return {
        "name": name,
        "description": f"{s.zh} ({s.system}) rows that passed ingest's hard checks: one parquet per inbox file under lake/{name}/.",
        "meta": _asset(name),
        "tables": [
            _table(
                "records",
                f"Every loaded row of every {name} export (all versions), typed per contract.yaml plus lineage columns.",
                name,
                f"read_parquet('{LAKE}/{name}/*.parquet', union_by_name = true)",
                columns + _documented(LINEAGE_SCHEMA, LINEAGE_DOCS),
            )
        ],
    }


def bookkeeping_sources(contract: Contract) -> list[dict[str, Any]]:
    """The ingest quarantine and manifests of every source (ARCHITECTURE.md §1)."""
    return [
        {
            "name": "lake_quarantine",
            "description": f"Rows quarantined at ingest, lake/{QUARANTINE_DIR}/<source>/*.parquet"
            " (each folder holds an _empty.parquet so the glob always matches).",
            "tables": [
                _table(
                    name,
                    f"Ingest quarantine of {name}.",
                    name,
                    f"read_parquet('{LAKE}/{QUARANTINE_DIR}/{name}/*.parquet', union_by_name = true)",
                    _documented(QUARANTINE_SCHEMA, QUARANTINE_DOCS),
                )
                for name in contract.sources
            ],
        },
        {
            "name": "lake_files",
            "description": f"Ingest manifests, lake/{MANIFEST_DIR}/<source>.parquet (ingest always writes one per source).",
            "tables": [
                _table(
                    name,
                    f"Manifest of the {name} inbox files.",
                    name,
                    f"read_parquet('{LAKE}/{MANIFEST_DIR}/{name}.parquet')",
                    _documented(MANIFEST_SCHEMA, MANIFEST_DOCS),
                )
                for name in contract.sources
            ],
        },
    ]


def reference_source(contract: Contract) -> dict[str, Any]:
    """The reference tables of contract §3 (the optional grid polygons are not in the contract:
    staging/reference/_stg_reference__grid_polygons.yml)."""
    return {
        "name": "reference",
        "description": "Reference tables converted by ingest from inbox/reference/*.csv (English column names of contract.yaml).",
        "tables": [
            _table(
                name,
                f"{r.file} as parquet.",
                "reference",
                f"read_parquet('{LAKE}/reference/{name}.parquet')",
                [{"name": c.name, "description": c.zh} for c in r.columns],
            )
            for name, r in contract.reference.items()
        ],
    }


def _yml(sources: list[dict[str, Any]]) -> str:
    body = yaml.safe_dump({"version": 2, "sources": sources}, allow_unicode=True, sort_keys=False, width=1000)
    return HEADER + body


def source_files(contract: Contract) -> dict[Path, str]:
    """Every generated sources yml, by path."""
    files = {STAGING / name / f"_{name}__sources.yml": _yml([lake_source(contract, name)]) for name in contract.sources}
    files[STAGING / "lake" / "_lake__sources.yml"] = _yml(bookkeeping_sources(contract))
    files[STAGING / "reference" / "_reference__sources.yml"] = _yml([reference_source(contract)])
    return files


def generated_files(contract: Contract) -> dict[Path, str]:
    """Every generated file with its wanted text (dbt_project.yml keeps its hand-written rest)."""
    return {PROJECT: render(PROJECT.read_text(encoding="utf-8"), dbt_vars(contract))} | source_files(contract)


def stale_files(wanted: dict[Path, str]) -> list[Path]:
    """Generated files no longer wanted (a source left the contract)."""
    return sorted(
        p for p in STAGING.rglob("_*__sources.yml") if p not in wanted and p.read_text(encoding="utf-8").startswith(HEADER)
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wanted = generated_files(load_contract())
    changed = [p for p, text in wanted.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    stale = stale_files(wanted)
    if "--check" in argv:
        for p in changed + stale:
            print(f"{p.relative_to(DBT_DIR.parent)} is out of date: run `python -m pipelines.contract_gen`", file=sys.stderr)
        return 1 if changed or stale else 0
    for p in changed:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(wanted[p], encoding="utf-8")
        print(f"regenerated {p.relative_to(DBT_DIR.parent)}")
    for p in stale:
        p.unlink()
        print(f"removed {p.relative_to(DBT_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

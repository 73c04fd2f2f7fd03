"""Write the facts dbt needs from pipelines/contract.yaml into dbt/dbt_project.yml (its
`vars:` block between the GENERATED markers), so each fact is written once: in the contract.

    python -m pipelines.contract_gen          # regenerate
    python -m pipelines.contract_gen --check  # exit 1 if dbt_project.yml is out of date (CI)

The block is plain YAML that dbt reads as project vars; models use `var('indicators')`,
`var('five_colour')`, … and never repeat a list or a threshold.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from pipelines.contract import Contract, load_contract
from pipelines.settings import DBT_DIR

PROJECT = DBT_DIR / "dbt_project.yml"
BEGIN = "  # --- GENERATED from pipelines/contract.yaml by `python -m pipelines.contract_gen`; do not edit ---\n"
END = "  # --- end of GENERATED ---\n"
DATE_TYPES = ("date", "timestamp")
DEADLINE_DAYS, EVENT_DAYS = 366, 1


def dbt_vars(contract: Contract) -> dict[str, Any]:
    """The contract's facts in the shape the dbt models read."""
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    current = PROJECT.read_text(encoding="utf-8")
    wanted = render(current, dbt_vars(load_contract()))
    if "--check" in argv:
        if wanted != current:
            print(f"{PROJECT} is out of date: run `python -m pipelines.contract_gen`", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        PROJECT.write_text(wanted, encoding="utf-8")
        print(f"regenerated the vars of {PROJECT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

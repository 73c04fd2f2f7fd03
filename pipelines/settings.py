"""Where a run reads and writes. One object, built from the CLI or from the environment."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
CONTRACT_PATH = Path(__file__).resolve().parent / "contract.yaml"


def load_contract() -> dict:
    with CONTRACT_PATH.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass(frozen=True)
class Settings:
    inbox: Path
    workdir: Path
    as_of: dt.date | None = None  # None: the latest counting date in the data, not after today

    @classmethod
    def from_env(cls) -> "Settings":
        as_of = os.environ.get("ZHIFA_AS_OF") or None
        return cls(
            inbox=Path(os.environ.get("ZHIFA_INBOX", "data/inbox")).resolve(),
            workdir=Path(os.environ.get("ZHIFA_WORKDIR", "data")).resolve(),
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
        )

    @property
    def lake(self) -> Path:
        return self.workdir / "lake"

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def site(self) -> Path:
        return self.workdir / "site"

    @property
    def dbt_target(self) -> Path:
        # One target folder per workdir: partial parsing is reused night to night, and two
        # workdirs (tests run in parallel) never share dbt artifacts.
        return self.workdir / "dbt-target"

    def export_env(self) -> None:
        """dbt reads the lake and warehouse paths from the environment (dbt/profiles.yml)."""
        os.environ["ZHIFA_INBOX"] = str(self.inbox)
        os.environ["ZHIFA_WORKDIR"] = str(self.workdir)
        os.environ["ZHIFA_LAKE"] = str(self.lake)
        os.environ["ZHIFA_WAREHOUSE"] = str(self.warehouse)
        if self.as_of:
            os.environ["ZHIFA_AS_OF"] = self.as_of.isoformat()
        else:
            os.environ.pop("ZHIFA_AS_OF", None)

"""Where a run reads and writes. One object, built from the CLI or from the environment."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


def default_workdir() -> Path:
    """The workdir of a process not started by the CLI (`dagster dev`, the services)."""
    return Path(os.environ.get("ZHIFA_WORKDIR", "data")).resolve()


def manifest_dir() -> Path:
    """Where dbt's parsed manifest (and its partial-parse cache and parse log) lives: one
    folder per code folder in the user's cache (`ZHIFA_DBT_CACHE`, else XDG_CACHE_HOME or
    ~/.cache), shared by every workdir (dbt sees the same relative paths in each: `DBT_ENV`),
    never in the code folder, so the code can be deployed read-only."""
    if os.environ.get("ZHIFA_DBT_CACHE"):
        return Path(os.environ["ZHIFA_DBT_CACHE"]).resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "zhifa" / f"dbt-{hashlib.sha256(str(DBT_DIR).encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Settings:
    inbox: Path
    workdir: Path
    as_of: dt.date | None = None  # None: the latest counting date in the data, not after today
    as_of_beyond_data: bool = False  # allow an --as-of after the newest record (figures near it read 0)

    @classmethod
    def from_env(cls) -> Settings:
        as_of = os.environ.get("ZHIFA_AS_OF") or None
        return cls(
            inbox=Path(os.environ.get("ZHIFA_INBOX", "data/inbox")).resolve(),
            workdir=default_workdir(),
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
        )

    @property
    def lake(self) -> Path:
        return self.workdir / "lake"

    @property
    def warehouse(self) -> Path:
        """The live warehouse: complete, the one the published site was built from."""
        return self.workdir / "warehouse.duckdb"

    @property
    def warehouse_build(self) -> Path:
        """Where dbt builds tonight's warehouse, beside the live one; it replaces the live one
        only when the quality gate passes (pipelines/assets/publish.py)."""
        return self.workdir / ".build" / "warehouse.duckdb"

    @property
    def warehouse_build_done(self) -> Path:
        """Written after `dbt build` succeeded: the build beside is complete."""
        return self.warehouse_build.with_name("build-complete")

    def newest_warehouse(self) -> Path:
        """The warehouse the gate and the site read: tonight's complete build, else the live one
        (a build that was killed or failed half-way is never read)."""
        return self.warehouse_build if self.warehouse_build_done.exists() else self.warehouse

    @property
    def site(self) -> Path:
        return self.workdir / "site"

    @property
    def dbt_target(self) -> Path:
        # One target folder per workdir: partial parsing is reused night to night, and two
        # workdirs (tests run in parallel) never share dbt artifacts.
        return self.workdir / "dbt-target"

    @property
    def dbt_full_build_stamp(self) -> Path:
        """The code version (pipelines.publish.code_version) whose `dbt build` last ran every
        dbt data test and passed here; while it holds, nightly builds run only the
        tests that guard the marts (pipelines/assets/dbt_models.py)."""
        return self.dbt_target / "full-build.code"

    def export_env(self) -> None:
        """dbt reads the lake and warehouse paths from the environment (dbt/profiles.yml)."""
        os.environ["ZHIFA_INBOX"] = str(self.inbox)
        os.environ["ZHIFA_WORKDIR"] = str(self.workdir)
        os.environ["ZHIFA_LAKE"] = str(self.lake)
        os.environ["ZHIFA_WAREHOUSE"] = str(self.warehouse_build)
        # dbt's own log goes with the run's files, never into the (read-only) code folder
        os.environ["DBT_LOG_PATH"] = str(self.dbt_target)
        if self.as_of:
            os.environ["ZHIFA_AS_OF"] = self.as_of.isoformat()
        else:
            os.environ.pop("ZHIFA_AS_OF", None)


# The lake and the warehouse dbt builds, as dbt sees them (dbt/profiles.yml, the sources'
# external locations): relative to the workdir, which dbt runs in (pipelines/dbt_child.py).
# The same strings in every workdir keep dbt's parse, and so its partial-parse cache, valid
# for all of them (pipelines/dbt_parse.py): a fresh workdir does not parse the project again.
_RELATIVE = Settings(inbox=Path(), workdir=Path())
DBT_ENV = {"ZHIFA_LAKE": str(_RELATIVE.lake), "ZHIFA_WAREHOUSE": str(_RELATIVE.warehouse_build)}

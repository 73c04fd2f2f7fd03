"""The one resource every asset shares: this run's settings (inbox, workdir, as-of), as a
Dagster resource under the key `run_settings`; `.settings` gives the `Settings` object."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import ConfigurableResource

from pipelines.settings import Settings


class RunSettings(ConfigurableResource):
    inbox: str
    workdir: str
    as_of: str = ""  # YYYY-MM-DD; empty: the latest counting date in the data not after today
    as_of_beyond_data: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> RunSettings:
        return cls(
            inbox=str(settings.inbox),
            workdir=str(settings.workdir),
            as_of=settings.as_of.isoformat() if settings.as_of else "",
            as_of_beyond_data=settings.as_of_beyond_data,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            inbox=Path(self.inbox),
            workdir=Path(self.workdir),
            as_of=dt.date.fromisoformat(self.as_of) if self.as_of else None,
            as_of_beyond_data=self.as_of_beyond_data,
        )

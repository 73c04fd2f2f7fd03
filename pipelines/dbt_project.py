"""The dbt project as Dagster sees it, run without touching the network.

dagster-dbt 0.29.27 runs `dbt --version` inside `cli()`, and that always asks PyPI for the
latest versions whatever the flags. `OfflineDbtCliResource` answers the version from the
installed dbt-core instead (0 connects, and ~2 s less per run), and builds no dbt adapter
in the run's process.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from importlib.metadata import version as installed_version
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject
from packaging import version

from pipelines.dbt_parse import dbt_paths

# The parsed manifest lives in the user's cache, shared by every workdir (pipelines/dbt_parse.py),
# so the code folder, dbt/ included, can be deployed read-only.
_PATHS = dbt_paths()  # the same folders the parse uses (pipelines/dbt_parse.py)
DBT_PROJECT = DbtProject(
    project_dir=_PATHS.project_dir, profiles_dir=_PATHS.profiles_dir, target_path=_PATHS.manifest_path.parent
)


class OfflineDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        """No adapter in the run's process: dagster-dbt uses it only to fetch column and row-count
        metadata, which these assets do not ask for, and building it loaded the dbt project and
        profile here before every build (1.2 s)."""
        return None


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys and groups follow the dbt folders: staging → intermediate → marts."""

    def __init__(self) -> None:
        super().__init__(
            DagsterDbtTranslatorSettings(
                # the rows and the quarantine of one source are two dbt sources of one asset
                enable_duplicate_source_asset_keys=True,
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key
        return AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)

    @staticmethod
    def _layer(props: Mapping[str, Any]) -> str:
        fqn = props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "models"

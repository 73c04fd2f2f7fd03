"""The dbt project as Dagster sees it, run without touching the network.

dagster-dbt 0.29.27 runs `dbt --version` inside `cli()`, and that always asks PyPI for the
latest versions whatever the flags. `OfflineDbtCliResource` answers the version from the
installed dbt-core instead (0 connects, and ~2 s less per run).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject
from filelock import FileLock
from packaging import version

from pipelines.settings import DBT_DIR, manifest_dir

# The parsed manifest lives under the workdir (ZHIFA_WORKDIR, set by Settings.export_env
# before this module is imported; `dagster dev` and the services set it themselves), so the
# code folder, dbt/ included, can be deployed read-only.
DBT_PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target_path=manifest_dir())


class OfflineDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))


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


FINGERPRINT = "fingerprint"


def project_fingerprint(project: DbtProject = DBT_PROJECT) -> str:
    """What the manifest was parsed from: the project folder, dbt's version and every dbt
    file's name, size and mtime (a new deployment, even with older mtimes, parses again)."""
    h = hashlib.sha256(f"{project.project_dir}\0{installed_version('dbt-core')}\0".encode())
    watched = sorted(
        {p for pat in ("*.yml", "models/**/*", "macros/**/*", "tests/**/*") for p in project.project_dir.glob(pat) if p.is_file()}
    )
    for p in watched:
        st = p.stat()
        h.update(f"{p.relative_to(project.project_dir)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def manifest_is_stale(project: DbtProject = DBT_PROJECT) -> bool:
    stamp = project.manifest_path.with_name(FINGERPRINT)
    if not project.manifest_path.exists() or not stamp.exists():
        return True
    return stamp.read_text(encoding="utf-8").strip() != project_fingerprint(project)


def prepare_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """`dbt parse` in-process when the manifest is missing or was parsed from other dbt files.

    Everything it writes (manifest, partial-parse cache, lock, dbt.log) goes to the manifest's
    folder under the workdir; the dbt project folder is only read.
    Not DbtProject.prepare(): that goes through DbtCliResource and so `dbt --version`.
    """
    target = project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    # several processes (parallel tests, the UI and a CLI run) may find it stale at once
    with FileLock(target / ".parse.lock"):
        if manifest_is_stale(project):
            from dbt.cli.main import dbtRunner

            fingerprint = project_fingerprint(project)
            result = dbtRunner().invoke(
                [
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(project.project_dir),
                    "--profiles-dir",
                    str(project.profiles_dir),
                    "--target-path",
                    str(target),
                    "--log-path",
                    str(target),
                ]
            )
            if not result.success:
                raise RuntimeError(f"dbt parse failed: {result.exception}")
            tmp = target / f".{FINGERPRINT}.{os.getpid()}"
            tmp.write_text(fingerprint, encoding="utf-8")
            os.replace(tmp, target / FINGERPRINT)
    json.loads(project.manifest_path.read_text(encoding="utf-8"))["metadata"]  # readable
    return project.manifest_path


PARSE_CACHE = "partial_parse.msgpack"


def seed_parse_cache(target: Path, project: DbtProject = DBT_PROJECT) -> None:
    """Give a dbt target folder without a parse cache the one `prepare_manifest` wrote, so the
    first `dbt build` in a workdir re-parses only what changed (the as-of model) instead of
    the whole project: measured 6.8 CPU-s against 13.2 for a full parse. Without it
    dagster-dbt copies `dbt/target/`'s cache, a developer's leftover (if any) made with other
    paths, and dbt parses everything anyway ("profile has changed")."""
    cache, seeded = project.manifest_path.with_name(PARSE_CACHE), target / PARSE_CACHE
    if cache.exists() and not seeded.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, seeded)

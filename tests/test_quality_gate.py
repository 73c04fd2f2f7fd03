"""The publishing gate over the demo: every check passes there, each check fails (block) or
warns on a copy of the demo warehouse broken the way it exists to catch, a blocking failure
leaves the live site untouched, and the 数据质量 page shows the run's results."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from pipelines import quality
from pipelines.quality import FAIL, PASS, WARN, check_names, read_results, results_path, run_gate
from tests.helpers import zhifa

pytestmark = pytest.mark.slow


def tree_digest(root) -> str:
    h = hashlib.sha256()
    root = root.resolve()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def workdir_copy(demo_run, tmp_path):
    copy = tmp_path / "work"
    shutil.copytree(demo_run.workdir, copy, symlinks=True)
    return copy


@pytest.fixture
def warehouse_copy(demo_run, tmp_path):
    """The demo's warehouse alone (its staging views read the demo's lake, left as it is)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run.warehouse, path)
    return path


def test_the_demo_passes_every_check_and_the_page_shows_the_results(demo_run):
    gate = read_results(results_path(demo_run.workdir))
    assert gate is not None and gate["status"] == PASS
    assert [c["name"] for c in gate["checks"]] == check_names()
    for c in gate["checks"]:
        assert c["status"] == PASS and c["items"], c["name"]
        assert c["gx_validation_results"] and all(r["success"] for r in c["gx_validation_results"])
    # the campaign inflating 瓜沥镇's inspections (除险保安, over by 08-14) does not trip the volumes
    volumes = next(c for c in gate["checks"] if c["name"] == "gx_weekly_volumes")
    assert any(i["subject"] == "检查任务 · 瓜沥镇（不含专项行动）" for i in volumes["items"])
    html = (demo_run.site / "quality.html").read_text(encoding="utf-8")
    assert 'data-gate-status="pass"' in html and 'href="#gate-h"' in html
    for name in check_names():
        assert f'data-check="{name}" data-status="pass"' in html, name
    assert "本版网站发布时间（北京时间）：" in html
    assert "更新周期（天）" in html  # freshness per source with its cadence


def _halve_last_week_of_events(con):
    # the current events are a view of the versions table (macros/versioning.sql): drop half
    # of 义桥镇's last week there
    con.execute(
        "delete from staging.stg_grid_events__event_versions "
        "where is_current_version and township_code = '330109118' and counting_date between date '2022-08-22' "
        "and date '2022-08-28' and hash(event_id) % 5 < 3"
    )


@pytest.mark.parametrize(
    "check, status, corruption",
    [
        (
            "gx_marts_match_records",
            FAIL,
            "update fct_township_daily set value = value + 1 where indicator = 'inspections' and breakdown = 'all' "
            "and date = date '2022-08-01'",
        ),
        ("gx_campaigns_agree", FAIL, "update mart_campaigns set inspections = inspections + 50000 where target_type = 'all'"),
        ("gx_weekly_volumes", WARN, _halve_last_week_of_events),
        ("gx_sources_complete", WARN, "update mart_source_status set status = 'incomplete' where source = 'cases'"),
        ("gx_sources_complete", FAIL, "delete from mart_source_status where source = 'cases'"),
        ("gx_sources_fresh", WARN, "update mart_source_status set lag_days = 9 where source = 'police_alarms'"),
    ],
)
def test_each_check_catches_its_bad_data(warehouse_copy, check, status, corruption):
    with duckdb.connect(str(warehouse_copy)) as con:
        corruption(con) if callable(corruption) else con.execute(corruption)
    [result] = run_gate(warehouse_copy, only=[check])
    assert result.status == status, result.describe()
    assert all(i["severity"] == ("critical" if status == FAIL else "warning") for i in result.items if i["status"] == status)


# township_daily.csv is read with its summed and condition columns, flags.csv with one column
@pytest.mark.parametrize("mart, download", [("fct_township_daily", "township_daily.csv"), ("mart_flags", "flags.csv")])
def test_a_download_that_differs_from_its_mart_blocks(warehouse_copy, monkeypatch, mart, download):
    real = quality.write_downloads

    def dropping_a_row(warehouse, out_dir, *rest):  # an exporter that loses the last row of a file
        paths = real(warehouse, out_dir, *rest)
        csv = paths[mart]
        lines = csv.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        csv.write_text("".join(lines[:-1]), encoding="utf-8-sig")
        return paths

    monkeypatch.setattr(quality, "write_downloads", dropping_a_row)
    results = {c.name: c for c in run_gate(warehouse_copy, only=["gx_published_totals", "gx_campaigns_agree"])}
    totals = results["gx_published_totals"]
    assert totals.status == FAIL
    failed = {i["subject"] for i in totals.items if not i["success"]}
    assert download in failed


def test_a_blocking_failure_keeps_the_previous_site(workdir_copy):
    site = workdir_copy / "site"
    before_target = site.resolve()
    before = tree_digest(site)
    releases = sorted(p.name for p in (workdir_copy / ".site-releases").iterdir())
    with duckdb.connect(str(workdir_copy / "warehouse.duckdb")) as con:
        # a mart total that the records do not add up to can only come from a broken mart
        con.execute("update fct_township_daily set value = value * 2 where indicator = 'cases_filed'")

    proc = zhifa("publish", "--workdir", str(workdir_copy), check=False)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gx_marts_match_records" in proc.stderr + proc.stdout
    assert "expect_column_pair_values_to_be_equal" in proc.stdout
    assert site.resolve() == before_target
    assert tree_digest(site) == before
    # the site built while the gate ran was dropped with its folder
    assert sorted(p.name for p in (workdir_copy / ".site-releases").iterdir()) == releases
    gate = read_results(results_path(workdir_copy))  # the results of the blocked run are kept
    assert gate["status"] == FAIL


def test_clean_publish_passes_gate(workdir_copy):
    site = workdir_copy / "site"
    before_target = site.resolve()
    proc = zhifa("publish", "--workdir", str(workdir_copy), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert site.resolve() != before_target  # a new release was swapped in
    assert (site / "index.html").is_file()
    assert 'data-gate-status="pass"' in (site / "quality.html").read_text(encoding="utf-8")


def test_a_publish_the_daemon_ran_is_recorded_by_the_run_recorder(workdir_copy, demo_run):
    """`dagster job execute -j publish` (a run Dagster starts, as `dagster launch publish` or
    the UI does), then the daemon's success recorder over the stored run: one runs.jsonl line
    naming the new release, exit code 0, and no alert."""
    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, build_run_status_sensor_context

    from pipelines import runs
    from pipelines.definitions import nightly_job, publish_job
    from pipelines.resources import RunSettings
    from pipelines.sensors import build_run_recorders
    from tests.helpers import REPO

    before = workdir_copy / "site"
    old_release = before.resolve().name
    env = {
        **os.environ,
        "DAGSTER_HOME": str(workdir_copy / "dagster"),
        "ZHIFA_WORKDIR": str(workdir_copy),
        "ZHIFA_INBOX": str(demo_run.inbox),
    }
    dagster = [sys.executable, "-m", "dagster", "job", "execute", "-m", "pipelines.definitions", "-j", "publish"]
    proc = subprocess.run(dagster, cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    new_release = before.resolve().name
    assert new_release != old_release

    with DagsterInstance.from_config(str(workdir_copy / "dagster")) as instance:
        [run] = [r for r in instance.get_runs() if r.job_name == "publish"]
        assert run.status == DagsterRunStatus.SUCCESS
        [success] = [
            e.dagster_event
            for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.event_type == DagsterEventType.RUN_SUCCESS
        ]
        sensor = {s.name: s for s in build_run_recorders(nightly_job, publish_job)}["record_success_runs"]
        context = build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=run,
            resources={"run_settings": RunSettings(inbox=str(demo_run.inbox), workdir=str(workdir_copy))},
        )
        assert "recorded in runs.jsonl: published" in sensor(context).skip_message
    record = runs.read_runs(workdir_copy, last=1)[-1]
    assert (record.command, record.outcome, record.exit_code) == ("dagster launch publish", "published", 0)
    assert record.release == new_release and record.log == f"Dagster run {run.run_id}"
    assert not (workdir_copy / runs.ALERTS_DIR).exists() or not any((workdir_copy / runs.ALERTS_DIR).iterdir())

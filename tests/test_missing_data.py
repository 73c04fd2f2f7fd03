"""Contract v1.1, "missing data must be visible": an unreadable file or a missing source
folder publishes, exits 3 (published, but incomplete), says why, and every page names the
source, the files and the indicators affected."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import FIXTURE_INBOX
from tests.helpers import zhifa

pytestmark = pytest.mark.slow

PAGES = ("index.html", "grid.html", "compare.html", "quality.html", "glossary.html")


def _status(warehouse) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select source, status, files_unreadable, unreadable_files from mart_source_status").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_unreadable_files_mark_their_source_incomplete_on_every_page(tiny_run):
    assert "published, but INCOMPLETE" in tiny_run.output
    assert "grid_events: incomplete" in tiny_run.output
    status = _status(tiny_run.warehouse)
    assert status["grid_events"][0] == "incomplete" and status["grid_events"][1] == 2
    for page in PAGES:
        html = (tiny_run.site / page).read_text(encoding="utf-8")
        assert 'data-source="grid_events" data-status="incomplete"' in html, page
        assert "grid_events/unreadable.xlsx" in html and "事件上报数" in html, page


def test_a_missing_source_folder_is_missing_not_zero(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX, inbox)
    shutil.rmtree(inbox / "notices")
    proc = zhifa("run", "--inbox", str(inbox), "--workdir", str(tmp_path / "work"), check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "notices: missing" in proc.stderr
    assert _status(tmp_path / "work" / "warehouse.duckdb")["notices"][0] == "missing"
    site = tmp_path / "work" / "site"
    for page in PAGES:
        html = (site / page).read_text(encoding="utf-8")
        assert 'data-source="notices" data-status="missing"' in html, page
        assert "首违提醒" in html, page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'data-indicator="first_violation_notices" data-source-status="missing"' in index


def test_an_incomplete_run_is_recorded_alerted_and_shown_by_status(tiny_run):
    from pipelines import runs

    (last,) = runs.read_runs(tiny_run.workdir, last=1)
    assert (last.outcome, last.exit_code, last.command) == ("incomplete", 3, "zhifa run")
    alerts = sorted((tiny_run.workdir / "alerts").glob("*-incomplete.txt"))
    assert alerts and "grid_events: incomplete" in alerts[-1].read_text(encoding="utf-8")
    proc = zhifa("status", "--workdir", str(tiny_run.workdir), check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "incomplete" in proc.stdout and "grid_events" in proc.stdout and "published:" in proc.stdout

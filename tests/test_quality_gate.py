"""A failing Great Expectations suite blocks publishing and leaves the live site untouched."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

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


def test_corrupted_mart_blocks_publish_and_keeps_previous_site(workdir_copy):
    site = workdir_copy / "site"
    before_target = site.resolve()
    before = tree_digest(site)
    with duckdb.connect(str(workdir_copy / "warehouse.duckdb")) as con:
        # a negative count can only come from a broken mart
        con.execute("update fct_township_daily set value = -value where indicator = 'cases_filed'")

    proc = zhifa("publish", "--workdir", str(workdir_copy), check=False)

    assert proc.returncode != 0
    assert "gx_fct_township_daily" in proc.stderr + proc.stdout
    assert "expect_column_values_to_be_between" in proc.stdout
    assert site.resolve() == before_target
    assert tree_digest(site) == before


def test_clean_publish_passes_gate(workdir_copy):
    site = workdir_copy / "site"
    before_target = site.resolve()
    proc = zhifa("publish", "--workdir", str(workdir_copy), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert site.resolve() != before_target  # a new release was swapped in
    assert (site / "index.html").is_file()

"""`zhifa check`: what a run would do with an inbox, said before the run, writing nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.inbox_check import check_inbox, close_matches
from tests.helpers import zhifa

FIXTURE_INBOX = Path(__file__).parent / "ingest" / "fixtures" / "inbox"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_fixture_inbox_names_the_files_a_run_would_lose(tmp_path):
    before = _listing(FIXTURE_INBOX)
    workdir = tmp_path / "work"
    proc = zhifa("check", "--inbox", str(FIXTURE_INBOX), "--workdir", str(workdir), check=False)
    out = proc.stdout
    assert proc.returncode == 5, out + proc.stderr
    # the two unreadable files, named, with the reason
    assert "✗ grid_events/missing_required_column.csv" in out
    assert "✗ grid_events/unreadable.xlsx" in out
    assert "处置期限" in next(line for line in out.splitlines() if "✗ grid_events/missing_required_column.csv" in line)
    assert "missing required column 缺少必填列「处置期限」" in out
    assert "it would LOSE 2 file(s)" in out.splitlines()[-1]
    # per file: encoding, sheet, header row, rows and the counting-date range
    assert "gbk_encoded.csv: 2 rows 行 (encoding 编码 gb18030, header row 表头行 1); 上报时间 2022-06-01 … 2022-06-01" in out
    assert "sheet 工作表 一网统管事件" in out
    assert "two_title_rows.xlsx: 2 rows 行 (sheet 工作表 Sheet1, header row 表头行 3)" in out
    # what would be quarantined, by reason, and the township that is not in the reference
    assert "2 unknown_township 镇街不在参考表中" in out
    assert "'新街镇' ×1" in out
    assert "1 missing_key 主键为空" in out
    # the counts agree with what a run loads (tests/test_tiny_inbox: 25 grid_events rows read)
    assert "grid_events 一网统管事件: 11 file(s) 文件, 25 rows 行, 2 UNREADABLE" in out
    # nothing written: not the inbox, not the workdir
    assert _listing(FIXTURE_INBOX) == before
    assert not workdir.exists()


def test_a_clean_inbox_exits_0(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX, inbox)
    (inbox / "grid_events" / "missing_required_column.csv").unlink()
    (inbox / "grid_events" / "unreadable.xlsx").unlink()
    proc = zhifa("check", "--inbox", str(inbox), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "UNREADABLE" not in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("verdict 结论: a run would load 81 rows")
    assert "every file is readable" in proc.stdout.splitlines()[-1]


def test_a_renamed_required_column_gets_a_close_match(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX / "reference", inbox / "reference")
    src = (FIXTURE_INBOX / "inspections" / "rental_room_landlords.csv").read_text(encoding="utf-8")
    assert "检查日期" in src.splitlines()[0]
    (inbox / "inspections").mkdir()
    (inbox / "inspections" / "renamed.csv").write_text(src.replace("检查日期", "检查时间", 1), encoding="utf-8")
    proc = zhifa("check", "--inbox", str(inbox), check=False)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "「检查时间」是否应为「检查日期」？ (检查时间 looks like 检查日期)" in proc.stdout
    # the other sources have no folder: the run would mark them missing
    assert "— cases 执法案件: folder missing" in proc.stdout


def test_missing_inbox_or_reference(tmp_path):
    proc = zhifa("check", "--inbox", str(tmp_path / "nowhere"), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: inbox folder not found")
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX / "notices", inbox / "notices")
    proc = zhifa("check", "--inbox", str(inbox), check=False)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "✗ reference 参考表: CANNOT BE READ" in proc.stdout
    assert "a run would FAIL" in proc.stdout.splitlines()[-1]


def test_workdir_comparison_says_new_changed_unchanged(tmp_path):
    """With --workdir, files are compared with the lake manifest (read, never written)."""
    import polars as pl

    from pipelines.inbox_check import _sha256

    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX, inbox)
    lake_files = tmp_path / "work" / "lake" / "_files"
    lake_files.mkdir(parents=True)
    same = inbox / "notices" / "fullwidth_codes.csv"
    pl.DataFrame(
        {
            "source_file": ["notices/fullwidth_codes.csv", "notices/unknown_township.csv", "notices/gone.csv"],
            "sha256": [_sha256(same), "0" * 64, "1" * 64],
        }
    ).write_parquet(lake_files / "notices.parquet")
    result = check_inbox(inbox, tmp_path / "work")
    notices = next(s for s in result.sources if s.source == "notices")
    assert {f.path: f.state for f in notices.files} == {
        "notices/fullwidth_codes.csv": "unchanged",
        "notices/unknown_township.csv": "changed",
    }
    assert notices.removed == ["notices/gone.csv"]
    assert next(s for s in result.sources if s.source == "cases").files[0].state == "new"


@pytest.mark.parametrize("header,expected", [("检查时间", "检查时间"), ("完全无关", "")])
def test_close_matches(tmp_path, header, expected):
    from pipelines.contract import load_contract

    spec = load_contract().sources["inspections"]
    first = (FIXTURE_INBOX / "inspections" / "rental_room_landlords.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "x.csv"
    path.write_text("\n".join([first[0].replace("检查日期", header, 1), *first[1:]]), encoding="utf-8")
    assert ("检查日期", expected) in close_matches(path, spec)


def test_a_mapped_export_reads_through_its_mapping(tmp_path):
    """An export of another system with a `_mappings/` file is read as a run reads it, not
    reported as a file a run would lose."""
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX, inbox)
    (inbox / "grid_events" / "missing_required_column.csv").unlink()
    (inbox / "grid_events" / "unreadable.xlsx").unlink()
    source = (inbox / "inspections" / "acceptance_date_unparseable.csv").read_text(encoding="utf-8")
    (inbox / "inspections" / "other_system_20220620.csv").write_text(
        source.replace("检查编号", "任务编号", 1).replace("I-AD-", "I-OS-"), encoding="utf-8"
    )
    (inbox / "_mappings").mkdir()
    (inbox / "_mappings" / "other.yaml").write_text(
        'source: inspections\nfiles: "inspections/other_system_*.csv"\ncolumns:\n  任务编号: 检查编号\n', encoding="utf-8"
    )
    proc = zhifa("check", "--inbox", str(inbox), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "UNREADABLE" not in proc.stdout
    line = next(line for line in proc.stdout.splitlines() if "other_system_20220620.csv" in line)
    assert "3 rows" in line and "✓" in line, line

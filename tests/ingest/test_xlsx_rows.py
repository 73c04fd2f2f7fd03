"""Workbook rows are reported as the physical Excel row, read by calamine alone (issue 8):
leading empty rows, blank formatted cells and a shifted first column do not move them."""

from pathlib import Path

import fastexcel
import polars as pl
import pytest
import xlsxwriter

from pipelines.contract import load_contract
from pipelines.ingest.readers import EXCEL_SUFFIXES, NUMERIC_PREFIX, ROW, UnreadableFile, read_file

SOURCE = load_contract().sources["grid_events"]
FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "inbox" / "grid_events" / "two_title_rows.xlsx"
)  # 2 title rows, header on row 3


def fixture_rows() -> list[tuple]:
    return fastexcel.read_excel(FIXTURE).load_sheet(0, header_row=None, dtypes="string").to_polars().rows()


def write(path, rows, first_row: int, first_col: int = 0, blank_cells=(), numbers=()):
    """rows written from the 1-based sheet row `first_row`; `numbers`: (row index, col) as numeric cells."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Sheet1")
    fmt = wb.add_format({"bold": True})
    for r, c in blank_cells:  # styled but empty: no value
        ws.write_blank(r, c, None, fmt)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None:
                continue
            if (i, j) in numbers:
                ws.write_number(first_row - 1 + i, first_col + j, float(v))
            else:
                ws.write_string(first_row - 1 + i, first_col + j, v)
    wb.close()
    return path


def test_leading_empty_rows_keep_physical_row_numbers(tmp_path):
    base = read_file(FIXTURE, SOURCE, EXCEL_SUFFIXES)
    rows = fixture_rows()
    path = write(tmp_path / "shifted.xlsx", rows, first_row=6, first_col=2, blank_cells=[(1, 0), (2, 4)])
    raw = read_file(path, SOURCE, EXCEL_SUFFIXES)
    assert (base.header_row, raw.header_row) == (3, 8)
    assert raw.df[ROW].to_list() == [r + 5 for r in base.df[ROW].to_list()]
    assert raw.df[ROW][0] == 9  # the first data row, as Excel shows it
    assert raw.df.drop(ROW).equals(base.df.drop(ROW))


def test_leading_empty_rows_do_not_count_against_the_header_search(tmp_path):
    path = write(tmp_path / "far.xlsx", fixture_rows(), first_row=41)
    raw = read_file(path, SOURCE, EXCEL_SUFFIXES)
    assert raw.header_row == 43 and raw.df[ROW][0] == 44


def test_header_error_names_the_physical_row(tmp_path):
    rows = fixture_rows()
    rows[2] = tuple("别的列" if v == "上报时间" else v for v in rows[2])
    path = write(tmp_path / "bad_header.xlsx", rows, first_row=6)
    with pytest.raises(UnreadableFile, match=r"表头（第 8 行）缺少必填列：上报时间"):
        read_file(path, SOURCE, EXCEL_SUFFIXES)


def test_numeric_id_cells_line_up_after_leading_rows(tmp_path):
    rows = fixture_rows()
    id_col = rows[2].index("事件编号")
    rows[3] = tuple("123456789012345678" if j == id_col else v for j, v in enumerate(rows[3]))
    path = write(tmp_path / "numeric_id.xlsx", rows, first_row=4, numbers={(3, id_col)})
    raw = read_file(path, SOURCE, EXCEL_SUFFIXES)
    mask = raw.df.select(ROW, pl.col(NUMERIC_PREFIX + "event_id"))
    assert mask.filter(pl.col(NUMERIC_PREFIX + "event_id"))[ROW].to_list() == [7]
    assert mask.height == len(rows) - 3

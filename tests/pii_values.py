"""Every personal value present in an inbox, read independently of the ingest's own parsing,
so tests can search outputs for them (contract §5)."""

import csv
import io
import json
import re

from pipelines import pii
from pipelines.contract import load_contract
from pipelines.ingest.readers import decode

# A notice's party may be a company (杭州…有限公司) with its 统一社会信用代码: not personal data
# of a natural person, and kept by ingest where the contract allows.
ORGANISATION = re.compile(r"公司|有限|商行|店|厂|合作社|中心|超市|酒店|餐厅|饭店|市场|工作室|物流|仓储")


# `*_unless_unit` columns hold an organisation's value (kept raw by ingest) when the row's
# type column says so: cases 当事人类型 = 单位; inspections 检查对象类型 other than 出租房
# (a rental room's 检查对象名称 is the landlord's name, contract §5 v1.1; an empty type counts
# as personal, as ingest treats it).
UNIT_RULES = {
    "当事人类型": lambda v: v == "单位",
    "检查对象类型": lambda v: bool(v) and v != "出租房",
}


def _is_unit(header: list | None, row: list) -> bool:
    if header is None:
        return False
    for col, rule in UNIT_RULES.items():
        if col in header:
            i = header.index(col)
            return rule((row[i] or "").strip() if i < len(row) else "")
    return False


def _natural_person(value: str, kind: str) -> bool:
    if kind.startswith("name"):
        return not ORGANISATION.search(value)
    if kind.startswith("id_number"):
        return bool(ID_RE.fullmatch(value.upper()))
    return True


# Not inside a longer code such as a case number `SJ121202101010051`: the 15 digits after
# the letters are a document number, not a legacy ID.
ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:" + pii.ID_CORE + r")(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(?:" + pii.PHONE_CORE + r")(?![0-9A-Za-z])")


def _tables(path):
    """(header, rows) tables of one export; a JSON Lines file is one table per object, since a
    push feed leaves out keys whose value is empty (contract §4 v1.1)."""
    if path.suffix == ".xlsx":
        import fastexcel

        try:
            reader = fastexcel.read_excel(path)
        except Exception:
            return
        for name in reader.sheet_names:
            yield None, [list(r) for r in reader.load_sheet(name, header_row=None, dtypes="string").to_polars().rows()]
    elif path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                yield list(obj), [[None if v is None else str(v) for v in obj.values()]]
    else:
        yield None, list(csv.reader(io.StringIO(decode(path.read_bytes())[0])))


def inbox_personal_values(inbox) -> set[str]:
    """Every name, ID number and phone in the inbox PII columns, plus ID/phone patterns in any cell."""
    contract = load_contract()
    values: set[str] = set()
    for source, spec in contract.sources.items():
        pii_headers = {}
        for c in spec.columns:
            if c.pii and c.pii != "free_text":
                for h in c.header_names:
                    pii_headers[h] = c.pii
        for path in sorted(p for p in (inbox / source).rglob("*") if p.is_file()):
            for header, rows in _tables(path):
                for row in rows:
                    if header is None and any(h in pii_headers for h in row):
                        header = row
                        continue
                    _collect(values, header, row, pii_headers)
    return {v for v in values if v and len(v) >= 2}


def _collect(values: set[str], header: list | None, row: list, pii_headers: dict[str, str]) -> None:
    is_unit = _is_unit(header, row)
    for i, cell in enumerate(row):
        if cell is None:
            continue
        values.update(m.group(0) for m in ID_RE.finditer(cell))
        values.update(m.group(0) for m in PHONE_RE.finditer(cell))
        col = header[i] if header and i < len(header) else None
        if (
            col in pii_headers
            and not (is_unit and pii_headers[col].endswith("unless_unit"))
            and _natural_person(cell.strip(), pii_headers[col])
        ):
            values.add(cell.strip())
        if col == "联系人":  # an extra column the ingest pseudonymises by its header
            values.add(cell.strip())

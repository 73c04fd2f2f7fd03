"""Every personal value present in an inbox, read independently of the ingest's own parsing,
so tests can search outputs for them (contract §5)."""

import csv
import io
import json
import re

from pipelines import pii
from pipelines.ingest.readers import decode
from pipelines.ingest.spec import load_contract

# A notice's party may be a company (杭州…有限公司) with its 统一社会信用代码: not personal data
# of a natural person, and kept by ingest where the contract allows.
ORGANISATION = re.compile(r"公司|有限|商行|店|厂|合作社|中心|超市|酒店|餐厅|饭店|市场|工作室|物流|仓储")


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
        for path in (inbox / source).glob("*"):
            if path.suffix == ".xlsx":
                import fastexcel
                try:
                    reader = fastexcel.read_excel(path)
                except Exception:
                    continue
                rows = []
                for name in reader.sheet_names:
                    rows += [list(r) for r in reader.load_sheet(name, header_row=None, dtypes="string").to_polars().rows()]
            elif path.suffix == ".jsonl":
                rows = []
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    rows += [list(obj), [None if v is None else str(v) for v in obj.values()]]
            else:
                rows = list(csv.reader(io.StringIO(decode(path.read_bytes())[0])))
            header = None
            for row in rows:
                if header is None and any(h in pii_headers for h in row):
                    header = row
                    continue
                for i, cell in enumerate(row):
                    if cell is None:
                        continue
                    values.update(m.group(0) for m in ID_RE.finditer(cell))
                    values.update(m.group(0) for m in PHONE_RE.finditer(cell))
                    col = header[i] if header and i < len(header) else None
                    is_unit = header is not None and "当事人类型" in header and row[header.index("当事人类型")] == "单位"
                    if col in pii_headers and not (is_unit and pii_headers[col].endswith("unless_unit")):
                        if _natural_person(cell.strip(), pii_headers[col]):
                            values.add(cell.strip())
                    if col == "联系人":  # an extra column the ingest pseudonymises by its header
                        values.add(cell.strip())
    return {v for v in values if v and len(v) >= 2}

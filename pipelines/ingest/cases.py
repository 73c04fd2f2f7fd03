"""cases — 行政执法办案系统 案件导出.

Source rule: 当事人名称 / 当事人证件号码 are an organisation's (kept raw) only when
当事人类型 = 单位; for 个人 and 个体工商户 (natural persons) they are pseudonymised, as are
联系电话 and the staff columns 首接人 / 主办人 / 协办人 (contract PII classes). The GB 11643
checksum is checked on natural persons' 18-character ID numbers only.

Counting date (contract §2 v1.1, contract.yaml `counting_date: [filed_on, closed_on]`):
立案日期, or 结案日期 when 立案日期 is empty — 简易程序 cases are decided on the spot and
never filed, and load with their closure and fine. Only a case with neither is quarantined
(`missing_date`).
"""

import polars as pl

from .readers import CSV_SUFFIXES, EXCEL_SUFFIXES
from .transform import Rules

UNIT_PARTY_TYPE = "单位"

RULES = Rules(
    source="cases", suffixes=frozenset(CSV_SUFFIXES | EXCEL_SUFFIXES), is_unit=lambda: pl.col("party_type") == UNIT_PARTY_TYPE
)

"""grid_events — 一网统管事件导出. Reporter name/phone pseudonymised, 事件描述 scrubbed (contract PII
classes); nothing else beyond the generic rules."""

from .readers import CSV_SUFFIXES, EXCEL_SUFFIXES
from .transform import Rules

RULES = Rules(source="grid_events", suffixes=frozenset(CSV_SUFFIXES | EXCEL_SUFFIXES))

"""notices — 柔性执法记录 (首违提醒, 以服代罚, 轻微免罚). Parties are always pseudonymised
(contract PII class `name`, `id_number`, `phone`); nothing else beyond the generic rules."""

from .readers import CSV_SUFFIXES, EXCEL_SUFFIXES
from .transform import Rules

RULES = Rules(source="notices", suffixes=frozenset(CSV_SUFFIXES | EXCEL_SUFFIXES))

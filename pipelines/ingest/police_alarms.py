"""police_alarms — 公安警情推送: JSON Lines with pinyin keys (jjdbh, bjsj, …; from contract.yaml)
or csv with the Chinese headers. Ids sent as JSON numbers are flagged `id_precision_lost`;
an empty 所属网格 (sswg) is located from 经度/纬度 in the micro-grid polygons (`grid_from_location`).

v1.1: feeds leave out keys whose value is empty. Only jjdbh, bjsj, sfyx and ssjz must be
present (contract.yaml `required`), in JSON and csv alike; an absent key is NULL, so a file in
which hbbh or wxyy never appears loads normally."""

from .readers import CSV_SUFFIXES, JSONL_SUFFIXES
from .transform import Rules

RULES = Rules(source="police_alarms", suffixes=frozenset(CSV_SUFFIXES | JSONL_SUFFIXES))

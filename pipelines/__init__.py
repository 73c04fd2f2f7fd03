"""Township enforcement warehouse (大综合一体化): ingest → DuckDB → dbt marts → GX gate → site.

Importing the package turns off every phone-home the stack has by default: the warehouse
serves an intranet and a run must make no network connection at all.
"""

import os

# dbt usage stats, Dagster telemetry and GX analytics are all on by default.
for _name, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "GX_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(_name, _value)

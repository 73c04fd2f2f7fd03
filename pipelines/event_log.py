"""Dagster's SQLite event log, storing a run's events through engines it keeps open.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine, connects, commits and disposes
the engine for every event it stores, twice for an asset or check event (the run's own
database and the index). A demo run stores ~1,100 events, most of them from the dbt step
(a materialization per model, a check evaluation per dbt test): py-spy put ~10 CPU-s of the
run's process in engine creation, connecting and closing. This subclass keeps one engine per
database (the run's and the index) and so one pooled connection; every event is still its
own committed transaction in the same files, so the Dagster UI, the daemon and the run-status
sensors read them as before (they use the stock class: `pipelines/cli.py` only gives this one
to the runs `zhifa` executes itself).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

KEEP_ENGINES = 4  # the index and the current run's database, with room for readers of older runs


class KeptEngineSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, pool_size=1
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > KEEP_ENGINES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()
        super().wipe()

    def upgrade(self) -> None:
        self._dispose_engines()
        super().upgrade()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()

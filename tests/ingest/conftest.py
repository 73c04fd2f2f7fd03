import shutil
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` from the repo root without an installed package
    sys.path.insert(0, str(ROOT))

from pipelines.ingest import SOURCES, ingest_reference, ingest_source  # noqa: E402
from pipelines.pii import load_or_create_secret  # noqa: E402

FIXTURE_INBOX = Path(__file__).resolve().parent / "fixtures" / "inbox"


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    """The fixture inbox ingested once: (inbox, lake, secret, reports)."""
    work = tmp_path_factory.mktemp("work")
    secret = load_or_create_secret(work)
    lake = work / "lake"
    ref = ingest_reference(FIXTURE_INBOX, lake)
    reports = {s: ingest_source(s, FIXTURE_INBOX, lake, secret, ref) for s in SOURCES}
    return FIXTURE_INBOX, lake, secret, reports


@pytest.fixture
def inbox_copy(tmp_path):
    dst = tmp_path / "inbox"
    shutil.copytree(FIXTURE_INBOX, dst)
    return dst


def lake_rows(lake: Path, source: str, file: str) -> pl.DataFrame:
    return pl.read_parquet(lake / source / (file.replace("/", "__") + ".parquet"))


def quarantine_rows(lake: Path, source: str, file: str) -> pl.DataFrame:
    return pl.read_parquet(lake / "_quarantine" / source / (file.replace("/", "__") + ".parquet"))

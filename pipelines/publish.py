"""Atomic replacement of the published site.

`WORKDIR/site` is a symlink to a release folder under `WORKDIR/.site-releases/`. A new
release is built completely beside the old one, then the link is swapped with one
rename(2), so a reader sees either the old site or the new one, never a half-written mix.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

KEEP_RELEASES = 3


def new_release_dir(site: Path, run_id: str) -> Path:
    releases = site.parent / ".site-releases"
    releases.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = releases / f"{stamp}-{run_id[:8]}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def swap_in(site: Path, release: Path) -> None:
    if site.exists() and not site.is_symlink():
        # a plain folder from an older layout: keep it as a release instead of deleting it
        site.rename(release.parent / f"legacy-{dt.datetime.now():%Y%m%dT%H%M%S}")
    tmp_link = site.parent / f".site-link-{release.name}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(release, site.parent))
    os.replace(tmp_link, site)  # atomic on POSIX
    _prune(release.parent, keep=release)


def _prune(releases: Path, keep: Path) -> None:
    old = sorted((p for p in releases.iterdir() if p.is_dir() and p != keep), key=lambda p: p.name)
    for path in old[: max(0, len(old) - (KEEP_RELEASES - 1))]:
        shutil.rmtree(path, ignore_errors=True)

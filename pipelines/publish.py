"""Atomic replacement of the published site and of the live warehouse.

`WORKDIR/site` is a symlink to a release folder under `WORKDIR/.site-releases/`. A new
release is built completely beside the old one, then the link is swapped with one
rename(2), so a reader sees either the old site or the new one, never a half-written mix.
"""

from __future__ import annotations

import contextlib
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
    commit_link(stage_link(site, release), site, release)


def stage_link(site: Path, release: Path) -> Path:
    """The new symlink, made beside the live one (this can fail on a full disk; nothing live
    has changed yet)."""
    tmp_link = site.parent / f".site-link-{release.name}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(release, site.parent))
    return tmp_link


def commit_link(tmp_link: Path, site: Path, release: Path) -> None:
    """Swap the staged link in with one rename(2), then drop old releases (best effort)."""
    if site.exists() and not site.is_symlink():
        # a plain folder from an older layout: keep it as a release instead of deleting it
        site.rename(release.parent / f"legacy-{dt.datetime.now():%Y%m%dT%H%M%S}")
    os.replace(tmp_link, site)  # atomic on POSIX
    with contextlib.suppress(OSError):
        _prune(release.parent, keep=release)


def _prune(releases: Path, keep: Path) -> None:
    old = sorted((p for p in releases.iterdir() if p.is_dir() and p != keep), key=lambda p: p.name)
    for path in old[: max(0, len(old) - (KEEP_RELEASES - 1))]:
        shutil.rmtree(path, ignore_errors=True)


def promote_warehouse(settings) -> None:
    """Tonight's build replaces the live warehouse with one rename(2): analysts holding the old
    file open keep reading it; new readers get the complete new one."""
    os.replace(settings.warehouse_build, settings.warehouse)
    settings.warehouse_build_done.unlink(missing_ok=True)


def releases(site: Path) -> list[Path]:
    """The kept releases, oldest first (names start with their build time)."""
    folder = site.parent / ".site-releases"
    return sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name) if folder.is_dir() else []


def roll_back(site: Path) -> Path:
    """Point the site at the release before the live one (the last good site); returns it."""
    live = site.resolve()
    older = [p for p in releases(site) if p.name < live.name]
    if not older:
        raise LookupError(f"no release older than {live.name} is kept under {site.parent / '.site-releases'}")
    target = older[-1]
    tmp_link = site.parent / f".site-link-{target.name}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(target, site.parent))
    os.replace(tmp_link, site)  # atomic, as in swap_in; nothing is deleted
    return target

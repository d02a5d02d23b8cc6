"""Spatial weights from the real province boundaries; Moran's I against the hand formula."""

import numpy as np
import pandas as pd
import pytest

from analysis.measures import (
    contiguity_weights,
    distance_weights,
    economic_distance_weights,
    great_circle_km,
    local_moran,
    local_moran_by_year,
    moran_by_year,
    province_centroids,
    queen_neighbours,
    weights_frame,
)

CODES = [110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000,
         340000, 350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000,
         510000, 520000, 530000, 540000, 610000, 620000, 630000, 640000, 650000]


@pytest.fixture(scope="module")
def provinces(raw_dir):
    """The 31 provinces' boundaries: the data layer's parser when present, else geopandas."""
    bdir = raw_dir / "boundaries"
    if not bdir.is_dir():
        pytest.skip(f"no boundaries in {raw_dir}")
    try:
        from analysis.data.sources.boundaries import read_boundaries

        gdf = read_boundaries(raw_dir)
        gdf = gdf[gdf["province_code"].isin(CODES)]
    except ImportError:
        import geopandas as gpd

        frames = [gpd.read_file(bdir / f"{c}.geojson").assign(province_code=c) for c in CODES]
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    assert len(gdf) == 31
    return gdf[["province_code", "geometry"]]


@pytest.fixture(scope="module")
def queen(provinces):
    return contiguity_weights(provinces, transform=None)


@pytest.fixture(scope="module")
def queen_r(provinces):
    return contiguity_weights(provinces)


def test_known_neighbours(queen):
    nb = {k: set(v) for k, v in queen.neighbors.items()}
    assert nb[110000] == {120000, 130000}  # Beijing: Tianjin, Hebei
    assert nb[120000] == {110000, 130000}  # Tianjin: Beijing, Hebei
    assert nb[130000] == {110000, 120000, 140000, 150000, 210000, 370000, 410000}  # Hebei
    assert nb[460000] == {440000}  # Hainan: Guangdong only (explicit link)
    assert 460000 in nb[440000]
    assert nb[440000] == {350000, 360000, 430000, 450000, 460000}  # Guangdong
    assert nb[650000] == {540000, 620000, 630000}  # Xinjiang: Tibet, Gansu, Qinghai
    assert nb[150000] == {230000, 220000, 210000, 130000, 140000, 610000, 640000, 620000}
    assert nb[310000] == {320000, 330000}  # Shanghai: Jiangsu, Zhejiang
    assert sorted(queen.id_order) == CODES
    # 68 land borders + the Hainan–Guangdong link, both directions (as libpysal's Queen gives)
    assert queen.s0 == 2 * 69


def test_symmetry_before_and_rows_after_standardisation(provinces, queen, queen_r):
    b = weights_frame(queen).to_numpy()
    assert np.array_equal(b, b.T) and np.all(np.diag(b) == 0)
    assert set(np.unique(b)) == {0.0, 1.0}
    r = weights_frame(queen_r).to_numpy()
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(r, b / b.sum(axis=1, keepdims=True), rtol=1e-14)
    # without the link Hainan is an island and we refuse to build the weights
    south = provinces[provinces["province_code"].isin([440000, 450000, 460000])]
    with pytest.raises(ValueError, match="460000"):
        contiguity_weights(south, island_links={})
    assert queen_neighbours(south) == {440000: [450000, 460000], 450000: [440000],
                                       460000: [440000]}


def test_distance_weights(provinces):
    cen = province_centroids(provinces)
    # Beijing's centroid lies near (116.4 E, 40.2 N)
    assert cen.loc[110000, "lon"] == pytest.approx(116.4, abs=0.3)
    assert cen.loc[110000, "lat"] == pytest.approx(40.2, abs=0.3)
    raw = weights_frame(distance_weights(provinces, transform=None))
    np.testing.assert_allclose(raw.to_numpy(), raw.to_numpy().T, rtol=1e-12)
    d = great_circle_km(cen["lon"], cen["lat"])
    np.testing.assert_allclose(raw.to_numpy()[~np.eye(31, dtype=bool)],
                               1 / d[~np.eye(31, dtype=bool)], rtol=1e-12)
    # Beijing-Tianjin centroid distance about 110-130 km; Beijing-Urumqi region > 2000 km
    i, j, k = CODES.index(110000), CODES.index(120000), CODES.index(650000)
    assert 90 < d[i, j] < 150 and d[i, k] > 2000
    rs = weights_frame(distance_weights(provinces)).to_numpy()
    np.testing.assert_allclose(rs.sum(axis=1), 1.0, rtol=1e-14)


def test_great_circle_hand_value():
    # one degree of longitude on the equator = 2πR/360
    d = great_circle_km([0.0, 1.0], [0.0, 0.0])
    assert d[0, 1] == pytest.approx(2 * np.pi * 6371.0088 / 360, rel=1e-12)


def test_economic_distance_weights():
    panel = pd.DataFrame({"province_code": [1, 1, 2, 2, 3, 3],
                          "gdp_pc": [1.0, 3.0, 5.0, 5.0, 9.0, 11.0]})  # means 2, 5, 10
    raw = weights_frame(economic_distance_weights(panel, transform=None)).to_numpy()
    expected = np.array([[0, 1 / 3, 1 / 8], [1 / 3, 0, 1 / 5], [1 / 8, 1 / 5, 0]])
    np.testing.assert_allclose(raw, expected, rtol=1e-14)
    rs = weights_frame(economic_distance_weights(panel)).to_numpy()
    np.testing.assert_allclose(rs, expected / expected.sum(axis=1, keepdims=True), rtol=1e-14)
    with pytest.raises(ValueError, match="equal mean"):
        economic_distance_weights(pd.Series({1: 2.0, 2: 2.0, 3: 4.0}))


def test_moran_matches_hand_formula_and_seed(provinces, queen_r):
    w = queen_r
    rng = np.random.default_rng(0)
    cen = province_centroids(provinces)
    # a spatially trending variable (east high) plus noise, two years
    frames = []
    for yr in (2021, 2022):
        v = cen["lon"].to_numpy() / 10 + rng.normal(0, 0.5, 31)
        frames.append(pd.DataFrame({"province_code": cen.index, "year": yr, "x": v}))
    data = pd.concat(frames, ignore_index=True)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checks esda's global RNG use
    out = moran_by_year(data, "x", w, permutations=199, seed=7)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002  # global RNG untouched
    W = weights_frame(w).reindex(index=CODES, columns=CODES).to_numpy()
    for yr in (2021, 2022):
        y = data[data.year == yr].set_index("province_code")["x"].reindex(CODES).to_numpy()
        z = y - y.mean()
        moran_i = (31 / W.sum()) * (z @ W @ z) / (z @ z)
        assert out.loc[yr, "I"] == pytest.approx(moran_i, rel=1e-12)
        assert out.loc[yr, "EI"] == pytest.approx(-1 / 30)
    again = moran_by_year(data, "x", w, permutations=199, seed=7)
    pd.testing.assert_frame_equal(out, again)
    assert (out["I"] > 0.3).all()  # strong east-west trend -> positive autocorrelation
    lisa = local_moran(data[data.year == 2022].set_index("province_code")["x"], w,
                       permutations=99, seed=3)
    y = data[data.year == 2022].set_index("province_code")["x"].reindex(CODES).to_numpy()
    z = y - y.mean()
    m2 = (z @ z) / 30  # esda (like GeoDa) divides z'z by n - 1 in the local statistic
    np.testing.assert_allclose(lisa["Ii"].to_numpy(), z / m2 * (W @ z), rtol=1e-10)
    assert set(lisa["label"]) <= {"HH", "LH", "LL", "HL"}
    by_year = local_moran_by_year(data, "x", w, permutations=99, seed=3)
    assert len(by_year) == 62
    np.testing.assert_allclose(
        by_year.loc[by_year.year == 2022].set_index("province_code")["Ii"].reindex(CODES),
        lisa["Ii"].reindex(CODES), rtol=1e-13)


def test_moran_leaves_the_callers_weights_untouched():
    """esda row-standardises W in place; moran_by_year/local_moran must restore it.

    Path 1-2-3-4-5, binary W, y = (1, 3, 2, 5, 4): z = (−2, 0, −1, 2, 1), z'z = 10,
    row-standardised W: Σ_i z_i (Wz)_i = −2·0 + 0·(−1.5) + −1·1 + 2·0 + 1·2 = 1, S0 = n = 5,
    so I = (5/5)·1/10 = 0.1.
    """
    from libpysal.weights import W

    ids = [1, 2, 3, 4, 5]
    w = W({1: [2], 2: [1, 3], 3: [2, 4], 4: [3, 5], 5: [4]}, id_order=ids)
    binary = weights_frame(w).to_numpy().copy()
    data = pd.DataFrame({"province_code": ids, "year": 2020, "x": [1.0, 3.0, 2.0, 5.0, 4.0]})
    out = moran_by_year(data, "x", w, permutations=0)
    assert out.loc[2020, "I"] == pytest.approx(0.1, abs=1e-14)
    assert w.transform == "O"
    np.testing.assert_array_equal(weights_frame(w).to_numpy(), binary)
    w.transform = "b"
    lisa = local_moran(data.set_index("province_code")["x"], w, permutations=9, seed=1)
    z = np.array([-2.0, 0.0, -1.0, 2.0, 1.0])
    wz = (binary / binary.sum(axis=1, keepdims=True)) @ z
    np.testing.assert_allclose(lisa["Ii"].to_numpy(), z * wz / (10 / 4), rtol=1e-12)
    assert w.transform == "B"
    np.testing.assert_array_equal(weights_frame(w).to_numpy(), binary)


def test_queen_on_a_grid_by_hand():
    """3 × 3 grid of unit squares, codes 1..9 row by row: queen contiguity counts corners.

    Centre 5 touches all 8 others; corner 1 touches 2, 4 and (at a point) 5; edge 2 touches
    1, 3, 4, 5, 6. Total links 2·(12 edges + 8 corner contacts) = 40.
    """
    import geopandas as gpd
    from shapely.geometry import box

    cells = [(c, box(x, y, x + 1, y + 1)) for c, (y, x) in
             enumerate(((2 - r, k) for r in range(3) for k in range(3)), start=1)]
    gdf = gpd.GeoDataFrame({"province_code": [c for c, _ in cells]},
                           geometry=[b for _, b in cells], crs=3857)
    nb = queen_neighbours(gdf, island_links={})
    assert nb[5] == [1, 2, 3, 4, 6, 7, 8, 9]
    assert nb[1] == [2, 4, 5]
    assert nb[2] == [1, 3, 4, 5, 6]
    assert sum(len(v) for v in nb.values()) == 40

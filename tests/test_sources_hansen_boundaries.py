"""Hansen (1999) data and province boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.data.provinces import PROVINCES
from analysis.data.sources._common import SourceLayoutError
from analysis.data.sources.boundaries import read_boundaries
from analysis.data.sources.hansen import read_hansen


@pytest.fixture(scope="module")
def hansen(raw_dir):
    return read_hansen(raw_dir)


def test_hansen_shape(hansen):
    assert hansen.shape == (7910, 12)
    assert hansen.id.nunique() == 565 and set(hansen.year) == set(range(1974, 1988))
    assert hansen.groupby("id").size().eq(14).all()
    assert list(hansen.columns) == ["id", "year", "i", "q", "c", "d", "q1", "q2", "q3", "d1", "qd1", "c1"]


def test_hansen_regressor_definitions(hansen):
    """Hansen (1999) eq. (21) regressors: scaled powers of lagged Q and the Q·D interaction."""
    assert np.allclose(hansen.q2, hansen.q1**2 / 100, rtol=1e-5)
    assert np.allclose(hansen.q3, hansen.q1**3 / 1000, rtol=1e-5)
    assert np.allclose(hansen.qd1, hansen.q1 * hansen.d1, rtol=1e-5, atol=1e-6)
    # q1, d1, c1 are the one-year lags of q, d, c within firm (from 1975 on)
    g = hansen.groupby("id")
    for lagged, base in [("q1", "q"), ("d1", "d"), ("c1", "c")]:
        lag = g[base].shift(1)
        ok = lag.notna()
        assert ok.sum() == 565 * 13
        assert np.allclose(hansen.loc[ok, lagged], lag[ok], atol=1e-5)
    # investment/assets sample mean, recomputed from the raw file (guards the float conversion)
    assert hansen.i.mean() == pytest.approx(0.08872, abs=1e-5)


def test_hansen_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="hansen1999.dta"):
        read_hansen(tmp_path)


@pytest.fixture(scope="module")
def provinces_geo(raw_dir):
    return read_boundaries(raw_dir)


def test_boundaries(provinces_geo):
    g = provinces_geo
    assert len(g) == 31 and g.crs.to_epsg() == 4326
    assert g.province_code.tolist() == PROVINCES.province_code.tolist()
    assert g.geometry.is_valid.mean() > 0.9
    area = dict(zip(g.province_code, g.to_crs(6933).area / 1e6, strict=True))  # equal-area, km²
    assert area[110000] == pytest.approx(16410, rel=0.01)  # 北京 16,410 km²
    assert area[650000] == pytest.approx(1.66e6, rel=0.03)  # 新疆 ≈ 1.66 million km²
    assert area[540000] == pytest.approx(1.228e6, rel=0.03)  # 西藏 ≈ 1.23 million km²
    c = g.set_index("province_code").geometry.representative_point()
    assert 115.4 < c.loc[110000].x < 117.5 and 39.4 < c.loc[110000].y < 41.1
    # 海南 touches no other province (islands): contiguity must handle it explicitly
    hainan = g.loc[g.province_code == 460000, "geometry"].item()
    others = g.loc[g.province_code != 460000, "geometry"]
    assert not others.intersects(hainan.buffer(0.01)).any()


def test_boundaries_bad_file(tmp_path, raw_dir):
    import shutil

    dst = tmp_path / "boundaries"
    shutil.copytree(raw_dir / "boundaries", dst)
    (dst / "110000.geojson").write_text('{"type": "Point", "coordinates": [116.4, 39.9]}')
    with pytest.raises(SourceLayoutError, match="110000.geojson"):
        read_boundaries(tmp_path)
    (dst / "110000.geojson").unlink()
    with pytest.raises(FileNotFoundError, match="110000.geojson"):
        read_boundaries(tmp_path)

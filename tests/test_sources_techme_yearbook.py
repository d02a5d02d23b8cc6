"""Yearbook sheets (encrypted .xls, plain .xls, HTML): industrial enterprises' NPS and R&D."""

from __future__ import annotations

import shutil

import msoffcrypto
import numpy as np
import pytest

from analysis.data.provinces import CODES
from analysis.data.sources import nqp, techme, techme_yearbook
from analysis.data.sources._common import SourceLayoutError


@pytest.fixture(scope="module")
def panel(raw_dir):
    return techme_yearbook.read(raw_dir)


def _at(df, code, year, col):
    return df.loc[(df.province_code == code) & (df.year == year), col].item()


def test_shape(panel):
    assert panel.shape == (31 * 6, 2 + len(techme_yearbook.VARIABLES))
    assert set(panel.province_code) == CODES and set(panel.year) == set(range(2018, 2024))
    assert panel[["ind_new_product_sales", "ind_rd_exp"]].notna().all().all()


def test_files_are_encrypted_as_documented(raw_dir):
    with open(raw_dir / techme_yearbook.FILES["ind_rd_exp"][2018], "rb") as f:
        assert msoffcrypto.OfficeFile(f).is_encrypted()


def test_known_values(panel, raw_dir):
    # 广东 2023: R&D 34,266,367 万元 (table 2-14); NPS 518,774,584 万元 (table 2-23)
    assert _at(panel, 440000, 2023, "ind_rd_exp") == pytest.approx(3426.6367)
    assert _at(panel, 440000, 2023, "ind_new_product_sales") == pytest.approx(51877.4584)
    nat = techme_yearbook.read_national(raw_dir).set_index("year")
    # national: 2018 12,954.8 亿元 and 2022 19,361.8 亿元 (NBS statistical communiqués on S&T funding)
    assert nat.loc[2018, "ind_rd_exp"] == pytest.approx(12954.83, abs=0.01)
    assert nat.loc[2022, "ind_rd_exp"] == pytest.approx(19361.76, abs=0.01)
    # provinces add up to the national row (万元 rounding only)
    s = panel.groupby("year")[["ind_rd_exp", "ind_new_product_sales"]].sum()
    assert np.allclose(s.values, nat.loc[s.index, s.columns].values, rtol=1e-5)


def test_2020_binary_and_html_agree(raw_dir):
    base = raw_dir / techme_yearbook.BASE
    patterns = {c.column: c.pattern for t in techme_yearbook.TABLES for c in t.columns}
    for folder, pattern in [("07-new-product", patterns["ind_new_product_sales"]),
                            ("03-spend-inner", patterns["ind_rd_exp"])]:
        a = techme_yearbook.read_table(base / folder / "raw-2020.xls", pattern)
        b = techme_yearbook.read_table(base / folder / "raw-2020-soshu.xls", pattern)
        a = a.assign(k=a.name.str.replace(r"\s", "", regex=True)).set_index("k").value
        b = b.assign(k=b.name.str.replace(r"\s", "", regex=True)).set_index("k").value
        assert len(a) == len(b) == 36  # 全国 + 4 regions + 31 provinces
        assert (a - b.loc[a.index]).abs().max() <= 1.0  # HTML rounds to 1 万元


def test_agrees_with_nqp_and_below_total_rd(raw_dir, panel):
    p = panel.set_index(["province_code", "year"])
    q = nqp.read(raw_dir).set_index(["province_code", "year"]).loc[p.index]
    assert np.allclose(p.ind_rd_exp, q.nqp_ind_rd_exp, rtol=0, atol=1e-3)  # nqp rounds to 0.1 万元
    t = techme.read(raw_dir).set_index(["province_code", "year"])
    common = p.index.intersection(t.dropna(subset=["rd_exp"]).index)
    assert len(common) == 31 * 6
    assert (p.loc[common, "ind_rd_exp"] < t.loc[common, "rd_exp"]).all()


def test_layout_errors(tmp_path, raw_dir):
    bad = tmp_path / "bad.xls"
    bad.write_text("<html><table><tr><td>地区</td><td>别的</td></tr>"
                   + "".join(f"<tr><td>全国</td><td>{i}</td></tr>" for i in range(40))
                   + "</table></html>", encoding="utf-8")
    with pytest.raises(SourceLayoutError, match="no column header"):
        techme_yearbook.read_table(bad, "新产品销售收入")
    # a file missing from raw_dir names the file
    dst = tmp_path / "raw"
    shutil.copytree(raw_dir / techme_yearbook.BASE, dst / techme_yearbook.BASE)
    (dst / techme_yearbook.FILES["ind_rd_exp"][2021]).unlink()
    with pytest.raises(FileNotFoundError, match="raw-2021.xls"):
        techme_yearbook.read(dst)

"""External validity: the transcribed published rankings hold together, and the rank correlation
is computed as stated (hand examples, scipy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data.provinces import PROVINCES, normalise
from analysis.framework.validity import RANKINGS_FILE, external_validity, load_rankings


@pytest.fixture(scope="module")
def rankings():
    from pathlib import Path

    return load_rankings(Path(__file__).resolve().parents[1] / RANKINGS_FILE)


def test_transcribed_rankings_are_consistent(rankings):
    for ed, g in rankings.groupby("edition"):
        assert sorted(g["rank"]) == list(range(1, 32)), ed
        assert set(g["province_code"]) == set(PROVINCES["province_code"]), ed
        assert (g["data_year"] == ed - 2).all()
        # the printed names resolve to the stored codes
        assert all(normalise(n) == c for n, c in zip(g["name_zh"], g["province_code"], strict=True))
        # utilities fall with the rank wherever they were legible
        u = g.sort_values("rank")["utility"].dropna().to_numpy()
        assert (np.diff(u) <= 0).all(), ed
        assert g["utility"].isna().sum() == 1  # the one corrupted value of each copy
    r = rankings.set_index(["edition", "province_code"])
    assert r.loc[(2019, 440000), "rank"] == 1 and r.loc[(2019, 440000), "utility"] == 59.49
    assert r.loc[(2020, 540000), "rank"] == 31 and r.loc[(2020, 540000), "utility"] == 17.08


def test_external_validity_by_hand(rankings):
    g = rankings[rankings["edition"] == 2020]
    perfect = pd.DataFrame({"province_code": g["province_code"], "year": 2018,
                            "D": 100.0 - g["rank"], "T": g["rank"].astype(float)})
    out = external_validity(perfect, rankings, measures=("D", "T")).set_index("measure")
    assert out.loc["D", "spearman"] == pytest.approx(1.0) and out.loc["T", "spearman"] == pytest.approx(-1.0)
    assert out.loc["D", "n"] == 31 and out.loc["D", "edition"] == 2020
    assert 2019 not in set(out["edition"])  # no 2017 rows in the table: edition left out
    # against scipy on noisy scores
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    noisy = perfect.assign(D=perfect["D"] + rng.normal(0, 8, len(perfect)))
    got = external_validity(noisy, rankings, measures=("D",)).iloc[0]
    exp = spearmanr(noisy["D"], -g["rank"].to_numpy())
    assert got["spearman"] == pytest.approx(exp.statistic) and got["spearman_p"] == pytest.approx(exp.pvalue)


def test_load_rankings_rejects_a_duplicate(tmp_path, rankings):
    bad = pd.concat([rankings, rankings.iloc[[0]]])
    f = tmp_path / "r.csv"
    bad.to_csv(f, index=False)
    with pytest.raises(ValueError, match="edition 2019 lists a province or a rank twice"):
        load_rankings(f)

"""External validity: rank agreement of the framework's scores with published rankings.

The composite (D and T) and each subsystem score are compared with a published ranking of
Chinese regional innovation capability — the 中国区域创新能力评价报告 of the 中国科技发展战略研究小组
and the Center for Innovation and Entrepreneurship of UCAS (edition year and data year in
``tests/results/regional_innovation_rankings.csv``, with the source of every number). The
statistic is Spearman's rank correlation (``scipy.stats.spearmanr``; Kendall's τ-b beside it)
between the published rank and our score in the report's data year, over the provinces both cover.

The published index measures innovation *capability* (knowledge creation and acquisition,
enterprise innovation, environment, performance; 138 indicators); our D and T measure the level
and coupling of two innovation subsystems from about 17 indicators. A high correlation says the
framework ranks provinces much as an established, independently built index does; it does not
validate the typology, and the weights are never chosen to raise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["RANKINGS_FILE", "load_rankings", "external_validity"]

#: Where the transcribed rankings live, relative to the project root.
RANKINGS_FILE = Path("tests") / "results" / "regional_innovation_rankings.csv"


def load_rankings(path: str | Path | None = None) -> pd.DataFrame:
    """Read the published rankings (comment lines start with ``#``).

    Parameters
    ----------
    path : str or Path, optional
        Default: ``<project root>/tests/results/regional_innovation_rankings.csv``.

    Returns
    -------
    pandas.DataFrame
        ``edition, data_year, rank, name_zh, utility, province_code``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        A column is missing, or an edition does not rank each of its provinces once.
    """
    if path is None:
        from analysis import paths

        path = paths.project_root() / RANKINGS_FILE
    df = pd.read_csv(path, comment="#")
    need = {"edition", "data_year", "rank", "province_code"}
    if not need <= set(df.columns):
        raise ValueError(f"{path}: columns {sorted(need - set(df.columns))} missing")
    for ed, g in df.groupby("edition"):
        if g["province_code"].duplicated().any() or g["rank"].duplicated().any():
            raise ValueError(f"{path}: edition {ed} lists a province or a rank twice")
    return df


def external_validity(
    table: pd.DataFrame,
    rankings: pd.DataFrame,
    measures: Sequence[str] = ("D", "T", "U_st", "U_ind"),
) -> pd.DataFrame:
    """Rank correlations of our scores with each published ranking.

    Parameters
    ----------
    table : pandas.DataFrame
        ``province_code``, ``year`` and the ``measures`` columns (e.g. integration.parquet).
    rankings : pandas.DataFrame
        From :func:`load_rankings`.
    measures : sequence of str
        Columns of ``table`` to compare (higher = better).

    Returns
    -------
    pandas.DataFrame
        One row per (edition, measure): ``edition``, ``data_year``, ``measure``, ``n``,
        ``spearman`` (of our score with the published *score order*, i.e. with −rank),
        ``spearman_p``, ``kendall``, ``kendall_p``; editions whose data year is not in ``table``
        are left out.
    """
    from scipy.stats import kendalltau, spearmanr

    rows = []
    for (ed, dy), g in rankings.groupby(["edition", "data_year"]):
        ours = table[table["year"] == dy].set_index("province_code")
        if ours.empty:
            continue
        pub = g.set_index("province_code")["rank"]
        common = pub.index.intersection(ours.index)
        for m in measures:
            if m not in ours.columns:
                continue
            x, y = ours.loc[common, m].astype(float), -pub.loc[common].astype(float)
            rho, p = spearmanr(x, y)
            tau, pt = kendalltau(x, y)
            rows.append((int(ed), int(dy), m, len(common), float(rho), float(p), float(tau), float(pt)))
    return pd.DataFrame(rows, columns=["edition", "data_year", "measure", "n", "spearman",
                                       "spearman_p", "kendall", "kendall_p"])

"""Headline measures on the real panel: ``python -m analysis measures``.

Prints, for all 31 provinces,

1. the industrial-chain linkage indicator of the 2012 and 2017 input-output tables
   (:func:`analysis.measures.io.chain_linkage`, from ``chain_linkage.parquet``, else
   computed from ``io_flows|io_final|io_va.parquet``);
2. the 2022 coupling coordination degree D of S&T innovation and industrial innovation:
   the framework's official specification (``integration.parquet``) when it exists, and always
   the simple two-subsystem specification of :func:`simple_st_ind_coupling` beside it.

``python -m analysis measures`` brings the data, chain-linkage and framework steps up to date
through the step runner (:mod:`analysis.steps`) before printing, so the files read here are
current; :func:`main` itself only reads.

It lives in the reporting layer because it reads processed files and prints; the measures it
prints are the pure functions of :mod:`analysis.measures`.
"""

from __future__ import annotations

import pandas as pd

from analysis.measures.coupling import classify_coordination, coupling_coordination
from analysis.measures.entropy import entropy_weight

# The simple specification (all indicators positive). Ratios built from panel columns
# (docs/CONTRACTS.md); "per population" = per 万人 of year-end resident population.
SIMPLE_SPEC: dict[str, dict[str, tuple[str, str | None]]] = {
    "st": {
        "rd_intensity": ("rd_intensity", None),                      # R&D / GDP
        "rd_fte_pc": ("rd_fte", "population"),                       # 万人年 per 万人
        "invention_grants_pc": ("patent_grant_invention", "population"),  # 件 per 万人
        "basic_share": ("basic_share", None),                        # basic research / R&D
        "fiscal_st_share": ("fiscal_st_exp", "budget_exp"),          # S&T / budget exp.
    },
    "ind": {
        "hightech_revenue_gdp": ("hightech_revenue", "gdp"),
        "new_product_sales_gdp": ("ind_new_product_sales", "gdp"),
        "tech_market_gdp": ("tech_market_seller", "gdp"),
        "hightech_enterprises_pc": ("hightech_enterprises", "population"),
    },
}


def _indicators(panel: pd.DataFrame) -> pd.DataFrame:
    out = panel[["province_code", "year"]].copy()
    for spec in SIMPLE_SPEC.values():
        for name, (num, den) in spec.items():
            missing = [c for c in (num, den) if c is not None and c not in panel.columns]
            if missing:
                raise KeyError(f"panel lacks {missing} needed for indicator {name!r}")
            out[name] = panel[num] / panel[den] if den else panel[num]
    return out


def simple_st_ind_coupling(
    panel: pd.DataFrame, year: int = 2022, *, shift: float = 0.0001
) -> pd.DataFrame:
    """Coupling coordination of S&T and industrial innovation with the simple indicator set.

    Parameters
    ----------
    panel : pandas.DataFrame
        Province-year panel with the columns of :data:`SIMPLE_SPEC` (docs/CONTRACTS.md units).
    year : int
        Year to report.
    shift : float
        Entropy shift constant.

    Returns
    -------
    pandas.DataFrame
        One row per province for ``year``: ``province_code``, ``U_st``, ``U_ind``, ``C``, ``T``,
        ``D``, ``D_class``, and the attribute ``attrs["window"]`` (first, last year).

    Notes
    -----
    Subsystem scores are panel entropy scores (:func:`analysis.measures.entropy_weight`,
    min-max over all provinces and years of the window, all indicators positive) over the
    longest run of consecutive years ending at ``year`` in which every indicator is observed
    for every province (2018–2022 on the current panel: ``ind_new_product_sales`` starts in 2018).
    C, T (α = β = 1/2) and D by :func:`analysis.measures.coupling_coordination`.

    Raises
    ------
    KeyError
        Missing panel columns. ValueError: ``year`` itself incomplete.
    """
    ind = _indicators(panel)
    names = [n for spec in SIMPLE_SPEC.values() for n in spec]
    complete = ind.groupby("year")[names].apply(lambda g: bool(g.notna().all().all()))
    complete = complete.reindex(range(int(ind.year.min()), year + 1), fill_value=False)
    if not complete.get(year, False):
        gaps = ind.loc[ind.year == year, names].isna().sum()
        raise ValueError(f"{year} is incomplete: missing values {gaps[gaps > 0].to_dict()}")
    first = year
    while first - 1 in complete.index and complete[first - 1]:
        first -= 1
    win = ind[(ind.year >= first) & (ind.year <= year)].reset_index(drop=True)
    U = pd.DataFrame({
        f"U_{s}": entropy_weight(win[list(spec)], shift=shift).scores
        for s, spec in SIMPLE_SPEC.items()
    })
    cc = coupling_coordination(U)
    res = pd.concat([win[["province_code", "year"]], U, cc], axis=1)
    res = res[res.year == year].drop(columns="year").reset_index(drop=True)
    res["D_class"] = classify_coordination(res["D"], lang="en").astype(str)
    res.attrs["window"] = (first, year)
    return res


def _chain_linkage() -> tuple[pd.DataFrame | None, str]:
    from analysis import paths

    proc = paths.processed_dir()
    f = proc / "chain_linkage.parquet"
    need = {k: proc / f"io_{k}.parquet" for k in ("flows", "final", "va")}
    have_io = all(p.exists() for p in need.values())
    if f.exists():
        return pd.read_parquet(f), f.name
    if not have_io:
        return None, "no IO tables in data/processed (run `python -m analysis data build`)"
    from analysis.data import io_tables
    from analysis.measures import io as mio

    frames = {k: pd.read_parquet(p) for k, p in need.items()}
    tables = io_tables.io_tables_from_frames(frames)
    tables = {k: t for k, t in tables.items() if k[0] != 0 and k[1] in (2012, 2017)}
    return mio.chain_linkage(tables), "computed from io_*.parquet"


def _framework_d(year: int) -> tuple[pd.DataFrame | None, str]:
    from analysis import paths

    proc = paths.processed_dir()
    f = proc / "integration.parquet"
    if not f.exists():
        return None, "integration.parquet not built (python -m analysis integration)"
    t = pd.read_parquet(f)
    t = t[t.year == year]
    if t.empty:
        return None, f"integration.parquet has no {year}"
    return t[["province_code", "U_st", "U_ind", "D", "D_class"]], "integration.parquet"


def main(year: int = 2022) -> None:
    """Print the 2012/2017 chain-linkage indicator and the ``year`` coupling coordination.

    Parameters
    ----------
    year : int
        Year of the coupling coordination table (default 2022).

    Returns
    -------
    None
        Prints two tables to stdout.

    Raises
    ------
    FileNotFoundError
        No processed panel (run ``python -m analysis data build``).
    KeyError, ValueError
        As :func:`simple_st_ind_coupling`.
    """
    from analysis.data.pipeline import load_panel
    from analysis.data.provinces import PROVINCES

    names = PROVINCES.set_index("province_code")[["name_zh", "name_en"]]
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 100)

    chain, how = _chain_linkage()
    print("=" * 100)
    print(f"Industrial-chain linkage of the R&D-intensive sectors, IO tables 2012 and 2017 ({how})")
    if chain is not None:
        show = chain[(chain.province_code != 0) & chain.io_year.isin([2012, 2017])]
        wide = show.pivot(index="province_code", columns="io_year",
                          values=["chain_linkage", "local_sourcing"])
        wide.columns = [f"{a}_{b}" for a, b in wide.columns]
        print(names.join(wide, how="right").round(3).to_string())
    else:
        print("  " + how)

    panel = load_panel()
    simple = simple_st_ind_coupling(panel, year)
    w0, w1 = simple.attrs["window"]
    table = simple.set_index("province_code")[["U_st", "U_ind", "C", "D", "D_class"]]
    table.columns = [f"{c}_simple" for c in table.columns]
    fw, fw_how = _framework_d(year)
    print("=" * 100)
    print(f"{year} coupling coordination of S&T and industrial innovation; simple spec: entropy "
          f"window {w0}-{w1}, standard C, alpha = beta = 0.5; framework: {fw_how}")
    if fw is not None:
        fw = fw.set_index("province_code").add_suffix("_framework")
        table = fw.join(table, how="outer")
    out = names.join(table, how="right")
    sort_col = "D_framework" if "D_framework" in out.columns else "D_simple"
    print(out.sort_values(sort_col, ascending=False).round(3).to_string())
    if fw is not None:
        r = out[["D_framework", "D_simple"]].corr(method="spearman").iloc[0, 1]
        print(f"Spearman rank correlation of the two D's across provinces: {r:.3f}")

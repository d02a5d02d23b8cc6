"""Hansen (1999) threshold-panel example data (github lianxhcn/data, MIT; the data of Stata's
``xthreg`` help file, Wang 2015).

Source: ``data/raw/hansen1999/hansen1999.dta``. 565 US firms × 1974–1987 = 7,910 rows.

Variables (as in the file): ``id`` firm, ``year``, ``i`` investment / assets, ``q`` Tobin's Q,
``c`` cash flow / assets, ``d`` debt / assets, and the lagged regressors of Hansen's eq. (21):
``q1`` = Q(t-1), ``q2`` = Q(t-1)² / 100, ``q3`` = Q(t-1)³ / 1000 (note the scaling, checked in the
tests), ``d1`` = D(t-1) (the threshold variable), ``qd1`` = Q(t-1)·D(t-1), ``c1`` = CF(t-1) (the
regime-dependent regressor).

References
----------
Hansen, B. E. (1999). Threshold effects in non-dynamic panels: estimation, testing, and
inference. *Journal of Econometrics* 93(2), 345–368.
Wang, Q. (2015). Fixed-effect panel threshold model using Stata. *Stata Journal* 15(1), 121–134.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.sources._common import SourceLayoutError, require_columns, require_file

__all__ = ["read_hansen", "VARIABLES", "FILE"]

FILE = "hansen1999/hansen1999.dta"
_COLUMNS = ["id", "year", "i", "q", "c", "d", "q1", "q2", "q3", "d1", "qd1", "c1"]
_LABELS = {
    "id": ("企业编号", "Firm id"),
    "year": ("年份", "Year"),
    "i": ("投资/资产", "Investment / assets"),
    "q": ("托宾Q", "Tobin's Q"),
    "c": ("现金流/资产", "Cash flow / assets"),
    "d": ("负债/资产", "Debt / assets"),
    "q1": ("滞后一期托宾Q", "Q(t-1)"),
    "q2": ("滞后托宾Q平方/100", "Q(t-1)^2 / 100"),
    "q3": ("滞后托宾Q立方/1000", "Q(t-1)^3 / 1000"),
    "d1": ("滞后一期负债率（门槛变量）", "D(t-1), threshold variable"),
    "qd1": ("滞后托宾Q×滞后负债率", "Q(t-1) x D(t-1)"),
    "c1": ("滞后一期现金流（区制相关变量）", "CF(t-1), regime-dependent regressor"),
}
VARIABLES: list[Variable] = [
    Variable(c, zh, en, "ratio" if c not in ("id", "year") else "", FILE, "hansen1999.dta")
    for c, (zh, en) in _LABELS.items()
]


def read_hansen(raw_dir: Path) -> pd.DataFrame:
    """Hansen (1999) panel, balanced, sorted by ``id, year``.

    Parameters
    ----------
    raw_dir : pathlib.Path
        ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        7,910 rows (565 firms × 14 years); ``id`` and ``year`` int64, the rest float64.

    Raises
    ------
    FileNotFoundError
        The ``.dta`` is missing.
    SourceLayoutError
        Missing columns or a panel that is not 565 × 14 balanced.
    """
    path = require_file(Path(raw_dir) / FILE)
    df = pd.read_stata(path, convert_dates=True)
    require_columns(df, _COLUMNS, FILE)
    year = df["year"]
    df["year"] = (year.dt.year if pd.api.types.is_datetime64_any_dtype(year) else year).astype("int64")
    df["id"] = df["id"].astype("int64")
    for c in _COLUMNS[2:]:
        df[c] = df[c].astype("float64")
    df = df[_COLUMNS].sort_values(["id", "year"]).reset_index(drop=True)
    counts = df.groupby("id").size()
    if len(df) != 7910 or counts.nunique() != 1 or df.duplicated(["id", "year"]).any():
        raise SourceLayoutError(
            f"{FILE}: expected a balanced 565 x 14 panel, got {len(df)} rows, "
            f"{df['id'].nunique()} firms"
        )
    return df

"""One result form for every model family.

Every estimator in :mod:`analysis.models` returns a :class:`ModelResult` (or a subclass adding
family-specific attributes, e.g. thresholds). Tables (:mod:`analysis.models.tables`) are rendered
from these objects, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


@dataclass
class ModelResult:
    """Estimates of one model.

    Attributes
    ----------
    params, std_errors : pandas.Series
        Coefficients and standard errors, indexed by regressor name (nvar).
    nobs : int
        Observations used.
    n_groups : int or None
        Number of entities (clusters of the fixed effect).
    dof : float or None
        Degrees of freedom of the t reference distribution; ``None`` means normal (z) inference.
    r2_within, r2 : float or None
        Within R² (after removing the fixed effects) and overall R² where defined.
    depvar : str
        Dependent variable.
    model : str
        Short name of the family, e.g. ``"twfe"``, ``"threshold"``, ``"sdm"``.
    fixed_effects : list of str
        Fixed effects absorbed (``["province_code", "year"]``).
    cluster : str or None
        Clustering variable of the covariance, ``None`` for non-clustered.
    vcov_type : str
        Description of the covariance estimator (``"CR1 (reghdfe small-sample)"`` …).
    notes : list of str
        Anything a reader must know (dropped observations, singletons, warnings).
    extra : dict
        Family-specific statistics shown in table footers (``{"F": …, "AR(2) p": …}``).
    vcov : pandas.DataFrame or None
        Covariance matrix of ``params`` (nvar by nvar, same index and columns), when available;
        needed for Wald tests (:meth:`wald_test`) and delta-method marginal effects.
    n_clusters : int or None
        Number of clusters of a clustered covariance.
    """

    params: pd.Series
    std_errors: pd.Series
    nobs: int
    depvar: str
    model: str
    n_groups: int | None = None
    dof: float | None = None
    r2_within: float | None = None
    r2: float | None = None
    fixed_effects: list[str] = field(default_factory=list)
    cluster: str | None = None
    vcov_type: str = ""
    notes: list[str] = field(default_factory=list)
    extra: dict[str, float | str] = field(default_factory=dict)
    vcov: pd.DataFrame | None = None
    n_clusters: int | None = None

    @property
    def tstats(self) -> pd.Series:
        """t (or z) statistics, ``params / std_errors``."""
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from t(dof), or N(0, 1) when ``dof`` is None."""
        t = np.abs(self.tstats.to_numpy(dtype=float))
        p = 2 * (stats.t.sf(t, self.dof) if self.dof is not None else stats.norm.sf(t))
        return pd.Series(p, index=self.params.index, name="pvalue")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals, columns ``lower`` and ``upper``."""
        a = (1 - level) / 2
        q = stats.t.isf(a, self.dof) if self.dof is not None else stats.norm.isf(a)
        return pd.DataFrame(
            {"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors}
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per regressor: estimate, std_error, statistic, p_value, ci_lower, ci_upper."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "ci_lower": ci["lower"].to_numpy(),
                "ci_upper": ci["upper"].to_numpy(),
            }
        )

    def wald_test(self, R: np.ndarray, r: np.ndarray | None = None) -> dict[str, float]:
        """Wald test of ``R @ params = r`` using :attr:`vcov`.

        Parameters
        ----------
        R : array (q by nvar)
            Restriction matrix (columns in the order of ``params``).
        r : array (q,), optional
            Right-hand side, zeros by default.

        Returns
        -------
        dict
            ``stat`` (W / q, an F statistic when ``dof`` is set, else W), ``df1`` (q), ``df2``
            (``dof`` or ``inf``) and ``p_value`` (F(q, dof) or chi2(q)).

        Raises
        ------
        ValueError
            If the result carries no covariance matrix or ``R`` has the wrong width.
        """
        if self.vcov is None:
            raise ValueError(f"{self.model}: no covariance matrix stored, cannot run a Wald test")
        R = np.atleast_2d(np.asarray(R, dtype=float))
        b = self.params.to_numpy(dtype=float)
        if R.shape[1] != b.size:
            raise ValueError(f"R has {R.shape[1]} columns, params has {b.size} entries")
        r = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=float)
        d = R @ b - r
        V = R @ self.vcov.loc[self.params.index, self.params.index].to_numpy(dtype=float) @ R.T
        W = float(d @ np.linalg.solve(V, d))
        q = R.shape[0]
        if self.dof is not None:
            return {"stat": W / q, "df1": q, "df2": float(self.dof),
                    "p_value": float(stats.f.sf(W / q, q, self.dof))}
        return {"stat": W, "df1": q, "df2": float("inf"), "p_value": float(stats.chi2.sf(W, q))}

    def summary(self) -> str:
        """Plain-text summary (coefficient table and footer)."""
        head = f"{self.model}: {self.depvar}  N={self.nobs}"
        if self.n_groups is not None:
            head += f"  groups={self.n_groups}"
        if self.r2_within is not None:
            head += f"  within R2={self.r2_within:.4f}"
        return head + "\n" + self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()

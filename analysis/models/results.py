"""One result form for every model family.

Every estimator in :mod:`analysis.models` returns a :class:`ModelResult` (or a subclass adding
family-specific attributes, e.g. thresholds). Tables (:mod:`analysis.models.tables`) are rendered
from these objects, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
    design : analysis.models.inference.WildDesign or None
        The within-transformed design of a linear fit (``twfe``), kept for
        :meth:`wild_bootstrap` and the permutation test; None for other families.
    wild : dict of str -> analysis.models.inference.WildBootstrapResult
        Wild cluster bootstrap results computed by :meth:`wild_bootstrap`, by coefficient;
        tables show their p-values beside the standard errors.
    wild_only : bool
        Report only the wild-bootstrap inference for this result (too few clusters for CR1):
        tables then show the bootstrap p-value instead of the standard error and take the stars
        from it.
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
    design: object | None = field(default=None, repr=False, compare=False)
    wild: dict = field(default_factory=dict, repr=False, compare=False)
    wild_only: bool = False

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
        """One row per regressor: estimate, std_error, statistic, p_value, ci_lower, ci_upper.

        When :meth:`wild_bootstrap` has been run for some coefficient, also ``wild_p_value``,
        ``wild_ci_lower``, ``wild_ci_upper``, ``wild_weights``, ``wild_reps``,
        ``wild_impose_null`` (missing for the coefficients not bootstrapped).
        """
        ci = self.conf_int(level)
        out = pd.DataFrame(
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
        if self.wild:
            cols = ["wild_p_value", "wild_ci_lower", "wild_ci_upper", "wild_weights",
                    "wild_reps", "wild_impose_null"]
            rows = [self.wild[t].as_dict() if t in self.wild else dict.fromkeys(cols)
                    for t in out["term"]]
            wide = pd.DataFrame(rows, columns=cols)
            for c in ("wild_p_value", "wild_ci_lower", "wild_ci_upper"):
                wide[c] = wide[c].astype(float)
            out = pd.concat([out, wide], axis=1)
        return out

    def wild_bootstrap(self, param: str, reps: int = 9999,
                       weights: Literal["rademacher", "webb", "mammen", "norm"] = "rademacher",
                       impose_null: bool = True, seed: int | None = None,
                       level: float = 0.95, null: float = 0.0):
        """Wild cluster bootstrap test of ``param = null``: p-value and confidence interval.

        Runs :func:`analysis.models.inference.wild_cluster_bootstrap` (the ``wildboottest``
        package, as pyfixest's ``Feols.wildboottest``; Stata ``boottest``) on the fit's
        within-transformed design and the clusters of its covariance, and keeps the result in
        :attr:`wild` so that tables show it.

        Parameters
        ----------
        param : str
            Coefficient to test.
        reps, weights, impose_null, seed, level, null
            See :func:`~analysis.models.inference.wild_cluster_bootstrap`: 9,999 replications,
            Rademacher weights (Webb with fewer than ~10 clusters), null imposed (WCR).

        Returns
        -------
        analysis.models.inference.WildBootstrapResult
            ``p_value``, ``ci_lower``, ``ci_upper`` and how they were obtained.

        Raises
        ------
        ValueError
            The result stores no design (not a clustered linear fit), ``param`` is not a
            coefficient, fewer than 2 clusters, bad options.
        """
        from analysis.models.inference import wild_cluster_bootstrap

        if self.design is None:
            raise ValueError(f"{self.model}: no design stored for a wild cluster bootstrap (only "
                             "clustered linear fixed-effects fits, e.g. twfe, keep one)")
        if self.cluster is None:
            raise ValueError(f"{self.model}: the covariance is not clustered; the wild cluster "
                             "bootstrap needs clusters")
        if param not in self.params.index:
            raise ValueError(f"param {param!r} is not a coefficient; coefficients: "
                             f"{list(self.params.index)}")
        d = self.design
        res = wild_cluster_bootstrap(d.y, d.X, d.cluster, param, names=d.names, null=null,
                                     reps=reps, weights=weights, impose_null=impose_null,
                                     seed=seed, level=level)
        self.wild[param] = res
        return res

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

"""Stata and R scripts that reproduce the baseline table from ``analysis.dta`` / ``analysis.csv``.

The models step writes ``reports/paper/replicate.do`` (``reghdfe``, ``boottest``, ``xthreg``)
and ``reports/paper/replicate.R`` (``fixest``, else ``plm``) from :func:`baseline_spec`, the
same specification the Python baseline uses (:func:`fit_baseline`: outcomes, regressor,
controls, fixed effects, clustering, sample rule), so the scripts cannot drift from the tables.

Conventions (what a user should expect to match)
------------------------------------------------
* Point estimates: identical (same within estimator, same listwise sample).
* Standard errors: CR1 with reghdfe's small-sample factor
  ``G/(G−1) · (N−1)/(N−K)``, ``K`` = slopes + the year effects (the province effects are
  nested in the province clusters; :mod:`analysis.models.twfe`). ``reghdfe`` and ``fixest``'s
  default (``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE)``) give it directly. The
  ``plm`` fallback of ``replicate.R`` (``fixest`` is not packaged in Debian) takes
  ``vcovHC(type = "HC0", cluster = "group")`` — no small-sample factor — and multiplies it by
  the same factor, so its standard errors equal the table's too; plm's own ``type = "sss"``
  would count only the slopes in ``K`` and give larger-sample (smaller) errors.
* Wild cluster bootstrap p-values: ``boottest`` draws other random numbers than ours
  (``wildboottest``), so its p-values differ by Monte-Carlo error (about ±0.01 at 9,999 draws).
* Threshold (``xthreg``): Hansen (1999) with the same grid, trimming and bootstrap count, on
  the balanced sample; year effects enter as dummies, and the bootstrap p-values differ by
  Monte-Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths

ENTITY = "province_code"
TIME = "year"


@dataclass(frozen=True)
class BaselineSpec:
    """The baseline regression of the paper tables.

    Attributes
    ----------
    outcomes : tuple of str
        Dependent variables, one column each (table order).
    x : str
        The regressor of interest (R&D intensity, %).
    controls : tuple of str
        Control variables.
    entity, time : str
        Absorbed fixed effects (two-way); ``cluster`` the cluster variable.
    wild_reps, seed : int
        Wild cluster bootstrap draws and seed (Rademacher, null imposed).
    threshold : dict
        Hansen threshold settings: ``q`` (threshold variable), ``controls``, ``years``
        (balanced sample), ``grid``, ``trim``, ``bootstrap``, ``n_thresholds``.
    """

    outcomes: tuple[str, ...]
    x: str
    controls: tuple[str, ...]
    entity: str = ENTITY
    time: str = TIME
    cluster: str = ENTITY
    wild_reps: int = 9999
    seed: int = 0
    threshold: dict = field(default_factory=dict)

    @property
    def regressors(self) -> list[str]:
        return [self.x, *self.controls]

    def variables(self) -> list[str]:
        """Every variable the scripts reference (all must be columns of ``analysis.dta``)."""
        out = [*self.outcomes, *self.regressors, self.entity, self.time, self.cluster]
        th = self.threshold
        if th:
            out += [th["q"], *th["controls"]]
        return list(dict.fromkeys(out))


def baseline_spec(threshold_years: tuple[int, int] | None = None) -> BaselineSpec:
    """The specification of the models step (:mod:`analysis.models.pipeline` constants)."""
    from analysis.models import pipeline as mp

    th = {}
    if threshold_years is not None:
        th = {"q": "ln_gdp_pc", "controls": [*mp.CONTROLS, "ln_gdp_pc"],
              "years": tuple(int(y) for y in threshold_years), "grid": 400, "trim": 0.05,
              "bootstrap": mp.THRESHOLD_BOOTSTRAP, "n_thresholds": 2}
    return BaselineSpec(tuple(mp.OUTCOMES), mp.X_MAIN, tuple(mp.CONTROLS),
                        wild_reps=int(mp.WILD["reps"]), seed=int(mp.SEED), threshold=th)


def baseline_sample(df: pd.DataFrame, y: str, spec: BaselineSpec | None = None) -> pd.DataFrame:
    """Rows of ``df`` where ``y``, the regressor and the controls are all observed (listwise,
    as ``reghdfe`` and ``fixest`` drop them)."""
    spec = spec or baseline_spec()
    return df.dropna(subset=[y, *spec.regressors])


def fit_baseline(df: pd.DataFrame, y: str, spec: BaselineSpec | None = None):
    """The baseline two-way FE regression of outcome ``y`` (:func:`analysis.models.twfe.twfe`,
    CR1 by province with reghdfe's small-sample correction); the models step's baseline block
    calls this, and so do the tests comparing with ``replicate.R``.

    Returns
    -------
    ModelResult
    """
    from analysis.models.twfe import twfe

    spec = spec or baseline_spec()
    return twfe(baseline_sample(df, y, spec), y, spec.regressors, spec.entity, spec.time)


# --------------------------------------------------------------------------------------------
# script generators
# --------------------------------------------------------------------------------------------

_HEADER = ("generated by the models step (analysis.models.replication) from the specification "
           "the Python models use; do not edit by hand: edit analysis/models/pipeline.py")


def stata_do(spec: BaselineSpec) -> str:
    """``replicate.do``: the baseline table with ``reghdfe`` + ``boottest``; the threshold
    model with ``xthreg`` (see the module docstring for what matches)."""
    xs = " ".join(spec.regressors)
    lines = [
        "* replicate.do: the baseline table (reports/paper/baseline_en.*) from analysis.dta",
        f"* {_HEADER}",
        "* Needs Stata 14+, reghdfe and ftools (ssc install ftools; ssc install reghdfe),",
        "* boottest (ssc install boottest) and, for the threshold model, xthreg (net install",
        "* xthreg, from(http://www.stata-journal.com/software/sj15-1)).",
        "* Run from the project root: do reports/paper/replicate.do",
        "version 14",
        "clear all",
        "set more off",
        'use "data/processed/analysis.dta", clear',
        "notes  // full labels, definitions and sources of the variables",
        f"xtset {spec.entity} {spec.time}",
        "",
        "* Baseline: two-way fixed effects (province, year), CR1 standard errors clustered by",
        "* province (reghdfe's small-sample correction, t(G-1)); the sample of each column is",
        "* every row where its variables are observed (reghdfe drops the others). Then the wild",
        f"* cluster bootstrap p-value of each coefficient (Rademacher, {spec.wild_reps} draws,",
        "* null imposed); its draws differ from the Python table's, so p differs by Monte-Carlo",
        "* error.",
    ]
    for y in spec.outcomes:
        lines += [
            "",
            f"reghdfe {y} {xs}, absorb({spec.entity} {spec.time}) vce(cluster {spec.cluster})",
        ]
        lines += [f"boottest {v}, reps({spec.wild_reps}) weighttype(rademacher) "
                  f"seed({spec.seed}) nograph" for v in spec.regressors]
    th = spec.threshold
    if th:
        y0, y1 = th["years"]
        cs = " ".join(th["controls"])
        lines += [
            "",
            f"* Threshold (Hansen 1999): {spec.outcomes[0]} on {spec.x} in regimes of {th['q']},",
            f"* balanced sample {y0}-{y1}, year effects as dummies, grid {th['grid']}, "
            f"trimming {th['trim']},",
            f"* {th['bootstrap']} bootstrap draws per threshold test.",
            "preserve",
            f"keep if inrange({spec.time}, {y0}, {y1})",
            f"drop if missing({spec.outcomes[0]}, {spec.x}, {', '.join(th['controls'])})",
            f"quietly tabulate {spec.time}, generate(yr_)",
            "drop yr_1",
            f"xthreg {spec.outcomes[0]} {cs} yr_*, rx({spec.x}) qx({th['q']}) "
            f"thnum({th['n_thresholds']}) grid({th['grid']}) trim({th['trim']} {th['trim']}) "
            f"bs({th['bootstrap']} {th['bootstrap']})",
            "restore",
        ]
    return "\n".join(lines) + "\n"


def _r_vec(items) -> str:
    return "c(" + ", ".join(f'"{v}"' for v in items) + ")"


def r_script(spec: BaselineSpec) -> str:
    """``replicate.R``: the baseline table with ``fixest`` when installed, else ``plm`` with
    the reghdfe small-sample factor applied to ``vcovHC(type = "HC0", cluster = "group")``."""
    return f'''# replicate.R: the baseline table (reports/paper/baseline_en.*) from analysis.csv
# {_HEADER}
# Usage (from the project root): Rscript reports/paper/replicate.R [analysis.csv] [out.csv]
# Uses fixest when installed (install.packages("fixest")), else plm (Debian: r-cran-plm).
# Point estimates equal the table's. Standard errors: CR1 clustered by province with
# reghdfe's small-sample factor G/(G-1) * (N-1)/(N-K), K = slopes + year effects (the
# province effects are nested in the clusters): fixest's default gives it; with plm the
# script applies it to vcovHC(type = "HC0", cluster = "group") (plm's own type = "sss" counts
# only the slopes in K). Inference t(G-1). Wild-bootstrap p-values: see replicate.do.

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[1] else "data/processed/analysis.csv"
out_path <- if (length(args) >= 2) args[2] else ""
d <- read.csv(path, fileEncoding = "UTF-8-BOM", stringsAsFactors = FALSE)

outcomes <- {_r_vec(spec.outcomes)}
regressors <- {_r_vec(spec.regressors)}
fe <- {_r_vec([spec.entity, spec.time])}
cluster <- "{spec.cluster}"

use_fixest <- requireNamespace("fixest", quietly = TRUE)
if (!use_fixest && !requireNamespace("plm", quietly = TRUE)) {{
  stop("replicate.R needs fixest or plm: install.packages(\\"fixest\\") or apt-get install r-cran-plm")
}}
method <- if (use_fixest) "fixest" else "plm+reghdfe-ssc"
rows <- list()
for (y in outcomes) {{
  s <- d[complete.cases(d[, c(y, regressors, fe)]), ]
  rhs <- paste(regressors, collapse = " + ")
  G <- length(unique(s[[cluster]]))
  if (use_fixest) {{
    f <- fixest::feols(as.formula(paste(y, "~", rhs, "|", paste(fe, collapse = " + "))),
                       data = s, cluster = as.formula(paste("~", cluster)))
    b <- coef(f)
    se <- fixest::se(f)
  }} else {{
    p <- plm::pdata.frame(s, index = fe)
    f <- plm::plm(as.formula(paste(y, "~", rhs)), data = p, model = "within",
                  effect = "twoways")
    b <- coef(f)
    v0 <- plm::vcovHC(f, type = "HC0", cluster = "group")
    N <- nrow(s)
    K <- length(b) + length(unique(s[[fe[2]]]))
    se <- sqrt(diag(v0) * G / (G - 1) * (N - 1) / (N - K))
  }}
  t <- b / se
  pval <- 2 * pt(abs(t), df = G - 1, lower.tail = FALSE)
  rows[[y]] <- data.frame(outcome = y, term = names(b), estimate = unname(b),
                          std_error = unname(se[names(b)]), p_value = unname(pval[names(b)]),
                          nobs = nrow(s), method = method, stringsAsFactors = FALSE)
}}
res <- do.call(rbind, rows)
rownames(res) <- NULL
print(res, digits = 6)
if (nzchar(out_path)) write.csv(res, out_path, row.names = FALSE)
'''


def write(out_dir: Path, spec: BaselineSpec) -> list[str]:
    """Write ``replicate.do`` and ``replicate.R`` into ``out_dir`` (atomically); returns names."""
    files = {"replicate.do": stata_do(spec), "replicate.R": r_script(spec)}
    for name, text in files.items():
        paths.atomic_write_bytes(out_dir / name, text.encode("utf-8"))
    return list(files)


__all__ = ["BaselineSpec", "baseline_sample", "baseline_spec", "fit_baseline", "r_script",
           "stata_do", "write"]

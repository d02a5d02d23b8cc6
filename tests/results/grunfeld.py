"""Reference results on the Grunfeld (1958) investment data, 10 firms x 20 years (1935-1954).

Data: ``statsmodels.datasets.grunfeld`` without "American Steel" (= R ``plm::Grunfeld``,
Stata ``webuse grunfeld``; Baltagi's 10-firm version). Variables: ``invest`` (inv), ``value``
(mvalue), ``capital`` (kstock).
"""

# --- One-way (firm) within estimator, conventional standard errors -----------------------
# Baltagi, B. H. (2021), Econometric Analysis of Panel Data, 6th ed., Springer, Table 2.1
# ("Grunfeld's data. One-way error component results", Within row).
# Stata: xtreg invest mvalue kstock, fe
# R:     plm(inv ~ value + capital, data = Grunfeld, model = "within")
baltagi_within = {
    "params": {"value": 0.1101, "capital": 0.3101},
    "std_errors": {"value": 0.0119, "capital": 0.0174},
    "decimals": 4,
}

# --- One-way (firm) within estimator, cluster-robust by firm, Stata small-sample -----------
# gretl: panel inv 0 value capital --robust   (Arellano, "Stata's small sample adjustment")
# Stata: xtreg invest mvalue kstock, fe vce(cluster company)
#        reghdfe invest mvalue kstock, absorb(company) vce(cluster company)
# Source: gretl output quoted in the R package plm, inst/tests/test_pwaldtest.R
# ("Model 1: Fixed-effects ... Robust (HAC) standard errors"); t(9) reference, F(2, 9) = 28.3096.
oneway_cluster = {
    "params": {"value": 0.110124, "capital": 0.310065},
    "std_errors": {"value": 0.0151945, "capital": 0.0527518},
    "F": 28.3096,
}

# --- Two-way (firm + year) within estimator, cluster-robust by firm, Stata small-sample -----
# gretl: panel inv 0 value capital dt_2 ... dt_20 --robust  (same source, "Model 6")
# Stata: xtreg invest mvalue kstock i.year, fe vce(cluster company)
#        reghdfe invest mvalue kstock, absorb(company year) vce(cluster company)
# q = G/(G-1) * (N-1)/(N-K) with G = 10, N = 200, K = 2 + 19 year dummies + 1 constant = 22
# (reghdfe: year FE 20 levels, 0 redundant because the firm FE is nested in the cluster).
# F(2, 9) = 60.0821.
twoway_cluster = {
    "params": {"value": 0.117716, "capital": 0.357916},
    "std_errors": {"value": 0.0108244, "capital": 0.0478484},
    "F": 60.0821,
    "K": 22,
}

"""Hansen (1999) panel threshold model on the firm investment data: published and pinned numbers.

Data: ``hansen1999.dta``, the example data of Stata's ``xthreg`` (raw mirror
``data/raw/hansen1999/``; github lianxhcn/data): 565 US firms × 14 years (1974-1987, the lags
already taken), ``i`` investment/assets, ``c1`` lagged cash flow/assets (regime-dependent),
``d1`` lagged debt/assets (threshold variable), controls ``q1 q2 q3 d1 qd1`` (lagged Tobin's Q,
its square and cube, d1, q1·d1).

Stata (Wang 2015, Stata Journal 15(1), 121-134; ``help xthreg`` example):
    use hansen1999
    xthreg i q1 q2 q3 d1 qd1, rx(c1) qx(d1) thnum(3) grid(400) trim(0.01 0.01 0.05) bs(300 300 300)
Hansen's own run: replication program thresh_p.R / thresh.prg (qn = 400, trim_1 = trim_2 = 0.01,
trim_3 = 0.05, 300 bootstrap replications per test), Hansen, B. E. (1999), Journal of
Econometrics 93(2), 345-368, Section 6.
Python:
    hansen_threshold(d, "i", ["q1", "q2", "q3", "d1", "qd1"], "c1", "d1", "id", "year",
                     n_thresholds=3, grid=400, trim=[0.01, 0.01, 0.05], convention=...)
"""

# --- Published (Hansen 1999, Section 6 / Table 2; also xthreg's documented example) ---------------
# Only the threshold point estimates are taken from the publication; 4 decimals.
published = {"gamma1": 0.0157, "gamma2": 0.5362, "decimals": 4}

# --- Pinned: OUR computation with convention="hansen" (Hansen's replication code) ------------------
# Search on N(T-1) = 7345 rows (demeaned, last period deleted), lower regime q < γ, second-step
# candidates = grid minus positions nn-qnt <= i < nn+qnt around each estimated threshold.
# SSR over those 7345 rows. F = (S_{k-1} - S_k) / (S_k / denom), denom = N(T-1) = 7345 ("hansen",
# Hansen's LR statistic) or T (N - 1) = 7896 ("xthreg": inferred from a published xthreg log, see
# the sigma2 docstring; not verified on a Stata run).
# Thresholds: Th-1, Th-21 (refined γ1), Th-22 (γ2), Th-3; CI bounds = 95% LR confidence sets.
hansen_convention = {
    "thresholds": {"Th-1": 0.01570, "Th-21": 0.01570, "Th-22": 0.53616, "Th-3": 0.33134},
    # S_0 (linear), S_1(γ1), S(γ1^r, γ2), S_3(γ1^r, γ2, γ3)
    "ssr": {0: 16.591221, 1: 16.517796, 2: 16.459980, 3: 16.450615},
    "f_stats": {"hansen": [32.6499, 25.7994, 4.1814], "xthreg": [35.0992, 27.7348, 4.4951]},
    "ci_th1": {"hansen": (0.01392, 0.01806)},
    "ci_th22": {"hansen": (0.53049, 0.56287), "xthreg": (0.53616, 0.56287)},
    # xtreg, fe at (0.0157, 0.33134, 0.53616) on all 7910 rows with the search's regimes
    # (q < γ lower; 3 obs lie exactly at a threshold), entity-clustered SEs as
    # xtreg, fe vce(cluster id). (xthreg recodes with irecode, q <= γ, which moves those 3 obs:
    # c1_r0..r3 = 0.058021, 0.090174, 0.107455, 0.044711.)
    "params": {"c1_r0": 0.058029, "c1_r1": 0.090185, "c1_r2": 0.107380, "c1_r3": 0.044733},
    "std_errors": {"c1_r0": 0.008136, "c1_r1": 0.010186, "c1_r2": 0.013639, "c1_r3": 0.033597},
}

# --- Pinned: OUR computation with convention="within" (textbook FE on all 7910 rows) --------------
within_convention = {
    "thresholds": {"Th-1": 0.01570, "Th-21": 0.01570, "Th-22": 0.54072, "Th-3": 0.13956},
    "ssr": {0: 17.861099, 1: 17.781651, 2: 17.725134, 3: 17.712024},
    "f_stats": {"hansen": [32.8173, 23.4196, 5.4367], "xthreg": [35.2791, 25.1765, 5.8445]},
    "ci_th1": {"hansen": (0.01453, 0.01806)},
}

# --- Why γ2 differs: SSR at the two competing grid points, γ1 = 0.0157 fixed --------------------
# (recomputed independently in tests/test_threshold.py by least squares)
gamma2_contest = {
    # Hansen's transformation (7345 rows), regime q < γ
    "deleted_period": {0.53616: 16.459980, 0.54072: 16.461594},
    # all demeaned rows (7910), regime q <= γ
    "all_rows": {0.53616: 17.726758, 0.54072: 17.725134},
}

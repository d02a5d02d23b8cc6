"""Arellano & Bond (1991) employment data: published xtabond2 output.

Data: ``tests/data/abdata.csv`` = R ``plm::EmplUK`` (= Stata ``webuse abdata``), 140 firms,
1976-1984, 1031 rows; ``n = log(emp)``, ``w = log(wage)``, ``k = log(capital)``. Written by
``Rscript -e 'library(plm); data(EmplUK); ...'`` (see tests/data/README.md).

Stata: xtabond2 n L(1/2).n w k, gmm(n, lag(2 4)) gmm(w, lag(1 3)) iv(k) nolevel twostep robust
Source: pydynpd repository, Benchmark/test_1.md ("xtabond2 (default)"), identical in R
``plm::pgmm(n ~ lag(n, 1:2) + w + k | lag(n, 2:4) + lag(w, 1:3), transformation = "d",
model = "twosteps")`` with robust SEs.
"""

xtabond2_diff_twostep = {
    "params": {"L1.n": 0.1700616, "L2.n": -0.0113381, "w": -0.9510582, "k": 0.4637223},
    "std_errors": {"L1.n": 0.1046652, "L2.n": 0.0377205, "w": 0.1277298, "k": 0.0718328},
    "nobs": 611,
    "n_groups": 140,
    "instruments": 36,
    "hansen": 47.86,
    "hansen_df": 32,
    "hansen_p": 0.035,
    "ar1": -1.19,
    "ar1_p": 0.235,
    "ar2": -0.81,
    "ar2_p": 0.417,
}

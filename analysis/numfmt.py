"""One number-format policy for every report, page and table.

Digits follow the kind of quantity, never the size of one number, so that the numbers in a
column or a sentence line up (``-0.004`` beside ``0.108``, not ``-0.00444``):

==============  ===============================================  ==========================
kind            rule                                             examples
==============  ===============================================  ==========================
``amount``      thousands separators; no decimals from 100 up,   ``128,222``  ``42.1``
                else 3 significant digits                        ``0.523``
``count``       integer with thousands separators                ``12,345``
``share``       a share in [0, 1] shown as a percentage: one     ``28.5%``  ``3.29%``
                decimal from 10 % up, two from 0.1 %, else 3     ``0.93%``  ``0.0412%``
                significant digits                               ``0%``
``percent``     a number already in percent units (R&D           ``3.29%``
                intensity × 100): as ``share`` after ÷ 100
``score``       indices and scores on [0, 1] (U, C, T, D,        ``0.629``  ``0.066``
                pillars, pathways): 3 decimals
``coef``        estimates, standard errors, effects: 3 decimals; ``0.108``  ``-0.004``
                a non-zero value that would round to 0 keeps     ``-0.0004``
                one significant digit
``level``       levels and ratios around 1 (linkages, ln GDP     ``1.12``  ``11.64``
                per capita, thresholds): 2 decimals
``pvalue``      3 decimals, ``<0.001`` below                     ``0.060``  ``<0.001``
``percentile``  0–100, no decimals                               ``71``
``auto``        3 significant digits, thousands separators       ``12.7``  ``1,234``
==============  ===============================================  ==========================

Percentages are used for shares only: a ratio such as high-tech revenue / GDP (which can exceed
1) is a ``level``/``auto`` number, not a percentage. Missing values print as an em dash ``—``.
:func:`kind_for_unit` maps a codebook unit to its kind.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

Kind = Literal["amount", "count", "share", "percent", "score", "coef", "level", "pvalue", "percentile",
               "auto"]
KINDS: tuple[str, ...] = ("amount", "count", "share", "percent", "score", "coef", "level", "pvalue",
                          "percentile", "auto")
MISSING = "—"

#: Codebook units → kind (anything else: ``auto``).
UNIT_KINDS: dict[str, str] = {
    "亿元": "amount", "万元": "amount", "元": "amount", "万人": "amount", "万人年": "amount", "万公里": "amount",
    "件": "count", "个": "count", "count": "count",
    "share": "share", "%": "percent",
    "[0, 1]": "score", "index": "level", "ratio": "auto",
}


def kind_for_unit(unit: str | None) -> str:
    """The format kind of a codebook unit (``share`` → ``share``, ``亿元`` → ``amount`` …)."""
    return UNIT_KINDS.get(str(unit), "auto") if unit is not None else "auto"


def _sig(x: float, digits: int = 3) -> str:
    """``digits`` significant digits in fixed notation (never scientific)."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def num(x: object, kind: str = "auto") -> str:
    """Format one number by the policy of its kind (see the module docstring).

    Parameters
    ----------
    x : number or None
        ``None``, NaN and ±inf print as ``—``.
    kind : str
        One of :data:`KINDS`.

    Raises
    ------
    ValueError
        An unknown ``kind``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown number kind {kind!r}; choose from {KINDS}")
    if x is None or isinstance(x, str):
        return MISSING if x is None else x
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool):
        return str(x)
    v = float(x)
    if not math.isfinite(v):
        return MISSING
    if kind == "count" or (kind == "auto" and isinstance(x, int)):
        return f"{int(round(v)):,}"
    if kind == "amount":
        return f"{v:,.0f}" if abs(v) >= 100 else _sig(v)
    if kind in ("share", "percent"):
        p = v * 100 if kind == "share" else v
        if p == 0:
            return "0%"
        return (f"{p:,.1f}" if abs(p) >= 10 else f"{p:.2f}" if abs(p) >= 0.1 else _sig(p)) + "%"
    if kind == "score":
        return f"{v:.3f}"
    if kind == "coef":
        s = f"{v:.3f}"
        return _sig(v, 1) if v != 0 and float(s) == 0 else s
    if kind == "level":
        return f"{v:,.2f}"
    if kind == "pvalue":
        return "<0.001" if 0 <= v < 0.0005 else f"{v:.3f}"
    if kind == "percentile":
        return f"{v:.0f}"
    return f"{v:,.0f}" if abs(v) >= 1000 else _sig(v)


def stars(p: object, levels: tuple[float, ...] = (0.10, 0.05, 0.01)) -> str:
    """``*`` for each level in ``levels`` that ``p`` is below (``* p<0.1, ** p<0.05, *** p<0.01``)."""
    if p is None or isinstance(p, str):
        return ""
    v = float(p)
    return "*" * sum(v < lv for lv in levels) if math.isfinite(v) else ""

"""Variable metadata. The codebook is generated from these records, never typed by hand.

Every parser declares the variables it produces as :class:`Variable` records next to the code
that computes them; ``analysis.data.pipeline`` collects them into ``data/processed/codebook.csv``
(adding the years each variable actually covers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Variable:
    """One column of a processed table.

    Attributes
    ----------
    name : str
        Column name (snake_case, see ``docs/CONTRACTS.md``).
    label_zh, label_en : str
        Labels for tables and figures.
    unit : str
        Unit after our transformation: ``亿元``, ``万人``, ``万人年``, ``件``, ``个``, ``share``,
        ``index`` …
    source : str
        Raw file(s) relative to ``data/raw/`` (``;``-separated when several).
    table : str
        Sheet, R object or table inside the source, as published.
    transformation : str
        What the code does to the published figure (``万元 / 10000``, ``% / 100``, ``sum of …``).
    """

    name: str
    label_zh: str
    label_en: str
    unit: str
    source: str
    table: str = ""
    transformation: str = "as published"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

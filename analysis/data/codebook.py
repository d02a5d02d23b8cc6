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
    kind : str
        ``"flow"`` (an amount or count *during* the year: expenditure, applications, firms
        certified that year), ``"stock"`` (a level at the *end* of the year: patents in force,
        institutions, enterprises holding a valid certificate), or ``""`` when not stated
        (ratios, indices, prices). Written to the codebook's ``stock_flow`` column.
    """

    name: str
    label_zh: str
    label_en: str
    unit: str
    source: str
    table: str = ""
    transformation: str = "as published"
    kind: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("", "flow", "stock"):
            raise ValueError(f"Variable {self.name}: kind must be 'flow', 'stock' or '', "
                             f"got {self.kind!r}")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

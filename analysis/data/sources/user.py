"""User series registered with ``python -m analysis data import`` (NBS data-portal exports).

The build reads ``data/user_sources.csv`` (:func:`analysis.data.user_sources.load_records`),
checks every file under ``data/raw/user/`` against its recorded SHA-256, parses it with
:func:`analysis.data.user_sources.parse_nbs_export` and returns one column per series. The
codebook rows come from :func:`variables`: label from the export's ``指标`` line, unit from its
parentheses, values as exported (no unit conversion). With no series registered the parser
returns no rows and the panel is unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.codebook import Variable
from analysis.data.user_sources import (
    NbsExport,
    UserSource,
    UserSourceError,
    read_all,
    record_path,
    reserved_names,
)

__all__ = ["read", "variables"]

KEYS = ["province_code", "year"]


def _variable(rec: UserSource, export: NbsExport) -> Variable:
    table = f"NBS data-portal export ({export.database or '分省年度数据'}): 指标：{export.label}"
    if export.notes:
        table += " | " + " ".join(export.notes)
    return Variable(
        rec.name, rec.label_zh, rec.label_en, rec.unit, rec.file, table,
        "as exported (no unit conversion); blank cells missing, never 0; national and regional "
        f"rows dropped ({', '.join(export.dropped) or 'none'}); registered by `data import` from "
        f"{rec.original_name} (sha256 {rec.sha256[:12]}…)")


def variables(raw_dir: Path) -> list[Variable]:
    """Codebook records of the registered series (verifies the files, like :func:`read`)."""
    return [_variable(r, e) for r, e in read_all(raw_dir)]


def read(raw_dir: Path) -> pd.DataFrame:
    """Every registered user series, wide: ``province_code``, ``year``, one column per name.

    Raises
    ------
    analysis.data.user_sources.UserSourceError
        A registered file is missing or changed since it was imported, or its name is now a
        column another parser produces.
    analysis.data.user_sources.ImportFormatError
        A registered file no longer parses (it cannot, unless the parser changed).
    """
    wide = pd.DataFrame(columns=KEYS).astype("int64")
    pairs = read_all(raw_dir)
    taken = reserved_names() & {rec.name for rec, _ in pairs}
    if taken:
        raise UserSourceError(
            f"user source(s) {sorted(taken)} now collide with columns the parsers produce; "
            "import them again under another name (data import FILE --name NEW) and remove the "
            f"old rows from {record_path()}")
    for rec, export in pairs:
        col = export.data.rename(columns={"value": rec.name})
        wide = wide.merge(col, on=KEYS, how="outer", validate="one_to_one")
    return wide.sort_values(KEYS, ignore_index=True)

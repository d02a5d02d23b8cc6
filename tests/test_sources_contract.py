"""Every parser column named in docs/CONTRACTS.md carries the contract's unit; names match."""

from __future__ import annotations

import re

import pytest

from analysis import paths
from analysis.data.sources import gpi, nbs, nqp, techme, techme_yearbook, torch_innocom

PARSERS = {"techme": techme, "techme_yearbook": techme_yearbook, "torch_innocom": torch_innocom,
           "nbs": nbs, "gpi": gpi, "nqp": nqp}
# produced by the pipeline from parser columns, not by a parser
PIPELINE_DERIVED = {"secondary_share", "tertiary_share"}


def _contract_units() -> dict[str, str]:
    text = (paths.project_root() / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    section = text.split("## data/processed/panel.parquet", 1)[1].split("\n## ", 1)[0]
    units = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("column", "---") or "`" in cells[0]:
            continue
        for name in re.split(r",\s*", cells[0]):
            if name and name not in ("province_code", "year"):
                units[name] = cells[1]
    return units


CONTRACT = _contract_units()


def test_contract_parsed():
    assert len(CONTRACT) > 45 and CONTRACT["rd_fte"] == "万人年" and CONTRACT["cpi"] == "1997 = 100"


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_units_match_contract(name):
    for v in PARSERS[name].VARIABLES:
        if v.name in CONTRACT:
            expected = CONTRACT[v.name]
            assert v.unit == expected or expected.startswith(v.unit + " "), (name, v.name, v.unit)


def test_every_contract_column_has_a_parser():
    produced = {v.name for m in PARSERS.values() for v in m.VARIABLES}
    assert set(CONTRACT) - produced - PIPELINE_DERIVED == set()


def test_variables_name_real_files(raw_dir):
    for name, mod in PARSERS.items():
        for v in mod.VARIABLES:
            for f in v.source.split(";"):
                assert (raw_dir / f).is_file(), (name, v.name, f)
            assert v.label_zh and v.label_en and v.unit, (name, v.name)


def test_finalise_refuses_a_declared_variable_that_is_absent():
    """A parser's promised column missing from the raw file used to become an all-NaN column."""
    import pandas as pd

    from analysis.data.provinces import CODES
    from analysis.data.sources._common import SourceLayoutError, finalise

    wide = pd.DataFrame({"province_code": sorted(CODES), "year": 2020, "gdp": range(31)})
    out = finalise(wide, ["gdp"], "x.xlsx")
    assert out["gdp"].tolist() == list(range(31)) and out["year"].dtype == "int64"
    with pytest.raises(SourceLayoutError, match=r"x\.xlsx: variable\(s\) \['trade'\] not found"):
        finalise(wide, ["gdp", "trade"], "x.xlsx")

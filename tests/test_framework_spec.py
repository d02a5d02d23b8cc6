"""The framework specification: the shipped file validates; every malformed entry is rejected
with a message naming the entry; formulas are evaluated without eval, with known numbers."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.framework import spec as S


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(S.DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))


def _bad(raw: dict, pos: int, **changes) -> dict:
    out = copy.deepcopy(raw)
    out["indicators"][pos].update(changes)
    return out


def _problems(raw: dict, **kw) -> str:
    with pytest.raises(S.SpecError) as exc:
        S.validate_spec(raw, **kw)
    return str(exc.value)


# --------------------------------------------------------------------- the shipped file


def test_shipped_spec_validates_and_covers_every_group():
    spec = S.load_spec()
    assert spec.version
    assert len(spec.names) == len(set(spec.names))
    for s in S.SUBSYSTEMS:
        assert len(spec.members(subsystem=s)) >= 3, s
    for p in S.PILLARS:
        assert len(spec.members(pillar=p)) >= 2, p
    for p in S.PATHWAYS:
        assert len(spec.members(pathway=p)) >= 2, p
    # every column used is a contract column (panel or chain-linkage layer)
    assert set(spec.columns) <= S.PANEL_COLUMNS | S.CHAIN_COLUMNS
    # every reference resolves
    for ind in spec.indicators:
        assert all(r in spec.references for r in ind.reference)


# --------------------------------------------------------------------- each error case


def test_unknown_column_is_named_with_suggestion(raw):
    msg = _problems(_bad(raw, 2, formula="valid_invention_patent / population"))
    assert "indicator #3 'valid_invention_patents_per_10k'" in msg
    assert "unknown column 'valid_invention_patent'" in msg
    assert "'valid_invention_patents'" in msg  # the suggestion


def test_unknown_column_against_given_columns(raw):
    # the real panel may lack a contract column: validation against the actual columns
    cols = (S.PANEL_COLUMNS | S.CHAIN_COLUMNS) - {"students"}
    msg = _problems(raw, columns=cols)
    assert "'students_per_10k'" in msg and "unknown column 'students'" in msg


def test_bad_direction(raw):
    msg = _problems(_bad(raw, 0, direction="up"))
    assert "indicator #1 'rd_intensity'" in msg and "direction" in msg and "'up'" in msg


def test_duplicate_name(raw):
    msg = _problems(_bad(raw, 3, name="rd_intensity"))
    assert "indicator #4 'rd_intensity': duplicate name (already used by indicator #1)" in msg


@pytest.mark.parametrize("field,value", [("pillar", "chains"), ("pathway", "finance"),
                                         ("subsystem", "science")])
def test_unknown_group(raw, field, value):
    msg = _problems(_bad(raw, 2, **{field: value}))
    assert "indicator #3 'valid_invention_patents_per_10k'" in msg
    assert field in msg and repr(value) in msg


@pytest.mark.parametrize("formula,expect", [
    ("rd_exp /", "syntax error"),
    ("(rd_exp / gdp", "syntax error"),
    ("__import__('os').system('echo hi')", "Call not allowed"),
    ("gdp.real", "Attribute not allowed"),
    ("gdp ** 2", "Pow not allowed"),
    ("gdp[0]", "Subscript not allowed"),
    ("gdp > 1", "Compare not allowed"),
    ("'gdp'", "constant 'gdp' not allowed"),
    ("lambda: 1", "Lambda not allowed"),
])
def test_formula_errors(raw, formula, expect):
    msg = _problems(_bad(raw, 0, formula=formula))
    assert "indicator #1 'rd_intensity'" in msg and expect in msg


def test_missing_and_extra_fields(raw):
    bad = copy.deepcopy(raw)
    del bad["indicators"][4]["unit"]
    bad["indicators"][5]["weigth"] = 2
    msg = _problems(bad)
    assert "indicator #5 'invention_share': unit: Field required" in msg
    assert "indicator #6 'fiscal_st_share': weigth: unknown field" in msg


def test_bad_name_and_undefined_reference(raw):
    msg = _problems(_bad(raw, 0, name="R&D intensity"))
    assert "snake_case" in msg
    msg = _problems(_bad(raw, 0, reference=["nobody_2099"]))
    assert "reference 'nobody_2099' is not defined" in msg


def test_empty_pillar_and_unknown_group_labels(raw):
    bad = copy.deepcopy(raw)
    for e in bad["indicators"]:
        if e["pillar"] == "chain":
            e["pillar"] = "none"
    bad["pillars"]["supply"] = {"label_zh": "供给", "label_en": "Supply"}
    msg = _problems(bad)
    assert "pillar 'chain' has no indicators" in msg
    assert "pillars: unknown key 'supply'" in msg


def test_all_problems_reported_at_once(raw):
    bad = _bad(raw, 0, direction="up")
    bad = _bad(bad, 1, formula="nope / gdp")
    with pytest.raises(S.SpecError) as exc:
        S.validate_spec(bad)
    assert len(exc.value.problems) == 2


def test_yaml_syntax_error(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text("indicators: [\n  - name: x\n", encoding="utf-8")
    with pytest.raises(S.SpecError, match="YAML syntax error"):
        S.load_spec(p)


# --------------------------------------------------------------------- formula evaluation


def test_evaluate_formula_numbers():
    df = pd.DataFrame({"rd_fte": [2.0, 3.0, 1.0], "population": [1000.0, 0.0, 500.0],
                       "gdp": [10.0, 20.0, 40.0]})
    got = S.evaluate_formula("rd_fte / population * 10000", df)
    np.testing.assert_allclose(got.to_numpy(), [20.0, np.nan, 20.0])  # 0 divisor → NaN, not inf
    got = S.evaluate_formula("(gdp − rd_fte) ÷ 2 × -1", df)  # typographic operators
    np.testing.assert_allclose(got.to_numpy(), [-4.0, -8.5, -19.5])
    assert S.formula_columns("a / (b + a) * 3") == ["a", "b"]
    with pytest.raises(KeyError, match="'nope'"):
        S.evaluate_formula("nope + 1", df)


def test_spec_helpers():
    spec = S.load_spec()
    dirs = spec.directions()
    assert set(dirs.unique()) <= {1, -1}
    smaller = spec.drop(["rd_intensity"])
    assert "rd_intensity" not in smaller.names and len(smaller.names) == len(spec.names) - 1
    tab = spec.table()
    assert list(tab["name"]) == spec.names


# --------------------------------------------------------------------- review additions


@pytest.mark.parametrize("name", ["year", "province_code", "model", "pillar_chain", "z_future",
                                  "pathway_core_tech", "weakest_pathways"])
def test_output_column_names_are_reserved(raw, name):
    # before: accepted, and the codebook then listed e.g. `year` twice
    msg = _problems(_bad(raw, 0, name=name))
    assert f"indicator #1 {name!r}: name:" in msg and "reserved" in msg


@pytest.mark.parametrize("formula,expect", [
    ("gdp / 0", "division by zero"),
    ("gdp / (2 - 2)", "division by zero"),
    ("gdp / -0.0", "division by zero"),
    ("5", "uses no panel column"),
    ("10000 / 3", "uses no panel column"),
])
def test_formula_constant_or_zero_division(raw, formula, expect):
    # before: accepted; `gdp / 0` then made every value NaN at run time
    msg = _problems(_bad(raw, 0, formula=formula))
    assert "indicator #1 'rd_intensity'" in msg and expect in msg


def test_literal_arithmetic_still_allowed():
    df = pd.DataFrame({"gdp": [4.0, 8.0]})
    np.testing.assert_allclose(S.evaluate_formula("gdp / (10 - 8) * 1e4", df), [2e4, 4e4])
    np.testing.assert_allclose(S.evaluate_formula("gdp / (1 / 2)", df), [8.0, 16.0])


def test_duplicate_key_inside_an_entry_is_rejected(tmp_path):
    # before: PyYAML kept the last `direction`, silently turning rd_intensity negative
    text = S.DEFAULT_SPEC_PATH.read_text(encoding="utf-8")
    anchor = "    formula: rd_intensity\n    direction: positive\n"
    assert text.count(anchor) == 1
    p = tmp_path / "spec.yaml"
    p.write_text(text.replace(anchor, anchor + "    direction: negative\n"), encoding="utf-8")
    with pytest.raises(S.SpecError) as exc:
        S.load_spec(p)
    msg = str(exc.value)
    assert "duplicate key 'direction' in entry 'rd_intensity'" in msg
    line = text.splitlines().index("    direction: positive", text.splitlines().index(
        "  - name: rd_intensity")) + 1
    assert f"(lines {line} and {line + 1})" in msg
    # the shipped file has no repeated keys and loads the same as with a plain loader
    assert S.load_spec().names == [e["name"] for e in yaml.safe_load(text)["indicators"]]


def test_every_problem_of_one_entry_reported(raw):
    # before: a bad pathway hid the unknown column and the undefined reference of the same entry
    msg = _problems(_bad(raw, 2, pathway="enterprises", formula="patent_grant_invention / popul",
                         reference=["nbs_cii", "nobody"]))
    eid = "indicator #3 'valid_invention_patents_per_10k'"
    assert f"{eid}: pathway: Input should be" in msg and "got 'enterprises'" in msg
    assert f"{eid}: formula 'patent_grant_invention / popul' uses unknown column 'popul'" in msg
    assert "'population'" in msg  # suggestion
    assert f"{eid}: reference 'nobody' is not defined" in msg
    with pytest.raises(S.SpecError) as exc:
        S.validate_spec(_bad(raw, 2, pathway="enterprises", formula="popul / ("))
    assert len(exc.value.problems) == 2  # the syntax error once, the pathway once


def test_yaml_python_tags_are_refused(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text('version: "1"\nindicators: !!python/object/apply:os.system ["echo PWNED"]\n',
                 encoding="utf-8")
    with pytest.raises(S.SpecError, match="could not determine a constructor"):
        S.load_spec(p)


# --------------------------------------------------------------------- version 2 rules


def test_technology_market_counted_once_and_linkage_outside_the_subsystems():
    """A technology-market contract inside a province is in both the seller and the buyer
    turnover: the two sides must not sit in different subsystems (that raised C mechanically),
    and the linkage index must not reuse an indicator of U_st or U_ind (it measures flows, not
    levels)."""
    spec = S.load_spec()
    market = {"tech_market_seller", "tech_market_buyer"}
    st_cols = {c for n in spec.members(subsystem="st") for c in spec[n].columns}
    ind_cols = {c for n in spec.members(subsystem="ind") for c in spec[n].columns}
    assert not (market & st_cols and market & ind_cols)
    link = spec.members(linkage=True)
    assert len(link) >= 3
    assert all(spec[n].subsystem == "none" for n in link)
    for p in S.PILLARS:
        assert len(spec.members(pillar=p)) >= 4, p  # no pillar rests on one or two indicators
    assert spec.version.startswith("2.")


def test_linkage_and_carry_forward_fields_validated(raw):
    ok = _bad(raw, 0, linkage=True, carry_forward=1)
    spec = S.validate_spec(ok)
    assert spec["rd_intensity"].linkage and spec["rd_intensity"].carry_forward == 1
    assert spec.is_core("rd_intensity")
    msg = _problems(_bad(raw, 0, carry_forward=3))
    assert "indicator #1 'rd_intensity': carry_forward: Input should be less than or equal to 2" in msg
    msg = _problems(_bad(raw, 0, linkage="often"))
    assert "indicator #1 'rd_intensity': linkage" in msg


def _user_indicator() -> dict:
    return dict(name="rd_firm_share", label_zh="有研发活动企业占比", label_en="Share of firms with R&D",
                formula="firms_with_rd / ind_firms", direction="positive", unit="share",
                subsystem="none", pillar="none", pathway="enterprise", reference=["nbs_st_yearbook"])


def test_spec_checked_against_the_panel_columns_names_what_exists(raw):
    """Validated against the columns of the built panel: a column the panel lacks is named with
    the indicator, where it was looked for, the closest names and the list of existing columns."""
    cols = (S.PANEL_COLUMNS | S.CHAIN_COLUMNS) - {"students"}
    msg = _problems(raw, columns=cols, columns_source="data/processed/panel.parquet")
    assert ("'students_per_10k'" in msg and "unknown column 'students' (not in "
            "data/processed/panel.parquet)" in msg)
    assert "columns that exist in data/processed/panel.parquet: " in msg
    listed = msg.split("columns that exist in data/processed/panel.parquet: ")[1].split(". A series")[0]
    assert listed.split(", ") == sorted(cols)
    assert "python -m analysis data import" in msg
    # no column problem: no list
    ok = copy.deepcopy(raw)
    assert S.validate_spec(ok, columns=S.PANEL_COLUMNS | S.CHAIN_COLUMNS,
                           columns_source="data/processed/panel.parquet").version == raw["version"]


def test_imported_user_series_usable_in_the_spec(raw, tmp_path, monkeypatch):
    """A series registered by `data import` (data/user_sources.csv) may be used in spec.yaml: the
    default check accepts the registered names; an unregistered name is refused."""
    text = yaml.safe_dump({**raw, "indicators": [*raw["indicators"], _user_indicator()]},
                          allow_unicode=True, sort_keys=False)
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    monkeypatch.setattr(S, "user_columns", lambda: set())
    with pytest.raises(S.SpecError, match="unknown column 'ind_firms'"):
        S.load_spec(p)
    monkeypatch.setattr(S, "user_columns", lambda: {"ind_firms"})
    spec = S.load_spec(p)
    assert spec["rd_firm_share"].columns == ["firms_with_rd", "ind_firms"]
    # the record itself: a registered row is a user column
    from analysis.data import user_sources

    monkeypatch.undo()
    monkeypatch.setattr(user_sources, "load_records",
                        lambda: [type("R", (), {"name": "ind_firms"})()])
    assert S.user_columns() == {"ind_firms"}
    monkeypatch.setattr(user_sources, "load_records", lambda: 1 / 0)
    assert S.user_columns() == set()  # a broken record is the data step's error

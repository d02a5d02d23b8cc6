"""Labels from one place and one number-format policy.

Labels: the codebooks, ``spec.yaml`` and ``analysis/derived_labels.yaml`` — no name in two places,
pathway and pillar words only from the specification (the four-place disagreement "体制改革与金融
支持" vs "体制机制改革与金融支持" cannot come back). Numbers: digits by kind of quantity, percentages
for shares only.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.data.provinces import PROVINCES
from analysis.labels import Labels, derived, derived_by_lang
from analysis.numfmt import KINDS, kind_for_unit, num, stars

PACKAGE = paths.PACKAGE_DIR


def test_derived_file_repeats_no_codebook_name(built_data):
    """A name is labelled once: the derived file holds only names no codebook describes."""
    proc = built_data["processed"]
    cb = pd.read_csv(proc / "codebook.csv", encoding="utf-8-sig")
    names = set(cb["variable"])
    ic = proc / "integration_codebook.csv"
    if ic.exists():
        names |= set(pd.read_csv(ic, encoding="utf-8-sig")["name"])
    else:  # the framework step is not part of the data build: its codebook comes from the spec
        from analysis.framework.integration import codebook
        from analysis.framework.spec import load_spec

        names |= set(codebook(load_spec())["name"])
    assert sorted(set(derived()["variables"]) & names) == []


def test_pathway_and_pillar_words_come_only_from_the_specification():
    from analysis.framework.spec import load_spec

    spec = load_spec()
    L = Labels.from_spec([], spec)
    for key, lab in spec.pathways.items():
        assert L.pathway(key, "zh") == lab["label_zh"] and L.pathway(f"pathway_{key}", "en") == lab["label_en"]
    # no other module of the package spells a pathway's Chinese label
    for zh in [lab["label_zh"] for lab in spec.pathways.values()]:
        hits = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py") if zh in p.read_text(encoding="utf-8")]
        assert hits == [], f"{zh!r} spelt in {hits}"
    assert "体制机制改革与金融支持" not in "".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    # the synthetic test tables use the specification's pathway keys
    from analysis.reporting.synthetic import _pathways

    assert _pathways() == list(spec.pathways)


def test_codebook_labels_win_and_derived_fill_the_rest():
    cb = pd.DataFrame({"variable": ["gdp"], "label_zh": ["地区生产总值"], "label_en": ["GDP"], "unit": ["亿元"]})
    L = Labels([cb])
    assert L.var("gdp", "en") == "GDP" and L.unit("gdp") == "亿元"
    assert L.var("ln_gdp_pc", "zh") == derived_by_lang()["zh"]["ln_gdp_pc"]
    assert L.var("unknown_column", "en") == "unknown_column"
    assert L.unit_label("亿元", "en") == "100 million yuan" and L.unit_label("share", "zh") == "%"
    with pytest.raises(ValueError, match="lang"):
        L.var("gdp", "fr")


def test_coordination_classes_and_regions_come_from_their_tables():
    from analysis.measures.coupling import COORDINATION_CLASSES as C

    L = Labels()
    assert L.d_class(None, "zh", 0.55) == "勉强协调"
    assert L.d_class(np.int64(7), "en") == "primary coordination" == C.loc[6, "label_en"]
    assert L.d_class(None, "en", 1.0) == "high-quality coordination"
    assert L.d_class(None, "zh", 0.3) == "轻度失调"  # [0.3, 0.4): the left end belongs to the class
    assert L.d_class("良好协调", "en") == "good coordination"
    for region in PROVINCES["region"].unique():
        row = PROVINCES[PROVINCES["region"] == region].iloc[0]
        assert L.region(region, "zh") == row["region_zh"] and L.region(region, "en") == row["region_en"]


@pytest.mark.parametrize(("x", "kind", "shown"), [
    (128222.3, "amount", "128,222"), (42.123, "amount", "42.1"), (0.5234, "amount", "0.523"),
    (12345.0, "count", "12,345"),
    (0.285, "share", "28.5%"), (0.0329, "share", "3.29%"), (0.0093, "share", "0.93%"), (0.000412, "share", "0.0412%"), (0.0, "share", "0%"),
    (3.29, "percent", "3.29%"),
    (0.629, "score", "0.629"), (0.0661, "score", "0.066"),
    (-0.00444, "coef", "-0.004"), (0.108, "coef", "0.108"), (-0.0004, "coef", "-0.0004"), (-4.85, "coef", "-4.850"),
    (11.638, "level", "11.64"), (0.0004, "pvalue", "<0.001"), (0.06, "pvalue", "0.060"),
    (70.9, "percentile", "71"), (12.66, "auto", "12.7"), (1234.5, "auto", "1,234"), (7, "auto", "7"),
    (None, "score", "—"), (float("nan"), "coef", "—"), (math.inf, "amount", "—"),
])
def test_number_format_policy(x, kind, shown):
    assert num(x, kind) == shown


def test_digits_follow_the_kind_not_the_number():
    """A column of coefficients has one number of decimals (the issue's -0.00274 next to 0.108)."""
    col = [num(v, "coef") for v in (-0.00274, 0.108, 12.5, -0.0561)]
    assert {len(s.split(".")[1]) for s in col} == {3}
    # percentages only for shares: a ratio that can exceed 1 stays a number
    assert kind_for_unit("share") == "share" and kind_for_unit("ratio") == "auto"
    assert not num(1.37, kind_for_unit("ratio")).endswith("%")
    with pytest.raises(ValueError, match="unknown number kind"):
        num(1.0, "money")
    assert set(KINDS) >= {"amount", "share", "score", "coef"}
    assert [stars(p) for p in (0.2, 0.09, 0.04, 0.001, None, float("nan"))] == ["", "*", "**", "***", "", ""]


def test_reporting_code_formats_numbers_only_through_numfmt():
    """One policy in one module: no f-string number formats in the reporting sections' code."""
    for name in ("context.py", "sections.py", "figures.py", "text.py"):
        src = (PACKAGE / "reporting" / name).read_text(encoding="utf-8")
        assert not re.findall(r"\{[^{}]*:[,.]?\.?\d*[fg%]\}", src), name


def test_derived_file_parses_as_written():
    """Flow mappings with commas ("10,000 people") are quoted: every entry has exactly zh, en
    (and maybe unit), and no label swallowed a key."""
    d = derived()
    for section in ("variables", "units"):
        for name, lab in d[section].items():
            assert set(lab) - {"zh", "en", "unit"} == set() and {"zh", "en"} <= set(lab), (name, lab)
            assert "unit:" not in lab["en"] and lab["en"] and lab["zh"], (name, lab)
    assert Labels.unit_label("万人", "en") == "10,000 people"
    assert Labels.unit_label("万人年", "en") == "10,000 person-years"
    assert Labels().unit("local_sourcing") == "share" and Labels().var("local_sourcing", "en") == (
        "Local sourcing of intermediate inputs")
